// The Run page's overview: how the run was started, where its code came from, what it set.

import { html } from "./vendor/preact-htm.standalone.js";
import { ConfigTree, FilteredTable, Fields, Tags } from "./widgets.js";
import { fmtDuration, fmtNumber, fmtTime, fmtValue } from "./format.js";

/** "ValueError: bad shape" once, whether or not the reason already names the type. */
export function errorLine(record) {
  const { error, error_type: type } = record;
  if (!error) return "";
  return type && !error.startsWith(type) ? `${type}: ${error}` : error;
}

function Card({ title, children, wide = false }) {
  return html`<section class=${wide ? "card wide" : "card"}><h2>${title}</h2>${children}</section>`;
}

function gitRows(git) {
  if (!git) return [["git", "not a git repository"]];
  return [
    ["commit", git.commit ? html`<code title=${git.commit}>${git.commit.slice(0, 12)}</code>` : null],
    ["branch", git.branch],
    ["dirty", git.dirty ? "yes: uncommitted changes were snapshotted" : "no"],
    ["snapshot", git.snapshot ? html`<code title=${git.snapshot}>${git.snapshot.slice(0, 12)}</code>` : null],
    ["snapshot copy", git.snapshot_dir],
    ["remote", git.remote],
    ["repository", git.root],
  ];
}

function MetricsTable({ metrics }) {
  const keys = Object.keys(metrics || {}).sort();
  if (!keys.length) return html`<p class="muted">No metrics.</p>`;
  return html`<table class="grid"><thead><tr>
      <th>key</th><th class="num">last</th><th class="num">min</th><th class="num">max</th><th class="num">points</th><th class="num">last step</th>
    </tr></thead><tbody>
    ${keys.map((k) => {
      const m = metrics[k];
      return html`<tr key=${k}><td>${k}</td><td class="num">${fmtNumber(m.last)}</td><td class="num">${fmtNumber(m.min)}</td>
        <td class="num">${fmtNumber(m.max)}</td><td class="num">${fmtValue(m.count)}</td><td class="num">${fmtValue(m.last_step)}</td></tr>`;
    })}
  </tbody></table>`;
}

/** '200' or '512–640': the steps an anomaly covers. */
function anomalySteps(a) {
  return a.last_step == null || a.last_step === a.first_step ? `${a.first_step}` : `${a.first_step}–${a.last_step}`;
}

export function Overview({ record: r }) {
  const command = Array.isArray(r.command) ? r.command.join(" ") : r.command;
  const summary = Object.entries(r.summary || {});
  return html`<div class="overview">
    <${Card} title="Command" wide=${true}>
      <pre class="command">${command || "(none recorded)"}</pre>
      ${r.arguments?.args?.length ? html`<p class="muted">arguments: <code>${r.arguments.args.join(" ")}</code></p>` : null}
    <//>
    ${r.traceback && html`<${Card} title="Error" wide=${true}>
      <p class="run-error">${errorLine(r)}</p>
      <pre class="traceback">${r.traceback}</pre>
    <//>`}
    ${r.anomalies?.length > 0 && html`<${Card} title="Anomalies" wide=${true}>
      <ul class="anomalies">${r.anomalies.map((a, i) => html`<li key=${i} class=${`anomaly ${a.level}`}>
        <span class="muted">${a.rule}${a.first_step == null ? "" : ` · step ${anomalySteps(a)}`}</span> ${a.message}
      </li>`)}</ul>
    <//>`}
    <${Card} title="Status">
      <${Fields} rows=${[
        ["status", r.status],
        ["started", fmtTime(r.created)],
        ["ended", fmtTime(r.ended)],
        ["duration", fmtDuration(r.duration_s)],
        ["exit code", r.exit_code],
        ["signal", r.signal],
        ["error", r.traceback ? null : errorLine(r) || null],
      ]} />
    <//>
    <${Card} title="Code">
      <${Fields} rows=${gitRows(r.git)} />
    <//>
    <${Card} title="Config">
      <${ConfigTree} value=${r.config} />
    <//>
    <${Card} title="Where">
      <${Fields} rows=${[
        ["host", r.host],
        ["user", r.user],
        ["directory", r.cwd],
        ["python", r.python],
        ["executable", r.executable],
        ["platform", r.platform],
        ["pid", r.pid],
        ["source", r.source],
      ]} />
    <//>
    <${Card} title="Tags and notes">
      ${r.tags?.length ? html`<${Tags} tags=${r.tags} />` : html`<p class="muted">No tags.</p>`}
      ${(r.notes || []).map((n, i) => html`<blockquote class="note" key=${i}><span class="muted">${fmtTime(n.ts)}</span> ${n.text}</blockquote>`)}
    <//>
    ${summary.length > 0 && html`<${Card} title="Summary">
      <${Fields} rows=${summary.map(([k, v]) => [k, fmtValue(v)])} />
    <//>`}
    <${Card} title="Metrics" wide=${true}>
      <${MetricsTable} metrics=${r.metrics} />
    <//>
    <${Card} title="Environment (secrets redacted)" wide=${true}>
      <${FilteredTable} entries=${Object.entries(r.env || {}).sort()} placeholder="filter variables" empty="No environment recorded." />
    <//>
    <${Card} title="Packages" wide=${true}>
      <${FilteredTable} entries=${Object.entries(r.packages || {}).sort()} placeholder="filter packages" empty="No packages recorded." />
    <//>
  </div>`;
}
