// The Sweeps pages: every `runar sweep` in a table, and one sweep's points (swept values,
// status, final metric, the best marked ★) with a scatter of a metric against a swept key.
// Both stay current through the tab's live stream, like the Run page.

import { html, useCallback, useEffect, useMemo, useRef, useState } from "./vendor/preact-htm.standalone.js";
import { decodeValue, getJSON, live } from "./api.js";
import { debug } from "./debug.js";
import { fmtDuration, fmtNumber, fmtTime, fmtValue } from "./format.js";
import { ErrorLine, Loading, Status } from "./widgets.js";
import { SweepChart } from "./sweep_chart.js";
import { paramOf } from "./sweep_scale.js";

const REFRESH_MS = 400;
// The sweep's own record is not on the stream (it is not a run): while a sweep runs, its
// queued → running → ended changes that no run row shows are picked up this often.
const RUNNING_POLL_MS = 3000;

export const sweepPath = (ref) => `/api/sweeps/${encodeURIComponent(ref)}`;
export const sweepHref = (ref) => `#/sweep/${encodeURIComponent(ref)}`;

const isoOfNs = (ns) => (ns ? new Date(ns / 1e6).toISOString() : null);

/** Refetch with `load` when a changed run passes `wanted(row)` (or after a reset), throttled. */
function useLiveReload(load, wanted, poll) {
  const pending = useRef(null);
  useEffect(() => {
    const fire = () => {
      if (pending.current) return;
      pending.current = setTimeout(() => {
        pending.current = null;
        load();
      }, REFRESH_MS);
    };
    const unsubscribe = live.subscribe((message) => {
      if (message.reset) return fire();
      if (message.changed && message.changed.some((row) => wanted.current(row))) fire();
    });
    const timer = poll ? setInterval(load, RUNNING_POLL_MS) : null;
    return () => {
      unsubscribe();
      if (timer) clearInterval(timer);
      if (pending.current) clearTimeout(pending.current);
      pending.current = null;
    };
  }, [load, poll]);
}

function countsText(counts) {
  const order = ["completed", "running", "failed", "killed", "stopped", "crashed", "queued"];
  return order.filter((s) => counts?.[s]).map((s) => `${counts[s]} ${s}`).join(", ");
}

function spaceText(space) {
  return Object.entries(space || {}).map(([k, v]) => `${k} ${v}`).join("  ");
}

export function SweepsPage() {
  const [state, setState] = useState({ sweeps: null, error: null });
  const load = useCallback(async () => {
    try {
      const answer = await getJSON("/api/sweeps");
      setState({ sweeps: answer.sweeps, error: null });
    } catch (err) {
      setState((previous) => ({ sweeps: previous.sweeps, error: err.message }));
    }
  }, []);
  useEffect(() => {
    load();
  }, [load]);
  const wanted = useRef((row) => !!row.sweep);
  const running = (state.sweeps || []).some((s) => s.status === "running");
  useLiveReload(load, wanted, running);

  const { sweeps, error } = state;
  if (!sweeps) return error ? html`<${ErrorLine} error=${error} />` : html`<${Loading} what="sweeps" />`;
  return html`<section class="sweeps-page">
    <h1>Sweeps</h1>
    <${ErrorLine} error=${error} />
    ${sweeps.length === 0
      ? html`<p class="muted">No sweeps yet: <code>runar sweep train.py --lr 1e-3,1e-4</code> starts one.</p>`
      : html`<div class="table-wrap"><table class="runs sweeps">
      <thead><tr><th>name</th><th>status</th><th>points</th><th>script</th><th>space</th><th>created</th></tr></thead>
      <tbody>
        ${sweeps.map((s) => html`<tr key=${s.id} data-id=${s.id}>
          <td class="name"><a href=${sweepHref(s.id)}>${s.name || s.id.slice(0, 8)}</a></td>
          <td><${Status} status=${s.status} /></td>
          <td>${s.points}: ${countsText(s.counts)}</td>
          <td>${s.script}</td>
          <td class="mono">${spaceText(s.space)}</td>
          <td class="time">${fmtTime(isoOfNs(s.created_ts))}</td>
        </tr>`)}
      </tbody>
    </table></div>`}
  </section>`;
}

function compare(a, b) {
  const missing = (v) => v === null || v === undefined || (typeof v === "number" && Number.isNaN(v));
  if (missing(a) && missing(b)) return 0;
  if (missing(a)) return 1; // missing values last, whichever way the column sorts
  if (missing(b)) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

/** The column a header sorts by → a point's value in it. */
function columnValue(point, column) {
  if (column === "index") return point.index;
  if (column === "status") return point.status;
  if (column === "duration_s") return point.duration_s;
  if (column.startsWith("metrics.")) return decodeValue(point.metrics?.[column.slice(8)]);
  if (column.startsWith("param:")) return paramOf(point, column.slice(6));
  return null;
}

export function sortPoints(points, sort) {
  const descending = sort.startsWith("-");
  const column = sort.replace(/^-/, "");
  const rows = [...points];
  rows.sort((p, q) => {
    const a = columnValue(p, column);
    const b = columnValue(q, column);
    const missing = (v) => v === null || v === undefined || (typeof v === "number" && Number.isNaN(v));
    if (missing(a) || missing(b)) return compare(a, b);
    return descending ? compare(b, a) : compare(a, b);
  });
  return rows;
}

function SortHeader({ column, label, sort, onSort, numeric }) {
  const active = sort === column || sort === `-${column}`;
  const arrow = !active ? "" : sort.startsWith("-") ? " ▼" : " ▲";
  const order = !active ? "none" : sort.startsWith("-") ? "descending" : "ascending";
  return html`<th class=${numeric ? "num" : ""} aria-sort=${order}>
    <button class="sort" data-column=${column} onClick=${() => onSort(column)}>${label}${arrow}</button>
  </th>`;
}

/** The metrics worth a column: the ranking metric first, then the keys most points logged. */
function metricColumns(points, metric, most = 4) {
  const counts = new Map();
  for (const p of points) for (const k of Object.keys(p.metrics || {})) counts.set(k, (counts.get(k) || 0) + 1);
  const others = [...counts.entries()]
    .filter(([k]) => k !== metric)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k]) => k);
  return [...(metric ? [metric] : []), ...others].slice(0, most);
}

