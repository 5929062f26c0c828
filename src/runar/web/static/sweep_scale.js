// Scales for the sweep charts: numbers on a linear or log axis, text values as categories.

import { decodeValue } from "./api.js";
import { fmtNumber } from "./format.js";

/** A space spec that spaces values on a log scale. */
export function isLogSpec(spec) {
  return typeof spec === "string" && (/:log:\d+\s*$/.test(spec) || /^\s*loguniform\(/.test(spec));
}

export function paramOf(point, option) {
  const key = option.replace(/^-+/, "").replace(/-/g, "_");
  const typed = decodeValue(point.config?.[key]);
  if (typeof typed === "number") return typed;
  const text = point.params?.[option];
  if (text === undefined) return typed ?? null;
  const n = Number(text);
  return text.trim() !== "" && Number.isFinite(n) ? n : text;
}

/** About `count` round tick values over [lo, hi]. */
function linearTicks(lo, hi, count = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function logTicks(lo, hi) {
  const ticks = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e += 1) {
    const v = 10 ** e;
    if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push(v);
  }
  return ticks.length >= 2 ? ticks : [lo, hi];
}

/** value → pixel for numbers (linear or log, padded) or categories (evenly spread). */
export function makeScale(values, log, from, to) {
  const numeric = values.every((v) => typeof v === "number");
  if (!numeric) {
    const cats = [...new Set(values.map(String))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    const step = (to - from) / Math.max(1, cats.length);
    return {
      kind: "category",
      at: (v) => from + step * (cats.indexOf(String(v)) + 0.5),
      ticks: cats.map((c) => ({ v: c, label: c })),
    };
  }
  const usable = log ? values.filter((v) => v > 0) : values;
  let lo = Math.min(...usable);
  let hi = Math.max(...usable);
  if (log) {
    const span = lo === hi ? 2 : (hi / lo) ** 0.05;
    lo /= span;
    hi *= span;
    const [a, b] = [Math.log10(lo), Math.log10(hi)];
    return {
      kind: "log",
      at: (v) => (v > 0 ? from + ((Math.log10(v) - a) / (b - a)) * (to - from) : null),
      ticks: logTicks(lo, hi).map((v) => ({ v, label: fmtNumber(v) })),
    };
  }
  const pad = lo === hi ? Math.abs(lo) * 0.1 || 1 : (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  return {
    kind: "linear",
    at: (v) => from + ((v - lo) / (hi - lo)) * (to - from),
    ticks: linearTicks(lo, hi).map((v) => ({ v, label: fmtNumber(v) })),
  };
}
