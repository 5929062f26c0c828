// A sweep's chart, in plain SVG: a scatter (one dot per point, a metric against one swept key)
// or parallel coordinates (sweep_parallel.js). Log-spaced keys (1e-4:1e-2:log:5,
// loguniform(…)) get a log axis; text values are categories. Dots are coloured by status, the
// best is a star, and each has its values as a hover title; a click opens the point's run.

import { html, useState } from "./vendor/preact-htm.standalone.js";
import { decodeValue } from "./api.js";
import { debug } from "./debug.js";
import { fmtNumber } from "./format.js";
import { ParallelChart } from "./sweep_parallel.js";
import { isLogSpec, makeScale, paramOf } from "./sweep_scale.js";

const W = 760;
const H = 300;
const PAD = { left: 64, right: 16, top: 14, bottom: 40 };
const STATUS_COLOR = {
  completed: "#2563eb",
  running: "#16a34a",
  failed: "#dc2626",
  killed: "#d97706",
  stopped: "#d97706",
  crashed: "#dc2626",
};

function star(cx, cy, r) {
  const corners = [];
  for (let i = 0; i < 10; i += 1) {
    const radius = i % 2 ? r * 0.45 : r;
    const angle = (Math.PI / 5) * i - Math.PI / 2;
    corners.push(`${(cx + radius * Math.cos(angle)).toFixed(1)},${(cy + radius * Math.sin(angle)).toFixed(1)}`);
  }
  return corners.join(" ");
}

/**
 * Props: points (the API's rows), options (swept options), space (option → spec), metrics
 * (keys offered for y), metric (the sweep's ranking metric).
 */
export function SweepChart({ points, options, space, metrics, metric, mode }) {
  const [view, setView] = useState("scatter");
  const [xKey, setXKey] = useState(options[0] || null);
  const [yKey, setYKey] = useState(metric || metrics[0] || null);
  const [logChoice, setLogChoice] = useState({});
  const x = options.includes(xKey) ? xKey : options[0];
  const y = metrics.includes(yKey) ? yKey : metric || metrics[0];
  if (!x || !y) return html`<p class="muted sweep-chart-empty">No metric logged yet to plot.</p>`;
  const logX = logChoice[x] ?? isLogSpec(space?.[x]);

  const drawn = [];
  for (const p of points) {
    const xv = paramOf(p, x);
    const yv = decodeValue(p.metrics?.[y]);
    if (xv === null || xv === undefined || typeof yv !== "number" || !Number.isFinite(yv)) continue;
    if (logX && typeof xv === "number" && xv <= 0) continue;
    drawn.push({ p, xv, yv });
  }
  const sx = makeScale(drawn.map((d) => d.xv), logX, PAD.left, W - PAD.right);
  const sy = makeScale(drawn.map((d) => d.yv), false, H - PAD.bottom, PAD.top);
  debug.sweepChart = { x, y, logX: sx.kind === "log", points: drawn.length };

  const missing = points.length - drawn.length;
  const scatter = view === "scatter";
  return html`<figure class="chart-card sweep-chart" data-x=${x} data-y=${y} data-view=${view}>
    <figcaption class="sweep-chart-controls">
      <span class="view-switch">
        ${[["scatter", "scatter"], ["parallel", "parallel coordinates"]].map(([id, label]) => html`<button key=${id}
          class=${`view ${view === id ? "active" : ""}`} data-view=${id} onClick=${() => setView(id)}>${label}</button>`)}
      </span>
      <label>metric <select class="y-key" value=${y} onChange=${(e) => setYKey(e.currentTarget.value)}>
        ${metrics.map((m) => html`<option key=${m} value=${m}>${m}</option>`)}
      </select></label>
      ${scatter && html`<label>against <select class="x-key" value=${x} onChange=${(e) => setXKey(e.currentTarget.value)}>
        ${options.map((o) => html`<option key=${o} value=${o}>${o}</option>`)}
      </select></label>`}
      ${scatter && sx.kind !== "category" && html`<label><input type="checkbox" class="log-x" checked=${logX}
        onChange=${(e) => setLogChoice({ ...logChoice, [x]: e.currentTarget.checked })} /> log x</label>`}
      ${missing > 0 && html`<span class="muted">${missing} of ${points.length} points have no ${y} yet</span>`}
    </figcaption>
    ${!scatter
      ? html`<${ParallelChart} points=${points} options=${options} space=${space} y=${y} mode=${mode} />`
      : drawn.length === 0
      ? html`<p class="muted">No point has logged ${y} yet.</p>`
      : html`<svg viewBox=${`0 0 ${W} ${H}`} class="sweep-scatter" role="img" aria-label=${`${y} against ${x}`}>
      <g class="axis x-axis">
        <line x1=${PAD.left} y1=${H - PAD.bottom} x2=${W - PAD.right} y2=${H - PAD.bottom} />
        ${sx.ticks.map((t) => html`<g key=${String(t.v)} class="tick">
          <line x1=${sx.at(t.v)} y1=${H - PAD.bottom} x2=${sx.at(t.v)} y2=${H - PAD.bottom + 4} />
          <text x=${sx.at(t.v)} y=${H - PAD.bottom + 16} text-anchor="middle">${t.label}</text>
        </g>`)}
        <text class="axis-title" x=${(PAD.left + W - PAD.right) / 2} y=${H - 4} text-anchor="middle">${x}${sx.kind === "log" ? " (log)" : ""}</text>
      </g>
      <g class="axis y-axis">
        ${sy.ticks.map((t) => html`<g key=${String(t.v)} class="tick">
          <line class="grid" x1=${PAD.left} y1=${sy.at(t.v)} x2=${W - PAD.right} y2=${sy.at(t.v)} />
          <text x=${PAD.left - 6} y=${sy.at(t.v) + 4} text-anchor="end">${t.label}</text>
        </g>`)}
      </g>
      <g class="dots">
        ${drawn.map(({ p, xv, yv }) => {
          const cx = sx.at(xv);
          const cy = sy.at(yv);
          const color = STATUS_COLOR[p.status] || "#64748b";
          const title = `point ${p.index} · ${x} ${fmtNumber(xv)} · ${y} ${fmtNumber(yv)} · ${p.status}${p.best ? " · best ★" : ""}`;
          const open = () => p.run_id && (location.hash = `#/run/${encodeURIComponent(p.run_id)}`);
          return p.best
            ? html`<polygon key=${p.index} class="dot best" data-index=${p.index} points=${star(cx, cy, 9)} fill="#f59e0b" stroke="#92400e" onClick=${open}><title>${title}</title></polygon>`
            : html`<circle key=${p.index} class=${`dot ${p.status}`} data-index=${p.index} cx=${cx} cy=${cy} r="5" fill=${color} onClick=${open}><title>${title}</title></circle>`;
        })}
      </g>
    </svg>`}
  </figure>`;
}
