// The Compare page: N runs overlaid per metric with one legend, each run's anomalies marked
// on its curve in its colour, and a config table that highlights the keys whose values differ.

import { html, useCallback, useEffect, useRef, useState } from "./vendor/preact-htm.standalone.js";
import { getJSON, onRunsChanged, runPath } from "./api.js";
import { Chart } from "./chart.js";
import { ChartControls, useChartSettings } from "./controls.js";
import { POINTS } from "./metrics.js";
import { colorAt, fmtValue } from "./format.js";
import { ErrorLine, Loading, Status } from "./widgets.js";

/** {"optim": {"lr": 1}} → {"optim.lr": 1}. */
export function flatten(value, prefix = "", out = {}) {
  for (const [k, v] of Object.entries(value || {})) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length) flatten(v, key, out);
    else out[key] = v;
  }
  return out;
}

function DiffTable({ records, title, rowsOf }) {
  const [onlyDiff, setOnlyDiff] = useState(false);
  const values = records.map(rowsOf);
  const keys = [...new Set(values.flatMap((v) => Object.keys(v)))].sort();
  const differs = (k) => new Set(values.map((v) => (k in v ? JSON.stringify(v[k]) : "\u0000missing"))).size > 1;
  const shown = keys.filter((k) => !onlyDiff || differs(k));
  const nDiff = keys.filter(differs).length;
  return html`<section class="card wide diff">
    <h2>${title} <span class="muted">${nDiff} of ${keys.length} differ</span>
      <label class="inline"><input type="checkbox" checked=${onlyDiff} onChange=${(e) => setOnlyDiff(e.currentTarget.checked)} /> only differences</label>
    </h2>
    ${keys.length === 0 ? html`<p class="muted">Nothing recorded.</p>` : html`<div class="table-wrap"><table class="grid">
      <thead><tr><th>key</th>${records.map((r, i) => html`<th key=${r.id}><span class="swatch" style=${{ background: colorAt(i) }}></span>${r.name || r.short_id}</th>`)}</tr></thead>
      <tbody>
        ${shown.map((k) => html`<tr key=${k} class=${differs(k) ? "differs" : ""} data-key=${k}>
          <th>${k}</th>${values.map((v, i) => html`<td key=${i} class=${k in v ? "" : "missing"}>${k in v ? fmtValue(v[k]) : "—"}</td>`)}
        </tr>`)}
      </tbody>
    </table></div>`}
  </section>`;
}

const NO_CURVE = { x: [], y: [], nonfinite: [], count: 0, anomalies: [] }; // a run without the key

/**
 * Each run's anomalies as marks in its line's colour, hidden with its curve. The server
 * placed them on the axis the series were fetched for, as on the Run page (metrics.js).
 */
export function compareMarks(series, colorOf, nameOf) {
  return series.flatMap((s, i) =>
    (s.anomalies || []).map((a) => ({
      x: a.x,
      level: a.level,
      color: colorOf[s.run],
      series: i,
      title: `${nameOf[s.run] || s.run} · ${a.rule} · ${a.message}`,
    })),
  );
}

function caption(series) {
  const odd = series.reduce((n, s) => n + (s.nonfinite?.length || 0), 0);
  const points = series.reduce((n, s) => n + s.count, 0);
  return `${series.length} runs · ${points.toLocaleString()} points${odd ? ` · ${odd} non-finite` : ""}`;
}

export function ComparePage({ runRefs }) {
  const settings = useChartSettings();
  const [records, setRecords] = useState(null);
  const [charts, setCharts] = useState({ xMode: settings.xMode, byKey: {} });
  const latest = useRef(0);
  const [error, setError] = useState(null);

  const loadRecords = useCallback(async () => {
    try {
      setRecords(await Promise.all(runRefs.map((ref) => getJSON(runPath(ref)))));
      setError(null);
    } catch (err) {
      setError(err.message);
    }
  }, [runRefs.join(",")]);

  const ids = records ? records.map((r) => r.id) : [];
  const keys = records ? [...new Set(records.flatMap((r) => Object.keys(r.metrics || {})))].sort() : [];

  const loadSeries = useCallback(async () => {
    if (!ids.length) return;
    try {
      const xMode = settings.xMode;
      const mine = ++latest.current;
      // a run at a time, every key: the run's curves come with its anomalies placed on them
      // (the overlay endpoint, a key at a time, has no run's anomalies)
      const answers = await Promise.all(
        ids.map((id) => getJSON(`${runPath(id)}/metrics`, { x: xMode, points: POINTS })),
      );
      if (mine !== latest.current) return; // a newer request (another axis) went out
      const curves = answers.map((a) => new Map(a.series.map((s) => [s.key, s])));
      const byKey = Object.fromEntries(
        keys.map((key) => [key, ids.map((id, i) => ({ run: id, ...(curves[i].get(key) || NO_CURVE) }))]),
      );
      setCharts({ xMode, byKey });
    } catch (err) {
      setError(err.message);
    }
  }, [ids.join(","), keys.join("\u0000"), settings.xMode]);

  useEffect(() => {
    loadRecords();
  }, [loadRecords]);
  useEffect(() => {
    loadSeries();
  }, [loadSeries]);
  useEffect(
    () => (ids.length ? onRunsChanged(ids, () => { loadRecords(); loadSeries(); }, 300) : undefined),
    [ids.join(","), loadRecords, loadSeries],
  );

  if (!runRefs.length) return html`<p class="muted">Select runs on the <a href="#/">Runs</a> page, then press Compare.</p>`;
  if (!records) return error ? html`<${ErrorLine} error=${error} />` : html`<${Loading} what="runs" />`;
  const colorOf = Object.fromEntries(ids.map((id, i) => [id, colorAt(i)]));
  const nameOf = Object.fromEntries(records.map((r) => [r.id, r.name || r.short_id]));
  return html`<section class="compare-page">
    <h1>Compare ${records.length} runs</h1>
    <ul class="legend">
      ${records.map((r, i) => html`<li key=${r.id}>
        <span class="swatch" style=${{ background: colorAt(i) }}></span>
        <a href=${`#/run/${encodeURIComponent(r.id)}`}>${r.name || r.short_id}</a>
        <span class="id">${r.short_id}</span>
        <${Status} status=${r.status} />
      </li>`)}
    </ul>
    <${ErrorLine} error=${error} />
    <${ChartControls} settings=${settings} />
    ${keys.length === 0 && html`<p class="muted">These runs have logged no metrics.</p>`}
    <div class="chart-grid">
      ${keys.map((key) => {
        const series = charts.byKey[key];
        return html`<figure class="chart-card" key=${key} data-key=${key}>
          <figcaption><span class="chart-title">${key}</span>
            <span class="muted">${series ? caption(series) : ""}</span></figcaption>
          ${series ? html`<${Chart}
            id=${`compare:${key}`}
            series=${series.map((s) => ({ label: nameOf[s.run] || s.name || s.run, color: colorOf[s.run] || colorAt(0), x: s.x, y: s.y, nonfinite: s.nonfinite }))}
            xMode=${charts.xMode}
            smoothing=${settings.smoothing}
            logScale=${settings.logScale}
            sync="compare"
            marks=${compareMarks(series, colorOf, nameOf)}
          />` : html`<${Loading} what=${key} />`}
        </figure>`;
      })}
    </div>
    <${DiffTable} title="Config" records=${records} rowsOf=${(r) => flatten(r.config)} />
    <${DiffTable} title="Last metric values" records=${records} rowsOf=${(r) => Object.fromEntries(Object.entries(r.metrics || {}).map(([k, m]) => [k, m.last]))} />
  </section>`;
}
