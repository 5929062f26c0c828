// The single-page app: a hash router over the three pages, and the header every page shares.

import { html, render, useEffect, useState } from "./vendor/preact-htm.standalone.js";
import { live } from "./api.js";
import { debug } from "./debug.js";
import { ComparePage } from "./compare.js";
import { RunPage } from "./run.js";
import { RunsPage } from "./runs.js";
import { SweepPage, SweepsPage } from "./sweeps.js";

/** `#/run/abc?tab=logs` → {path: "/run/abc", params}. */
function parseHash() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const at = hash.indexOf("?");
  const path = at < 0 ? hash : hash.slice(0, at);
  const params = new URLSearchParams(at < 0 ? "" : hash.slice(at + 1));
  return { path, params };
}

function LiveBadge() {
  const [state, setState] = useState(live.state);
  useEffect(() => live.subscribe((message) => message.state && setState(message.state)), []);
  const label = { live: "live", connecting: "connecting…", reconnecting: "reconnecting…", offline: "offline" }[state];
  return html`<span class=${`live-badge ${state}`} title="live updates from the store">
    <span class="dot"></span>${label}
  </span>`;
}

function Page({ route }) {
  const { path, params } = route;
  const run = path.match(/^\/run\/([^/]+)\/?$/);
  if (run) return html`<${RunPage} key=${run[1]} runRef=${decodeURIComponent(run[1])} params=${params} />`;
  const sweep = path.match(/^\/sweep\/([^/]+)\/?$/);
  if (sweep) return html`<${SweepPage} key=${sweep[1]} sweepRef=${decodeURIComponent(sweep[1])} />`;
  if (path === "/sweeps") return html`<${SweepsPage} />`;
  if (path === "/compare") {
    const runs = (params.get("runs") || "").split(",").filter(Boolean);
    return html`<${ComparePage} key=${runs.join(",")} runRefs=${runs} />`;
  }
  return html`<${RunsPage} params=${params} />`;
}

function App() {
  const [route, setRoute] = useState(parseHash());
  useEffect(() => {
    const onHash = () => setRoute(parseHash());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  debug.page = route.path;
  return html`
    <header class="top">
      <a class="brand" href="#/">runar</a>
      <nav>
        <a href="#/" class=${route.path === "/" ? "active" : ""}>Runs</a>
        <a href="#/sweeps" class=${route.path.startsWith("/sweep") ? "active" : ""}>Sweeps</a>
      </nav>
      <span class="spacer"></span>
      <${LiveBadge} />
    </header>
    <main><${Page} route=${route} /></main>
  `;
}

// The token has become a cookie by now; keep it out of the history and of shared screenshots.
if (new URLSearchParams(location.search).has("token")) {
  history.replaceState(null, "", location.pathname + location.hash);
}

const root = document.getElementById("app");
root.textContent = "";
render(html`<${App} />`, root);
