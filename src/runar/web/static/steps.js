// The steps timeline (the execution-journal view): named workflow steps as bars on one time
// axis, with status, duration, the metrics they logged and the artifacts saved under them.

import { html } from "./vendor/preact-htm.standalone.js";
import { getJSON, runPath } from "./api.js";
import { useRunData } from "./live.js";
import { ErrorLine, Loading, Status } from "./widgets.js";
import { fmtDuration, fmtTime } from "./format.js";

const ms = (iso) => (iso ? new Date(iso).getTime() : null);

/** Steps in tree order (parents before children, siblings by start), each with its depth. */
function ordered(steps) {
  const byParent = new Map();
  const ids = new Set(steps.map((s) => s.step_id));
  for (const s of steps) {
    const parent = s.parent && ids.has(s.parent) ? s.parent : null;
    if (!byParent.has(parent)) byParent.set(parent, []);
    byParent.get(parent).push(s);
  }
  const out = [];
  const walk = (parent, depth) => {
    const children = (byParent.get(parent) || []).sort((a, b) => (ms(a.started_at) ?? 0) - (ms(b.started_at) ?? 0));
    for (const s of children) {
      out.push([s, depth]);
      walk(s.step_id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

async function fetchSteps(id) {
  const [s, a] = await Promise.all([getJSON(`${runPath(id)}/steps`), getJSON(`${runPath(id)}/artifacts`)]);
  return { steps: s.steps, artifacts: Object.fromEntries(a.artifacts.map((x) => [x.name, x])) };
}

export function StepsTab({ run }) {
  const { data, error } = useRunData(run.id, fetchSteps);
  const steps = data?.steps;
  const artifacts = data?.artifacts ?? {};

  if (!steps) return error ? html`<${ErrorLine} error=${error} />` : html`<${Loading} what="steps" />`;
  if (!steps.length) {
    return html`<p class="muted">No workflow steps. Wrap parts of a script in <code>with step("train"):</code> to see them here.</p>`;
  }
  const now = Date.now();
  const starts = steps.map((s) => ms(s.started_at)).filter((t) => t !== null);
  const t0 = Math.min(...starts);
  const t1 = Math.max(...steps.map((s) => ms(s.ended_at) ?? (s.status === "running" ? now : ms(s.started_at) ?? t0)));
  const span = Math.max(1, t1 - t0);
  return html`<div class="steps-tab">
    <${ErrorLine} error=${error} />
    <div class="timeline-axis muted"><span>${fmtTime(new Date(t0).toISOString())}</span><span>${fmtDuration(span / 1000)}</span></div>
    <ol class="timeline">
      ${ordered(steps).map(([s, depth]) => {
        const start = ms(s.started_at) ?? t0;
        const end = ms(s.ended_at) ?? (s.status === "running" ? now : start);
        const left = ((start - t0) / span) * 100;
        const width = Math.max(0.4, ((end - start) / span) * 100);
        const duration = s.duration_s ?? (end - start) / 1000;
        return html`<li class="step" key=${s.step_id} data-step=${s.step_id}>
          <div class="step-label" style=${{ paddingLeft: `${depth * 1.2}rem` }}>
            <span class="step-name">${s.name || s.step_id}</span>
            <${Status} status=${s.status} />
            <span class="muted num">${fmtDuration(duration)}</span>
          </div>
          <div class="step-track">
            <div class=${`step-bar status-bg-${s.status}`} style=${{ left: `${left}%`, width: `${width}%` }}
              title=${`${s.name}: ${s.status}, ${fmtDuration(duration)}`}></div>
          </div>
          ${(s.error || s.artifacts?.length || s.metric_keys?.length) ? html`<div class="step-details" style=${{ paddingLeft: `${depth * 1.2}rem` }}>
            ${s.error && html`<div class="run-error">${s.error_type && !s.error.startsWith(s.error_type) ? `${s.error_type}: ` : ""}${s.error}</div>`}
            ${s.metric_keys?.length ? html`<div class="muted">metrics: ${s.metric_keys.join(", ")}</div>` : null}
            ${s.artifacts?.length ? html`<ul class="step-artifacts">
              ${s.artifacts.map((name) => html`<li key=${name}>
                <a href=${`#/run/${encodeURIComponent(run.id)}?tab=artifacts&name=${encodeURIComponent(name)}`}>${name}</a>
                ${artifacts[name] && html`<span class="muted"> ${artifacts[name].kind}</span>`}
              </li>`)}
            </ul>` : null}
          </div>` : null}
        </li>`;
      })}
    </ol>
  </div>`;
}