export function SweepPage({ sweepRef }) {
  const [state, setState] = useState({ sweep: null, error: null });
  const [sort, setSort] = useState("index");
  const load = useCallback(async () => {
    try {
      const sweep = await getJSON(sweepPath(sweepRef));
      debug.sweepLoads = (debug.sweepLoads || 0) + 1;
      setState({ sweep, error: null });
    } catch (err) {
      setState((previous) => ({ sweep: previous.sweep, error: err.message }));
    }
  }, [sweepRef]);
  useEffect(() => {
    load();
  }, [load]);
  const sweep = state.sweep;
  const wanted = useRef(() => false);
  wanted.current = (row) =>
    !!sweep && (row.sweep === sweep.name || sweep.points.some((p) => p.run_id === row.id));
  useLiveReload(load, wanted, sweep?.status === "running");

  const options = useMemo(() => Object.keys(sweep?.space || {}), [sweep]);
  const metrics = useMemo(() => (sweep ? metricColumns(sweep.points, sweep.metric) : []), [sweep]);
  if (!sweep) return state.error ? html`<${ErrorLine} error=${state.error} />` : html`<${Loading} what="the sweep" />`;

  const onSort = (column) => setSort(sort === column ? `-${column}` : column);
  const rows = sortPoints(sweep.points, sort);
  const best = sweep.best;
  return html`<section class="sweep-page">
    <div class="run-head">
      <h1>${sweep.name || sweep.id.slice(0, 8)}</h1>
      <${Status} status=${sweep.status} />
      <span class="id" title=${sweep.id}>${sweep.id}</span>
      <span class="spacer"></span>
      <span class="muted">${fmtTime(isoOfNs(sweep.created_ts))}</span>
    </div>
    <${ErrorLine} error=${state.error} />
    <p class="sweep-summary">
      <span class="mono">${sweep.script} ${spaceText(sweep.space)}</span>
      <span class="muted"> · ${sweep.points.length} points: ${countsText(sweep.counts)}</span>
      ${sweep.metric && html`<span class="muted"> · ranked by ${sweep.metric} (${sweep.mode === "max" ? "higher" : "lower"} is better)</span>`}
      ${best && html`<span class="best-line"> · best ★ point ${best.index}: ${fmtNumber(best.value)}</span>`}
    </p>
    <${SweepChart} points=${sweep.points} options=${options} space=${sweep.space} metrics=${metrics} metric=${sweep.metric} mode=${sweep.mode} />
    <div class="table-wrap"><table class="runs sweep-points">
      <thead><tr>
        <${SortHeader} column="index" label="#" sort=${sort} onSort=${onSort} numeric=${true} />
        ${options.map((o) => html`<${SortHeader} key=${o} column=${`param:${o}`} label=${o} sort=${sort} onSort=${onSort} numeric=${true} />`)}
        <${SortHeader} column="status" label="status" sort=${sort} onSort=${onSort} />
        ${metrics.map((m) => html`<${SortHeader} key=${m} column=${`metrics.${m}`} label=${m} sort=${sort} onSort=${onSort} numeric=${true} />`)}
        <${SortHeader} column="duration_s" label="duration" sort=${sort} onSort=${onSort} numeric=${true} />
        <th>run</th>
      </tr></thead>
      <tbody>
        ${rows.map((p) => html`<tr key=${p.index} data-index=${p.index} class=${p.best ? "best" : ""}>
          <td class="num">${p.index}${p.best ? html` <span class="star" title="the best completed point">★</span>` : ""}</td>
          ${options.map((o) => html`<td key=${o} class="num mono" data-option=${o}>${fmtValue(paramOf(p, o))}</td>`)}
          <td><${Status} status=${p.status} /></td>
          ${metrics.map((m) => html`<td key=${m} class="num" data-metric=${m}>${fmtValue(p.metrics?.[m])}</td>`)}
          <td class="num time">${fmtDuration(p.duration_s)}</td>
          <td>${p.run_id ? html`<a href=${`#/run/${encodeURIComponent(p.run_id)}`}>${p.run_id.slice(0, 8)}</a>` : html`<span class="muted">—</span>`}</td>
        </tr>`)}
      </tbody>
    </table></div>
  </section>`;
}
