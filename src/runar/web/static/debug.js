// window.__runar: read-only state the browser tests (and a curious user) can inspect.

export const debug = (window.__runar = window.__runar || { charts: {}, stream: null, page: null });

/** Register a uPlot instance under a stable id (e.g. "metric:loss"); returns the unregister. */
export function registerChart(id, chart) {
  debug.charts[id] = chart;
  return () => {
    if (debug.charts[id] === chart) delete debug.charts[id];
  };
}
