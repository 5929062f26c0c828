// A sweep's parallel coordinates: one vertical axis per swept key and one for the metric,
// one line per point across them, coloured by its metric (best: thick amber). Plain SVG.

import { html } from "./vendor/preact-htm.standalone.js";
import { decodeValue } from "./api.js";
import { debug } from "./debug.js";
import { fmtNumber } from "./format.js";
import { isLogSpec, makeScale, paramOf } from "./sweep_scale.js";

const W = 760;
const H = 300;
const PAD = { left: 60, right: 70, top: 24, bottom: 30 };

/** Blue (best end of the range) → red (worst end), for a metric value in [lo, hi]. */
function shade(value, lo, hi, mode) {
  const t = hi > lo ? (value - lo) / (hi - lo) : 0.5;
  const bad = mode === "max" ? 1 - t : t;
  const r = Math.round(37 + bad * (220 - 37));
  const g = Math.round(99 + bad * (38 - 99));
  const b = Math.round(235 + bad * (38 - 235));
  return `rgb(${r}, ${g}, ${b})`;
}

/** Props: points, options (swept keys), space (key → spec), y (the metric), mode (min|max). */
export function ParallelChart({ points, options, space, y, mode }) {
  const axes = [...options, y];
  const drawn = points
    .map((p) => ({ p, values: [...options.map((o) => paramOf(p, o)), decodeValue(p.metrics?.[y])] }))
    .filter(({ values }) => {
      const metric = values[values.length - 1];
      return typeof metric === "number" && Number.isFinite(metric) && values.every((v) => v !== null && v !== undefined);
    });
  debug.sweepParallel = { axes, lines: drawn.length };
  if (!drawn.length) return html`<p class="muted">No point has logged ${y} yet.</p>`;

  const step = (W - PAD.left - PAD.right) / Math.max(1, axes.length - 1);
  const xs = axes.map((_, i) => PAD.left + i * step);
  const scales = axes.map((key, i) => {
    const log = i < options.length && isLogSpec(space?.[key]);
    const column = drawn.map((d) => d.values[i]);
    return makeScale(log ? column.filter((v) => typeof v !== "number" || v > 0) : column, log, H - PAD.bottom, PAD.top);
  });
  const metrics = drawn.map((d) => d.values[d.values.length - 1]);
  const [lo, hi] = [Math.min(...metrics), Math.max(...metrics)];
  const ordered = [...drawn].sort((a, b) => Number(a.p.best) - Number(b.p.best)); // best on top

  return html`<svg viewBox=${`0 0 ${W} ${H}`} class="sweep-parallel" role="img" aria-label=${`${y} by ${options.join(", ")}`}>
    <g class="lines">
      ${ordered.map(({ p, values }) => {
        const ys = values.map((v, i) => scales[i].at(v));
        if (ys.some((v) => v === null || Number.isNaN(v))) return null;
        const path = ys.map((v, i) => `${xs[i].toFixed(1)},${v.toFixed(1)}`).join(" ");
        const title = `point ${p.index} · ${axes.map((a, i) => `${a} ${fmtNumber(values[i])}`).join(" · ")} · ${p.status}${p.best ? " · best ★" : ""}`;
        const metric = values[values.length - 1];
        const open = () => p.run_id && (location.hash = `#/run/${encodeURIComponent(p.run_id)}`);
        return html`<polyline key=${p.index} class=${p.best ? "pc-line best" : "pc-line"} data-index=${p.index}
          points=${path} stroke=${p.best ? "#f59e0b" : shade(metric, lo, hi, mode)} onClick=${open}><title>${title}</title></polyline>`;
      })}
    </g>
    <g class="axes">
      ${axes.map((key, i) => html`<g key=${key} class="pc-axis" data-key=${key}>
        <line x1=${xs[i]} y1=${PAD.top} x2=${xs[i]} y2=${H - PAD.bottom} />
        <text class="axis-title" x=${xs[i]} y=${PAD.top - 8} text-anchor="middle">${key}${scales[i].kind === "log" ? " (log)" : ""}</text>
        ${scales[i].ticks.map((t) => html`<text key=${String(t.v)} x=${xs[i] + 5} y=${scales[i].at(t.v) + 4}>${t.label}</text>`)}
      </g>`)}
    </g>
  </svg>`;
}
