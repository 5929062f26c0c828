// The Run page's logs: captured stdout/stderr with ANSI colours, search, and follow for a
// live run (new chunks are asked for with `after=` the position already read).

import { html, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "./vendor/preact-htm.standalone.js";
import { getJSON, onRunsChanged, runPath } from "./api.js";
import { freshState, lastRedraw, parseAnsi, stripAnsi } from "./ansi.js";
import { ErrorLine, Loading } from "./widgets.js";

const BATCH = 2000;
const MAX_SHOWN = 5000;

/** Chunks → lines, each tagged with its stream; a chunk may end mid-line. */
function appendChunks(lines, chunks) {
  const out = lines.slice();
  for (const chunk of chunks) {
    const parts = chunk.text.split("\n");
    parts.forEach((part, i) => {
      const prev = out[out.length - 1];
      if (i === 0 && prev && !prev.closed && prev.stream === chunk.stream) {
        out[out.length - 1] = { ...prev, text: prev.text + part };
      } else if (part !== "" || i < parts.length - 1) {
        out.push({ stream: chunk.stream, text: part, closed: false });
      }
      if (i < parts.length - 1) out[out.length - 1] = { ...out[out.length - 1], closed: true };
    });
  }
  return out;
}

function Highlighted({ text, needle }) {
  if (!needle) return text;
  const lower = text.toLowerCase();
  const parts = [];
  let at = 0;
  let hit;
  while ((hit = lower.indexOf(needle, at)) >= 0) {
    if (hit > at) parts.push(text.slice(at, hit));
    parts.push(html`<mark>${text.slice(hit, hit + needle.length)}</mark>`);
    at = hit + needle.length;
  }
  parts.push(text.slice(at));
  return parts;
}

export function LogsTab({ run }) {
  const [lines, setLines] = useState(null);
  const [error, setError] = useState(null);
  const [needle, setNeedle] = useState("");
  const [stream, setStream] = useState("all");
  const [follow, setFollow] = useState(run.status === "running");
  const next = useRef(0);
  const busy = useRef(false);
  const box = useRef(null);
  const linesRef = useRef([]);

  const again = useRef(false);

  const load = useCallback(async () => {
    // A live update during a fetch must not be lost: the running fetch goes round once more.
    if (busy.current) {
      again.current = true;
      return;
    }
    busy.current = true;
    try {
      for (;;) {
        again.current = false;
        const page = await getJSON(`${runPath(run.id)}/logs`, { after: next.current, limit: BATCH });
        if (page.chunks.length) {
          linesRef.current = appendChunks(linesRef.current, page.chunks);
        }
        next.current = page.next;
        if (page.chunks.length < BATCH && !again.current) break;
      }
      setLines(linesRef.current);
      setError(null);
    } catch (err) {
      setError(err.message);
      if (!linesRef.current.length) setLines([]);
    } finally {
      busy.current = false;
    }
  }, [run.id]);

  useEffect(() => {
    next.current = 0;
    linesRef.current = [];
    load();
  }, [load]);
  useEffect(() => onRunsChanged([run.id], load, 250), [run.id, load]);

  useLayoutEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines, follow, needle, stream]);

  const rendered = useMemo(() => {
    if (!lines) return { rows: [], matching: 0 };
    const n = needle.toLowerCase();
    const states = { stdout: freshState(), stderr: freshState() };
    const rows = [];
    lines.forEach((line, i) => {
      const text = lastRedraw(line.text);
      const segments = parseAnsi(text, states[line.stream] || (states[line.stream] = freshState()));
      if (stream !== "all" && line.stream !== stream) return;
      if (n && !stripAnsi(text).toLowerCase().includes(n)) return;
      rows.push({ i, stream: line.stream, segments });
    });
    return { rows: rows.slice(-MAX_SHOWN), matching: rows.length };
  }, [lines, needle, stream]);

  if (lines === null) return error ? html`<${ErrorLine} error=${error} />` : html`<${Loading} what="logs" />`;
  const n = needle.toLowerCase();
  return html`<div class="logs-tab">
    <div class="chart-controls">
      <input type="search" name="search" placeholder="search the output" value=${needle} onInput=${(e) => setNeedle(e.currentTarget.value)} />
      <label>stream
        <select name="stream" value=${stream} onChange=${(e) => setStream(e.currentTarget.value)}>
          <option value="all">all</option><option value="stdout">stdout</option><option value="stderr">stderr</option>
        </select>
      </label>
      <label><input type="checkbox" name="follow" checked=${follow} onChange=${(e) => setFollow(e.currentTarget.checked)} /> follow</label>
      <span class="muted">${needle ? `${rendered.matching.toLocaleString()} of ` : ""}${lines.length.toLocaleString()} lines${rendered.matching > MAX_SHOWN ? ` · the last ${MAX_SHOWN.toLocaleString()} shown` : ""}</span>
    </div>
    <${ErrorLine} error=${error} />
    ${lines.length === 0 ? html`<p class="muted">No output captured.</p>` : html`<div class="log" ref=${box}>
      ${rendered.rows.map((row) => html`<div key=${row.i} class=${`line ${row.stream}`}>
        <span class="ln">${row.i + 1}</span><span class="text">${row.segments.map((s, j) => html`<span key=${j} style=${s.style}><${Highlighted} text=${s.text} needle=${n} /></span>`)}</span>
      </div>`)}
    </div>`}
  </div>`;
}
