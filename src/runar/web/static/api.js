// The REST API and the one live stream a tab keeps open (docs/api.md).

import { debug } from "./debug.js";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** GET /api/... as JSON; a non-2xx answer throws ApiError with the server's one-line reason. */
export async function getJSON(path, params = {}) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") query.set(k, String(v));
  }
  const qs = query.toString();
  const response = await fetch(qs ? `${path}?${qs}` : path, {
    headers: { Accept: "application/json" },
  });
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const reason = body && typeof body.error === "string" ? body.error : response.statusText;
    throw new ApiError(response.status, reason || `HTTP ${response.status}`);
  }
  return body;
}

export const runPath = (ref) => `/api/runs/${encodeURIComponent(ref)}`;

/** A value from a value map: JSON has no NaN/inf, so the server sends them as strings. */
export function decodeValue(v) {
  if (v === "nan") return NaN;
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  return v;
}

const RETRY_CLOSED_MS = 2000;

/**
 * The tab's single multiplexed SSE stream.
 *
 * While the connection merely drops, the browser reconnects by itself and sends
 * Last-Event-ID, so the server replays what was missed. Only when the EventSource gives up
 * (a non-200 answer) do we open a new one; that one starts without an id, so listeners are
 * told to refetch everything, exactly as after a server `reset`.
 */
class LiveStream {
  constructor() {
    this.listeners = new Set();
    this.source = null;
    this.state = "connecting";
    this.missedWhileClosed = false;
    this.stats = { lastEventId: null, batches: 0, resets: 0, opens: 0, state: this.state };
    debug.stream = this.stats;
  }

  subscribe(listener) {
    this.listeners.add(listener);
    if (!this.source) this.open();
    return () => this.listeners.delete(listener);
  }

  emit(message) {
    for (const listener of [...this.listeners]) {
      try {
        listener(message);
      } catch (err) {
        console.error("runar: a live-update listener failed", err);
      }
    }
  }

  setState(state) {
    this.state = state;
    this.stats.state = state;
    this.emit({ state });
  }

  open() {
    const source = new EventSource("/api/stream");
    this.source = source;
    source.onopen = () => {
      this.stats.opens += 1;
      this.setState("live");
      if (this.missedWhileClosed) {
        this.missedWhileClosed = false;
        this.stats.resets += 1;
        this.emit({ reset: true });
      }
    };
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        this.missedWhileClosed = true;
        this.setState("offline");
        setTimeout(() => {
          if (this.source === source) this.open();
        }, RETRY_CLOSED_MS);
      } else {
        this.setState("reconnecting");
      }
    };
    source.addEventListener("runs", (event) => {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      this.stats.lastEventId = event.lastEventId;
      this.stats.batches += 1;
      this.emit({ changed: data.changed || [], removed: data.removed || [] });
    });
    source.addEventListener("reset", (event) => {
      this.stats.lastEventId = event.lastEventId;
      this.stats.resets += 1;
      this.emit({ reset: true });
    });
  }
}

export const live = new LiveStream();

/** Call `refresh` when the stream says one of `ids` changed (or after a reset), at most every `ms`. */
export function onRunsChanged(ids, refresh, ms = 300) {
  let timer = null;
  const fire = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      refresh();
    }, ms);
  };
  const unsubscribe = live.subscribe((message) => {
    if (message.reset) return fire();
    if (!message.changed) return;
    const wanted = typeof ids === "function" ? ids() : ids;
    if (message.changed.some((row) => wanted.includes(row.id))) fire();
  });
  return () => {
    unsubscribe();
    if (timer) clearTimeout(timer);
  };
}
