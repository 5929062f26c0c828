// The Run page's system tab: CPU, memory and each GPU over the run's lifetime.

import { html, useCallback, useEffect, useState } from "./vendor/preact-htm.standalone.js";
import { getJSON, onRunsChanged, runPath } from "./api.js";
import { Chart } from "./chart.js";
import { colorAt, fmtBytes, fmtNumber } from "./format.js";
import { ErrorLine, Loading } from "./widgets.js";

const percent = (v) => `${fmtNumber(Math.round(v * 10) / 10)}%`;

function Panel({ id, title, t, series, yFormat }) {
  return html`<figure class="chart-card" data-key=${id}>
    <figcaption><span class="chart-title">${title}</span></figcaption>
    <${Chart}
      id=${`system:${id}`}
      series=${series.map((s, i) => ({ label: s.label, color: colorAt(s.color ?? i), x: t, y: s.y, nonfinite: [] }))}
      xMode="time"
      yFormat=${yFormat}
      sync="run-system"
      height=${180}
    />
  </figure>`;
}

export function SystemTab({ run }) {
  const [system, setSystem] = useState(null);
  const [error, setError] = useState(null);
  const load = useCallback(async () => {
    try {
      setSystem(await getJSON(`${runPath(run.id)}/system`));
      setError(null);
    } catch (err) {
      setError(err.message);
    }
  }, [run.id]);
  useEffect(() => {
    load();
  }, [load]);
  useEffect(() => onRunsChanged([run.id], load, 1000), [run.id, load]);

  if (!system) return error ? html`<${ErrorLine} error=${error} />` : html`<${Loading} what="system samples" />`;
  if (!system.t.length) return html`<p class="muted">No system samples recorded.</p>`;
  const gpus = system.gpus || [];
  return html`<div class="chart-grid">
    <${Panel} id="cpu" title="CPU" t=${system.t} series=${[{ label: "cpu", y: system.cpu_percent }]} yFormat=${percent} />
    <${Panel} id="rss" title="Memory (RSS)" t=${system.t} series=${[{ label: "rss", y: system.rss_bytes, color: 2 }]} yFormat=${fmtBytes} />
    ${gpus.length > 0 && html`<${Panel} id="gpu-util" title="GPU utilisation" t=${system.t}
      series=${gpus.map((g) => ({ label: `gpu${g.index} ${g.name || ""}`.trim(), y: g.util_percent }))} yFormat=${percent} />`}
    ${gpus.length > 0 && html`<${Panel} id="gpu-mem" title="GPU memory" t=${system.t}
      series=${gpus.map((g) => ({ label: `gpu${g.index}`, y: g.mem_used }))} yFormat=${fmtBytes} />`}
    <${ErrorLine} error=${error} />
  </div>`;
}
