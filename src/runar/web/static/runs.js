// The Runs page: every run in a table, paged from the API as the user scrolls; sort by any
// column, filter with the query language of `runar ls --where`, select runs to compare; rows change live.

import { html, useCallback, useEffect, useMemo, useRef, useState } from "./vendor/preact-htm.standalone.js";
import { getJSON, live } from "./api.js";
import { Status, Tags } from "./widgets.js";
import { fmtDuration, fmtTime, fmtValue } from "./format.js";

const PAGE = 100;
const MAX_REFRESH_ROWS = 1000;
const MAX_AUTO_COLUMNS = 5;
const COLUMNS_KEY = "runar.columns";

/** Config and metric columns worth showing: config keys whose values differ, common metrics. */
function autoColumns(rows) {
  const config = new Map();
  const metrics = new Map();
  for (const row of rows) {
    for (const [k, v] of Object.entries(row.config || {})) {
      if (!config.has(k)) config.set(k, new Set());
      config.get(k).add(JSON.stringify(v));
    }
    for (const k of Object.keys(row.metrics || {})) metrics.set(k, (metrics.get(k) || 0) + 1);
  }
  const varying = [...config.entries()].filter(([, vals]) => vals.size > 1).map(([k]) => k);
  const cfg = (varying.length ? varying : [...config.keys()]).slice(0, MAX_AUTO_COLUMNS);
  const met = [...metrics.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k).slice(0, MAX_AUTO_COLUMNS);
  return {
    all: [...[...config.keys()].map((k) => `config.${k}`), ...[...metrics.keys()].sort().map((k) => `metrics.${k}`)],
    auto: [...cfg.map((k) => `config.${k}`), ...met.map((k) => `metrics.${k}`)],
  };
}

function loadChosen() {
  try {
    const saved = JSON.parse(localStorage.getItem(COLUMNS_KEY) || "null");
    return Array.isArray(saved) ? saved : null;
  } catch {
    return null;
  }
}

function durationOf(row) {
  if (row.duration_s !== null && row.duration_s !== undefined) return row.duration_s;
  if (row.status === "running" && row.started_at) return (Date.now() - new Date(row.started_at)) / 1000;
  return null;
}

function cellValue(row, column) {
  if (column.startsWith("config.")) return fmtValue(row.config?.[column.slice(7)]);
  if (column.startsWith("metrics.")) return fmtValue(row.metrics?.[column.slice(8)]);
  return "";
}

function SortHeader({ column, label, sort, onSort, numeric }) {
  const active = sort === column || sort === `-${column}`;
  const arrow = !active ? "" : sort.startsWith("-") ? " ▼" : " ▲";
  return html`<th class=${numeric ? "num" : ""} title=${column} aria-sort=${!active ? "none" : sort.startsWith("-") ? "descending" : "ascending"}>
    <button class="sort" data-column=${column} onClick=${() => onSort(column)}>${label}${arrow}</button>
  </th>`;
}

/** The project in the URL: a name, "all" for every project, or null to take the server's default. */
function projectParam(params) {
  if (!params.has("project")) return null;
  const value = params.get("project");
  return value === "all" ? "" : value;
}

