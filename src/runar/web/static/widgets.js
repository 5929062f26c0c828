// Small pieces several pages share. Everything renders text through Preact, never as HTML.

import { html, useState } from "./vendor/preact-htm.standalone.js";
import { fmtValue } from "./format.js";

export function Status({ status }) {
  return html`<span class=${`status status-${status || "unknown"}`}>${status || "?"}</span>`;
}

export function Tags({ tags }) {
  if (!tags || !tags.length) return null;
  return html`<span class="tags">${tags.map((t) => html`<span class="tag" key=${t}>${t}</span>`)}</span>`;
}

export function Tabs({ tabs, active, hrefFor }) {
  return html`<nav class="tabs" role="tablist">
    ${tabs.map(([id, label]) => html`<a key=${id} role="tab" href=${hrefFor(id)} class=${id === active ? "active" : ""} aria-selected=${id === active}>${label}</a>`)}
  </nav>`;
}

const isNode = (v) => v !== null && typeof v === "object" && "props" in v && "type" in v;

/** A two-column table of label → value; values that are arrays or objects show as JSON. */
export function Fields({ rows }) {
  const shown = rows.filter(([, v]) => v !== null && v !== undefined && v !== "");
  return html`<table class="fields"><tbody>
    ${shown.map(([k, v]) => html`<tr key=${k}><th>${k}</th><td>${isNode(v) ? v : fmtValue(v)}</td></tr>`)}
  </tbody></table>`;
}

/** Nested config as an indented tree: groups fold, leaves show their value. */
export function ConfigTree({ value, depth = 0 }) {
  const entries = Object.entries(value || {});
  if (!entries.length) return depth === 0 ? html`<p class="muted">No config.</p>` : null;
  return html`<ul class=${depth === 0 ? "tree root" : "tree"}>
    ${entries.map(([k, v]) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? html`<li key=${k}><details open><summary class="key">${k}</summary><${ConfigTree} value=${v} depth=${depth + 1} /></details></li>`
        : html`<li key=${k}><span class="key">${k}</span> <span class="val">${fmtValue(v)}</span></li>`,
    )}
  </ul>`;
}

/** A long key/value listing (environment, packages) with a filter box. */
export function FilteredTable({ entries, placeholder, empty }) {
  const [needle, setNeedle] = useState("");
  const n = needle.toLowerCase();
  const shown = n ? entries.filter(([k, v]) => `${k} ${v}`.toLowerCase().includes(n)) : entries;
  if (!entries.length) return html`<p class="muted">${empty}</p>`;
  return html`<div class="filtered">
    <input type="search" placeholder=${placeholder} value=${needle} onInput=${(e) => setNeedle(e.currentTarget.value)} />
    <table class="fields"><tbody>
      ${shown.map(([k, v]) => html`<tr key=${k}><th>${k}</th><td>${fmtValue(v)}</td></tr>`)}
    </tbody></table>
  </div>`;
}

export function Loading({ what }) {
  return html`<p class="muted loading">Loading ${what}…</p>`;
}

export function ErrorLine({ error }) {
  return error ? html`<p class="error" role="alert">${error}</p>` : null;
}
