// The Run page: a header, then one tab each for overview, metrics, steps, artifacts, logs, system.

import { html, useCallback, useEffect, useState } from "./vendor/preact-htm.standalone.js";
import { getJSON, onRunsChanged, runPath } from "./api.js";
import { ArtifactsTab } from "./artifacts.js";
import { LogsTab } from "./logs.js";
import { MetricsTab } from "./metrics.js";
import { Overview } from "./overview.js";
import { StepsTab } from "./steps.js";
import { SystemTab } from "./system.js";
import { errorLine } from "./overview.js";
import { ErrorLine, Loading, Status, Tabs, Tags } from "./widgets.js";
import { fmtDuration, fmtTime } from "./format.js";

const TABS = [
  ["overview", "Overview"],
  ["metrics", "Metrics"],
  ["steps", "Steps"],
  ["artifacts", "Artifacts"],
  ["logs", "Logs"],
  ["system", "System"],
];

export function RunPage({ runRef, params }) {
  const tab = TABS.some(([id]) => id === params.get("tab")) ? params.get("tab") : "overview";
  const [record, setRecord] = useState(null);
  const [error, setError] = useState(null);

  const load = useCallback(async () => {
    try {
      setRecord(await getJSON(runPath(runRef)));
      setError(null);
    } catch (err) {
      setError(err.message);
    }
  }, [runRef]);

  useEffect(() => {
    load();
  }, [load]);

  const id = record?.id;
  useEffect(() => (id ? onRunsChanged([id], load) : undefined), [id, load]);

  if (!record) return error ? html`<${ErrorLine} error=${error} />` : html`<${Loading} what="the run" />`;

  const hrefFor = (t) => `#/run/${encodeURIComponent(record.id)}${t === "overview" ? "" : `?tab=${t}`}`;
  const body = {
    overview: () => html`<${Overview} record=${record} />`,
    metrics: () => html`<${MetricsTab} run=${record} />`,
    steps: () => html`<${StepsTab} run=${record} />`,
    artifacts: () => html`<${ArtifactsTab} run=${record} selected=${params.get("name")} />`,
    logs: () => html`<${LogsTab} run=${record} />`,
    system: () => html`<${SystemTab} run=${record} />`,
  }[tab];

  return html`
    <section class="run-page">
      <div class="run-head">
        <h1>${record.name || record.short_id}</h1>
        <${Status} status=${record.status} />
        <span class="id" title=${record.id}>${record.id}</span>
        <${Tags} tags=${record.tags} />
        ${record.sweep_id && html`<a class="sweep-link" href=${`#/sweep/${encodeURIComponent(record.sweep_id)}`} title="the sweep this run is a point of">sweep ${record.sweep || record.sweep_id.slice(0, 8)}${record.sweep_point != null ? ` · point ${record.sweep_point}` : ""}</a>`}
        <span class="spacer"></span>
        <span class="muted">${fmtTime(record.created)}${record.duration_s != null ? ` · ${fmtDuration(record.duration_s)}` : ""}</span>
      </div>
      ${record.error && html`<p class="run-error">${errorLine(record)}</p>`}
      <${ErrorLine} error=${error} />
      <${Tabs} tabs=${TABS} active=${tab} hrefFor=${hrefFor} />
      <div class="tab-body">${body()}</div>
    </section>
  `;
}