export function RunsPage({ params }) {
  const [where, setWhere] = useState(params.get("where") || "");
  // "" = every project; null = not decided yet (the server says which one `runar ls` would show)
  const [project, setProject] = useState(() => projectParam(params));
  const [projects, setProjects] = useState([]);
  const [draft, setDraft] = useState(params.get("where") || "");
  const [sort, setSort] = useState(params.get("sort") || "-started_at");
  const [rows, setRows] = useState([]);
  const [total, setTotal] = useState(null);
  const [cursor, setCursor] = useState(null);
  const [error, setError] = useState(null);
  const [loading, setLoading] = useState(true);
  const [selected, setSelected] = useState(() => new Set());
  const [chosen, setChosen] = useState(loadChosen);
  const generation = useRef(0);
  const rowsRef = useRef(rows);
  rowsRef.current = rows;
  const sentinel = useRef(null);

  const fetchProjects = useCallback(async () => {
    try {
      const answer = await getJSON("/api/projects");
      setProjects(answer.projects);
      setProject((current) => (current === null ? answer.current || "" : current));
    } catch {
      setProject((current) => (current === null ? "" : current));
    }
  }, []);

  useEffect(() => {
    fetchProjects();
  }, [fetchProjects]);

  const fetchFirst = useCallback(
    async (limit = PAGE) => {
      if (project === null) return;
      const mine = ++generation.current;
      try {
        const page = await getJSON("/api/runs", { where, sort, limit, project });
        if (mine !== generation.current) return;
        setRows(page.runs);
        setTotal(page.total);
        setCursor(page.next_cursor);
        setError(null);
      } catch (err) {
        if (mine !== generation.current) return;
        setError(err.message);
        if (err.status === 400) {
          setRows([]);
          setTotal(0);
          setCursor(null);
        }
      } finally {
        if (mine === generation.current) setLoading(false);
      }
    },
    [where, sort, project],
  );

  useEffect(() => {
    if (project === null) return;
    setLoading(true);
    fetchFirst();
    const hash = new URLSearchParams();
    if (where) hash.set("where", where);
    if (projects.length > 1 || project) hash.set("project", project || "all");
    if (sort !== "-started_at") hash.set("sort", sort);
    const qs = hash.toString();
    history.replaceState(null, "", `#/${qs ? `?${qs}` : ""}`);
  }, [fetchFirst, projects.length]);

  const loadMore = useCallback(async () => {
    if (!cursor || loading) return;
    const mine = generation.current;
    setLoading(true);
    try {
      const page = await getJSON("/api/runs", { where, sort, limit: PAGE, cursor, project });
      if (mine !== generation.current) return;
      const seen = new Set(rowsRef.current.map((r) => r.id));
      setRows([...rowsRef.current, ...page.runs.filter((r) => !seen.has(r.id))]);
      setTotal(page.total);
      setCursor(page.next_cursor);
    } catch (err) {
      setError(err.message);
    } finally {
      setLoading(false);
    }
  }, [cursor, loading, where, sort, project]);

  // Scrolling near the end of the table loads the next page.
  useEffect(() => {
    if (!sentinel.current) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) loadMore();
    }, { rootMargin: "400px" });
    observer.observe(sentinel.current);
    return () => observer.disconnect();
  }, [loadMore]);

  // Live: known rows are replaced in place; an unknown id means a new run, so the loaded
  // range is fetched again in the current sort and filter (the server decides where it goes).
  useEffect(() => {
    let timer = null;
    const refetch = () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        fetchFirst(Math.min(MAX_REFRESH_ROWS, Math.max(PAGE, rowsRef.current.length)));
        fetchProjects(); // a new run may start a new project
      }, 250);
    };
    const unsubscribe = live.subscribe((message) => {
      if (message.reset) return refetch();
      if (!message.changed) return;
      const byId = new Map(message.changed.map((r) => [r.id, r]));
      const removed = new Set(message.removed);
      const current = rowsRef.current;
      const known = new Set(current.map((r) => r.id));
      const next = current.filter((r) => !removed.has(r.id)).map((r) => byId.get(r.id) || r);
      if (removed.size || message.changed.some((r) => known.has(r.id))) setRows(next);
      if (message.changed.some((r) => !known.has(r.id)) || removed.size) refetch();
    });
    return () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
    };
  }, [fetchFirst, fetchProjects]);

  const columns = useMemo(() => autoColumns(rows), [rows]);
  const shown = chosen || columns.auto;

  const onSort = (column) => {
    const numericFirst = column === "started_at" || column === "duration_s" || column.startsWith("metrics.");
    if (sort === column) setSort(`-${column}`);
    else if (sort === `-${column}`) setSort(column);
    else setSort(numericFirst ? `-${column}` : column);
  };

  const toggle = (id) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };

  const toggleColumn = (column) => {
    const base = chosen || columns.auto;
    const next = base.includes(column) ? base.filter((c) => c !== column) : [...base, column];
    setChosen(next);
    localStorage.setItem(COLUMNS_KEY, JSON.stringify(next));
  };

  const compare = () => {
    location.hash = `#/compare?runs=${[...selected].map(encodeURIComponent).join(",")}`;
  };

  const header = (label, column, numeric = false) =>
    html`<${SortHeader} column=${column} label=${label} sort=${sort} onSort=${onSort} numeric=${numeric} />`;

  return html`
    <section class="runs-page">
      <div class="toolbar">
        <form class="filter" onSubmit=${(e) => { e.preventDefault(); setWhere(draft.trim()); }}>
          <input
            type="search"
            name="where"
            placeholder="filter: config.lr < 1e-3 and (metrics.acc > 0.9 or tag:baseline)"
            value=${draft}
            onInput=${(e) => setDraft(e.currentTarget.value)}
            aria-label="filter runs"
          />
          <button type="submit">Filter</button>
          ${where && html`<button type="button" class="ghost" onClick=${() => { setDraft(""); setWhere(""); }}>Clear</button>`}
        </form>
        ${(projects.length > 1 || project) && html`<select
          class="project"
          aria-label="project"
          value=${project || ""}
          onChange=${(e) => { setSelected(new Set()); setProject(e.currentTarget.value); }}
        >
          <option value="">All projects</option>
          ${projects.map((p) => html`<option key=${p.project} value=${p.project}>${p.project} (${p.runs})</option>`)}
          ${project && !projects.some((p) => p.project === project) && html`<option value=${project}>${project} (0)</option>`}
        </select>`}
        <span class="count">${total === null ? "" : `${rows.length.toLocaleString()} of ${total.toLocaleString()} runs`}</span>
        <details class="columns">
          <summary>Columns</summary>
          <div class="column-list">
            ${columns.all.length === 0 && html`<p class="muted">No config or metrics yet.</p>`}
            ${columns.all.map((c) => html`<label key=${c}>
              <input type="checkbox" checked=${shown.includes(c)} onChange=${() => toggleColumn(c)} /> ${c}
            </label>`)}
            ${chosen && html`<button class="ghost" onClick=${() => { setChosen(null); localStorage.removeItem(COLUMNS_KEY); }}>Automatic</button>`}
          </div>
        </details>
        <button class="primary" disabled=${selected.size < 1} onClick=${compare}>
          Compare${selected.size ? ` ${selected.size}` : ""}
        </button>
      </div>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <div class="table-wrap">
        <table class="runs">
          <thead>
            <tr>
              <th class="select"></th>
              ${header("status", "status")}
              ${header("name", "name")}
              ${header("tags", "tags")}
              ${header("started", "started_at")}
              ${header("duration", "duration_s", true)}
              ${shown.map((c) => html`${header(c.replace(/^(metrics|config)\./, ""), c, true)}`)}
            </tr>
          </thead>
          <tbody>
            ${rows.map((row) => html`
              <tr key=${row.id} data-run=${row.id} class=${selected.has(row.id) ? "selected" : ""}>
                <td class="select"><input type="checkbox" aria-label=${`select ${row.name}`} checked=${selected.has(row.id)} onChange=${() => toggle(row.id)} /></td>
                <td><${Status} status=${row.status} /></td>
                <td class="name">
                  <a href=${`#/run/${encodeURIComponent(row.id)}`}>${row.name || row.short_id}</a>
                  <span class="id">${row.short_id}</span>
                  ${row.error && html`<div class="row-error" title=${row.error}>${row.error}</div>`}
                </td>
                <td><${Tags} tags=${row.tags} /></td>
                <td class="time" title=${row.started_at || ""}>${fmtTime(row.started_at)}</td>
                <td class="num">${fmtDuration(durationOf(row))}</td>
                ${shown.map((c) => html`<td class="num" key=${c}>${cellValue(row, c)}</td>`)}
              </tr>`)}
          </tbody>
        </table>
        ${!loading && rows.length === 0 && !error && html`<p class="empty">${where ? "No run matches this filter." : "No runs yet: run a script with `runar train.py` and it appears here."}</p>`}
        <div ref=${sentinel} class="sentinel">${loading ? "Loading…" : cursor ? "" : ""}</div>
      </div>
    </section>
  `;
}
