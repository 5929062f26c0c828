// The chart settings a metrics view offers, kept per browser so they survive page changes.

import { html, useState } from "./vendor/preact-htm.standalone.js";

const KEY = "runar.chart";

function saved() {
  try {
    return JSON.parse(localStorage.getItem(KEY) || "{}") || {};
  } catch {
    return {};
  }
}

export function useChartSettings() {
  const initial = saved();
  const [xMode, setXMode] = useState(["step", "time", "relative"].includes(initial.xMode) ? initial.xMode : "step");
  const [smoothing, setSmoothing] = useState(Number(initial.smoothing) || 0);
  const [logScale, setLogScale] = useState(Boolean(initial.logScale));
  const persist = (patch) => localStorage.setItem(KEY, JSON.stringify({ xMode, smoothing, logScale, ...patch }));
  return {
    xMode,
    smoothing,
    logScale,
    setXMode: (v) => { setXMode(v); persist({ xMode: v }); },
    setSmoothing: (v) => { setSmoothing(v); persist({ smoothing: v }); },
    setLogScale: (v) => { setLogScale(v); persist({ logScale: v }); },
  };
}

export function ChartControls({ settings: s, children }) {
  return html`<div class="chart-controls">
    <label>x
      <select name="x" value=${s.xMode} onChange=${(e) => s.setXMode(e.currentTarget.value)}>
        <option value="step">step</option>
        <option value="time">time</option>
        <option value="relative">relative time</option>
      </select>
    </label>
    <label title="exponential moving average">smoothing
      <input type="range" name="smoothing" min="0" max="0.99" step="0.01" value=${s.smoothing}
        onInput=${(e) => s.setSmoothing(Number(e.currentTarget.value))} />
      <span class="muted num">${s.smoothing.toFixed(2)}</span>
    </label>
    <label><input type="checkbox" name="log" checked=${s.logScale} onChange=${(e) => s.setLogScale(e.currentTarget.checked)} /> log scale</label>
    <span class="muted hint">drag to zoom · double-click to reset</span>
    ${children}
  </div>`;
}
