// The Run page's system tab: CPU, memory and each GPU over the run's lifetime.

import { html } from "./vendor/preact-htm.standalone.js";
import { getJSON, runPath } from "./api.js";
import { useRunData } from "./live.js";
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

const fetchSystem = (id) => getJSON(`${runPath(id)}/system`);

export function SystemTab({ run }) {
  const { data: system, error } = useRunData(run.id, fetchSystem, 1000);

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
