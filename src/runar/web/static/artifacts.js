// The Run page's artifacts: a list, and a preview of the chosen one (images, JSON, text);
// every artifact can be downloaded. SVG and HTML are never rendered, only downloaded.

import { html, useEffect, useState } from "./vendor/preact-htm.standalone.js";
import { getJSON, runPath } from "./api.js";
import { useRunData } from "./live.js";
import { ErrorLine, Loading } from "./widgets.js";
import { fmtBytes } from "./format.js";

const PREVIEW_BYTES = 512 * 1024;
const RASTER = /\.(png|jpe?g|gif|webp|bmp)$/i;
const TEXT = /\.(txt|log|md|csv|tsv|ya?ml|toml|ini|cfg|py|sh|out|err)$/i;

function previewKind(a) {
  if (RASTER.test(a.name) || (a.kind === "image" && !/\.svg$/i.test(a.name))) return "image";
  if (a.kind === "json" || /\.json$/i.test(a.name)) return "json";
  if (a.kind === "text" || TEXT.test(a.name)) return "text";
  return null;
}

function Preview({ artifact }) {
  const kind = previewKind(artifact);
  const [text, setText] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    setText(null);
    setError(null);
    if (kind !== "json" && kind !== "text") return;
    if (artifact.size > PREVIEW_BYTES) {
      setError(`${fmtBytes(artifact.size)} is too large to preview; download it instead.`);
      return;
    }
    let cancelled = false;
    fetch(artifact.url)
      .then(async (r) => {
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        const body = await r.text();
        if (cancelled) return;
        if (kind === "json") {
          try {
            setText(JSON.stringify(JSON.parse(body), null, 2));
          } catch {
            setText(body);
          }
        } else setText(body);
      })
      .catch((err) => !cancelled && setError(`cannot load ${artifact.name}: ${err.message}`));
    return () => {
      cancelled = true;
    };
  }, [artifact.url, kind]);

  return html`<div class="preview" data-preview=${artifact.name}>
    <div class="preview-head">
      <strong>${artifact.name}</strong>
      <span class="muted">${artifact.kind} · ${fmtBytes(artifact.size)}</span>
      <a class="button" href=${artifact.url} download=${artifact.name.split("/").pop()}>Download</a>
    </div>
    ${error && html`<p class="muted">${error}</p>`}
    ${kind === "image" && html`<img class="artifact-image" src=${artifact.url} alt=${artifact.name} />`}
    ${(kind === "json" || kind === "text") && text !== null && html`<pre class=${`artifact-text ${kind}`}>${text}</pre>`}
    ${kind === null && html`<p class="muted">No preview for this kind of file.</p>`}
  </div>`;
}

const fetchArtifacts = async (id) => (await getJSON(`${runPath(id)}/artifacts`)).artifacts;

export function ArtifactsTab({ run, selected }) {
  const { data: artifacts, error } = useRunData(run.id, fetchArtifacts);
  const [chosen, setChosen] = useState(selected || null);
  useEffect(() => setChosen(selected || null), [selected]);

  if (!artifacts) return error ? html`<${ErrorLine} error=${error} />` : html`<${Loading} what="artifacts" />`;
  if (!artifacts.length) return html`<p class="muted">No artifacts. <code>runar.save("name", obj)</code> attaches files, images, JSON and arrays.</p>`;
  const current = artifacts.find((a) => a.name === chosen) || artifacts[0];
  return html`<div class="artifacts-tab">
    <table class="grid artifact-list">
      <thead><tr><th>name</th><th>kind</th><th class="num">size</th><th>step</th></tr></thead>
      <tbody>
        ${artifacts.map((a) => html`<tr key=${a.name} class=${a === current ? "selected" : ""} onClick=${() => setChosen(a.name)}>
          <td><button class="link" onClick=${() => setChosen(a.name)}>${a.name}</button></td>
          <td>${a.kind}</td><td class="num">${fmtBytes(a.size)}</td><td>${a.step || ""}</td>
        </tr>`)}
      </tbody>
    </table>
    <${Preview} key=${current.name} artifact=${current} />
  </div>`;
}
