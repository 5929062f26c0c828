// The Run page's metrics: one chart per key, with the x axis, smoothing and scale the user picks.

import { html, useCallback, useEffect, useRef, useState } from "./vendor/preact-htm.standalone.js";
import { getJSON, onRunsChanged, runPath } from "./api.js";
import { Chart } from "./chart.js";
import { ChartControls, useChartSettings } from "./controls.js";
import { colorAt } from "./format.js";
import { ErrorLine, Loading } from "./widgets.js";

export const POINTS = 2000;

export function MetricsTab({ run }) {
  const settings = useChartSettings();
  // the axis the series were fetched for: charts switch axis only when the new data is in
  const [fetched, setFetched] = useState({ xMode: settings.xMode, series: null });
  const series = fetched.series;
  const latest = useRef(0);
  const [error, setError] = useState(null);
  const [needle, setNeedle] = useState("");

  const load = useCallback(async () => {
    try {
      const xMode = settings.xMode;
      const mine = ++latest.current;
      const answer = await getJSON(`${runPath(run.id)}/metrics`, { x: xMode, points: POINTS });
      if (mine !== latest.current) return; // a newer request (another axis) went out
      setFetched({ xMode, series: answer.series });
      setError(null);
    } catch (err) {
      setError(err.message);
    }
  }, [run.id, settings.xMode]);

  useEffect(() => {
    load();
  }, [load]);
  useEffect(() => onRunsChanged([run.id], load, 250), [run.id, load]);

  if (!series) return error ? html`<${ErrorLine} error=${error} />` : html`<${Loading} what="metrics" />`;
  const n = needle.toLowerCase();
  const shown = series.filter((s) => !n || s.key.toLowerCase().includes(n));
  return html`<div class="metrics-tab">
    <${ChartControls} settings=${settings}>
      <input type="search" placeholder="filter keys" value=${needle} onInput=${(e) => setNeedle(e.currentTarget.value)} />
    <//>
    <${ErrorLine} error=${error} />
    ${series.length === 0 && html`<p class="muted">This run has logged no metrics yet.</p>`}
    <div class="chart-grid">
      ${shown.map((s) => html`<figure class="chart-card" key=${s.key} data-key=${s.key}>
        <figcaption>
          <span class="chart-title">${s.key}</span>
          <span class="muted">${pointsNote(s)}</span>
          ${anomalyBadge(run.anomalies, s.key)}
        </figcaption>
        <${Chart}
          id=${`metric:${s.key}`}
          series=${[{ label: s.key, color: colorAt(0), x: s.x, y: s.y, nonfinite: s.nonfinite }]}
          xMode=${fetched.xMode}
          smoothing=${settings.smoothing}
          logScale=${settings.logScale}
          sync="run-metrics"
          marks=${anomalyMarks(run.anomalies, s.key, fetched.xMode)}
        />
      </figure>`)}
    </div>
  </div>`;
}

/** '⚠ 2' beside a chart whose key has warnings or errors; each one's line on hover. */
function anomalyBadge(anomalies, key) {
  const mine = (anomalies || []).filter((a) => a.key === key && a.level !== "info");
  if (!mine.length) return null;
  const level = mine.some((a) => a.level === "error") ? "error" : "warn";
  const lines = mine.map((a) => a.message).join("\n");
  return html`<span class=${`anomaly-badge ${level}`} title=${lines}>⚠ ${mine.length}</span>`;
}

/**
 * Where a key's anomalies started, on the chart's x axis: the first step, or on the time axis
 * the time it was found. The relative axis counts from the curve's first point, which the
 * anomaly does not know, so it carries no marks.
 */
export function anomalyMarks(anomalies, key, xMode) {
  const marks = [];
  for (const a of anomalies || []) {
    if (a.key !== key) continue;
    const x = xMode === "step" ? a.first_step : xMode === "time" && a.ts ? a.ts / 1e9 : null;
    if (x === null || x === undefined) continue;
    marks.push({ x, level: a.level, title: `${a.rule} · ${a.message}` });
  }
  return marks;
}

export function pointsNote(s) {
  const odd = s.nonfinite?.length ? ` · ${s.nonfinite.length} non-finite` : "";
  const drawn = s.count > s.x.length ? ` (${s.x.length.toLocaleString()} drawn)` : "";
  return `${s.count.toLocaleString()} points${drawn}${odd}`;
}
