// A uPlot chart as a Preact component: x = step / time / relative time, smoothing, log scale,
// drag to zoom (double-click resets), hover values in the legend, non-finite points marked.

import { html, useEffect, useMemo, useRef } from "./vendor/preact-htm.standalone.js";
import uPlot from "./vendor/uPlot.esm.js";
import { registerChart } from "./debug.js";
import { fmtDuration, fmtNumber } from "./format.js";

const NS_PER_S = 1e9;

/** Seconds for uPlot's time axis; the API may send time as ns integers or seconds. */
function toSeconds(xs) {
  return xs.length && Math.abs(xs[0]) > 1e12 ? xs.map((x) => x / NS_PER_S) : xs;
}

/** TensorBoard's debiased exponential moving average; gaps stay gaps. */
export function smooth(ys, weight) {
  let last = 0;
  let n = 0;
  return ys.map((y) => {
    if (y === null || y === undefined) return null;
    last = last * weight + (1 - weight) * y;
    n += 1;
    return last / (1 - weight ** n);
  });
}

function fade(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/**
 * Aligned uPlot data and, per plotted series, what to draw and the non-finite points.
 *
 * Each input series is {label, color, x, y, nonfinite}; series are joined on x, so runs logged
 * at different steps still overlay.
 */
function build(series, { xMode, smoothing, logScale }) {
  const tables = [];
  const plotted = [];
  for (const [source, s] of series.entries()) {
    const x = xMode === "step" ? s.x : toSeconds(s.x);
    const y = s.y.map((v) => (v === null || (logScale && v <= 0) ? null : v));
    const nonfinite = (s.nonfinite || []).map(([nx, kind]) => [
      xMode === "step" ? nx : toSeconds([nx])[0],
      kind,
    ]);
    if (smoothing > 0) {
      tables.push([x, y, smooth(y, smoothing)]);
      plotted.push({ label: s.label, color: fade(s.color, 0.25), width: 1, raw: true, nonfinite, source });
      plotted.push({ label: `${s.label} (smoothed)`, color: s.color, width: 2, nonfinite: [], source });
    } else {
      tables.push([x, y]);
      plotted.push({ label: s.label, color: s.color, width: 1.5, nonfinite, source });
    }
  }
  const data = tables.length === 1 ? tables[0] : tables.length ? uPlot.join(tables) : [[]];
  return { data, plotted };
}

function drawNonFinite(u, plotted) {
  const { ctx } = u;
  const { left, top, width, height } = u.bbox;
  const r = 4 * devicePixelRatio;
  ctx.save();
  plotted.forEach((p, i) => {
    if (!p.nonfinite.length || !u.series[i + 1].show) return;
    for (const [x, kind] of p.nonfinite) {
      const cx = u.valToPos(x, "x", true);
      if (!(cx >= left && cx <= left + width)) continue;
      ctx.strokeStyle = "rgba(220, 38, 38, 0.35)";
      ctx.lineWidth = devicePixelRatio;
      ctx.setLineDash([3 * devicePixelRatio, 3 * devicePixelRatio]);
      ctx.beginPath();
      ctx.moveTo(cx, top);
      ctx.lineTo(cx, top + height);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = "#dc2626";
      ctx.beginPath();
      if (kind === "inf" || kind === "-inf") {
        // a triangle pointing off the chart, at the edge the value ran away to
        const edge = kind === "inf" ? top + r : top + height - r;
        const dir = kind === "inf" ? -1 : 1;
        ctx.moveTo(cx, edge + dir * r);
        ctx.lineTo(cx - r, edge - dir * r);
        ctx.lineTo(cx + r, edge - dir * r);
      } else {
        ctx.arc(cx, top + height / 2, r, 0, 2 * Math.PI);
      }
      ctx.closePath();
      ctx.fill();
    }
  });
  ctx.restore();
}

/**
 * Anomaly marks on the curve: a vertical line per mark, coloured by level, its message as the
 * hover title. They are DOM elements in uPlot's over layer (a canvas has no titles), placed
 * again at every draw so zoom, resize and hiding a series move them. A mark with ``series``
 * (the index of the input series it belongs to) hides with that series' curve; one with
 * ``color`` takes that colour instead of its level's (a compare chart: the run's own).
 */
function placeMarks(u, marks, plotted) {
  const layer = u.over;
  for (const old of layer.querySelectorAll(".anomaly-mark")) old.remove();
  const width = u.bbox.width / devicePixelRatio;
  for (const m of marks) {
    if (m.series !== undefined && !plotted.some((p, i) => p.source === m.series && u.series[i + 1]?.show)) continue;
    const left = u.valToPos(m.x, "x");
    if (!(left >= 0 && left <= width)) continue;
    const mark = document.createElement("div");
    mark.className = `anomaly-mark level-${m.level}`; // not .error: that is the error line's style
    if (m.color) mark.style.color = m.color;
    mark.style.left = `${left}px`;
    mark.title = m.title; // text, never HTML
    mark.dataset.x = String(m.x);
    layer.appendChild(mark);
  }
}

function xAxis(xMode) {
  const base = { stroke: "#64748b", grid: { stroke: "#eef1f5" }, ticks: { stroke: "#e2e8f0" } };
  if (xMode === "relative") return { ...base, values: (u, vals) => vals.map((v) => fmtDuration(v)) };
  return base;
}

/**
 * Props: id (debug name), series [{label, color, x, y, nonfinite}], xMode, smoothing (0..0.99),
 * logScale, height, yFormat (a value → text function for the axis and legend), sync (a cursor
 * sync key shared by a page's charts), marks [{x, level, title, color?, series?}] (anomalies,
 * drawn on the curve; see placeMarks).
 */
export function Chart({
  id,
  series,
  xMode = "step",
  smoothing = 0,
  logScale = false,
  height = 220,
  yFormat = fmtNumber,
  sync = null,
  marks = [],
}) {
  const el = useRef(null);
  const plot = useRef(null);
  const built = useMemo(
    () => build(series, { xMode, smoothing, logScale }),
    [series, xMode, smoothing, logScale],
  );
  const current = useRef(built);
  current.current = built;
  const markList = useRef(marks);
  markList.current = marks;
  const shape = [xMode, logScale, smoothing > 0, ...built.plotted.map((p) => p.label + p.color)].join("|");

  useEffect(() => {
    const { data, plotted } = current.current;
    const opts = {
      width: Math.max(200, el.current.clientWidth),
      height,
      cursor: { drag: { x: true, y: false }, sync: sync ? { key: sync } : undefined },
      scales: {
        x: { time: xMode === "time" },
        y: logScale ? { distr: 3, log: 10 } : {},
      },
      legend: { live: true },
      series: [
        {
          label: xMode === "step" ? "step" : xMode === "time" ? "time" : "elapsed",
          value: xMode === "relative" ? (u, v) => (v == null ? "" : fmtDuration(v)) : undefined,
        },
        ...plotted.map((p, i) => ({
          label: p.label,
          stroke: p.color,
          width: p.width,
          spanGaps: true,
          points: { show: false },
          value: (u, v, sidx, idx) => {
            if (v !== null && v !== undefined) return yFormat(v);
            const x = idx === null ? undefined : u.data[0][idx];
            const hit = current.current.plotted[i]?.nonfinite.find(([nx]) => nx === x);
            return hit === undefined ? "—" : hit[1] === "nan" ? "NaN" : hit[1];
          },
        })),
      ],
      axes: [
        xAxis(xMode),
        {
          stroke: "#64748b",
          grid: { stroke: "#eef1f5" },
          ticks: { stroke: "#e2e8f0" },
          size: 60,
          values: (u, vals) => vals.map((v) => (v == null ? "" : yFormat(v))),
        },
      ],
      hooks: {
        draw: [
          (u) => drawNonFinite(u, current.current.plotted),
          (u) => placeMarks(u, markList.current, current.current.plotted),
        ],
      },
    };
    const u = new uPlot(opts, data, el.current);
    u.runar = { nonfinite: plotted.reduce((n, p) => n + p.nonfinite.length, 0), zoomed: false };
    // Zoomed means the x scale no longer spans the data: live updates must then keep it.
    u.hooks.setScale = [
      (chart, key) => {
        if (key !== "x") return;
        const xs = chart.data[0];
        if (!xs.length) return;
        const { min, max } = chart.scales.x;
        chart.runar.zoomed = min > xs[0] + 1e-9 || max < xs[xs.length - 1] - 1e-9;
      },
    ];
    plot.current = u;
    const unregister = id ? registerChart(id, u) : () => {};
    const resize = new ResizeObserver(() => {
      const width = Math.max(200, el.current ? el.current.clientWidth : 0);
      if (width !== u.width) u.setSize({ width, height });
    });
    resize.observe(el.current);
    return () => {
      resize.disconnect();
      unregister();
      u.destroy();
      plot.current = null;
    };
  }, [shape, height, id]);

  useEffect(() => {
    const u = plot.current;
    if (!u || u.data === built.data) return;
    u.runar.nonfinite = built.plotted.reduce((n, p) => n + p.nonfinite.length, 0);
    u.setData(built.data, !u.runar.zoomed);
  }, [built]);

  const markKey = marks.map((m) => `${m.x}:${m.level}:${m.title}:${m.color}:${m.series}`).join("|");
  useEffect(() => {
    if (plot.current) placeMarks(plot.current, marks, current.current.plotted);
  }, [markKey]);

  return html`<div class="chart" ref=${el}></div>`;
}
