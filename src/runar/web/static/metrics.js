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
          marks=${anomalyMarks(s.anomalies)}
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
 * The curve's anomalies as chart marks. The server places each one on the axis the series
 * were fetched for (the x of its first step's point, or of its time when it has no step), so
 * a mark sits on the same point of the curve on the step, time and relative axes.
 */
export function anomalyMarks(anomalies) {
  return (anomalies || []).map((a) => ({ x: a.x, level: a.level, title: `${a.rule} · ${a.message}` }));
}

export function pointsNote(s) {
  const odd = s.nonfinite?.length ? ` · ${s.nonfinite.length} non-finite` : "";
  const drawn = s.count > s.x.length ? ` (${s.x.length.toLocaleString()} drawn)` : "";
  return `${s.count.toLocaleString()} points${drawn}${odd}`;
}
