// ANSI SGR colour codes → styled segments of plain text (rendered as text, never as HTML).

const SGR = /\x1b\[([0-9;]*)m/g;
const OTHER_ESCAPES = /\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]/g;

const CUBE = [0, 95, 135, 175, 215, 255];

/** The xterm 256-colour palette entry as CSS, for 38;5;n and 48;5;n. */
function xterm(n) {
  if (n < 16) return `var(--ansi-${n})`;
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return `rgb(${v},${v},${v})`;
  }
  const i = n - 16;
  return `rgb(${CUBE[Math.floor(i / 36)]},${CUBE[Math.floor(i / 6) % 6]},${CUBE[i % 6]})`;
}

function apply(state, params) {
  const codes = params === "" ? [0] : params.split(";").map((p) => Number(p) || 0);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c === 0) Object.assign(state, { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false });
    else if (c === 1) state.bold = true;
    else if (c === 2) state.dim = true;
    else if (c === 3) state.italic = true;
    else if (c === 4) state.underline = true;
    else if (c === 22) state.bold = state.dim = false;
    else if (c === 23) state.italic = false;
    else if (c === 24) state.underline = false;
    else if (c >= 30 && c <= 37) state.fg = `var(--ansi-${c - 30})`;
    else if (c >= 90 && c <= 97) state.fg = `var(--ansi-${c - 90 + 8})`;
    else if (c >= 40 && c <= 47) state.bg = `var(--ansi-${c - 40})`;
    else if (c >= 100 && c <= 107) state.bg = `var(--ansi-${c - 100 + 8})`;
    else if (c === 39) state.fg = null;
    else if (c === 49) state.bg = null;
    else if ((c === 38 || c === 48) && codes[i + 1] === 5) {
      state[c === 38 ? "fg" : "bg"] = xterm(codes[i + 2] ?? 0);
      i += 2;
    } else if ((c === 38 || c === 48) && codes[i + 1] === 2) {
      state[c === 38 ? "fg" : "bg"] = `rgb(${codes[i + 2] ?? 0},${codes[i + 3] ?? 0},${codes[i + 4] ?? 0})`;
      i += 4;
    }
  }
}

function styleOf(s) {
  const style = {};
  if (s.fg) style.color = s.fg;
  if (s.bg) style.backgroundColor = s.bg;
  if (s.bold) style.fontWeight = "bold";
  if (s.dim) style.opacity = "0.7";
  if (s.italic) style.fontStyle = "italic";
  if (s.underline) style.textDecoration = "underline";
  return Object.keys(style).length ? style : null;
}

/** A line of terminal output as [{text, style}], with colours carried in `state` across lines. */
export function parseAnsi(line, state) {
  const segments = [];
  let last = 0;
  SGR.lastIndex = 0;
  let m;
  while ((m = SGR.exec(line)) !== null) {
    if (m.index > last) segments.push({ text: line.slice(last, m.index).replace(OTHER_ESCAPES, ""), style: styleOf(state) });
    apply(state, m[1]);
    last = SGR.lastIndex;
  }
  if (last < line.length) segments.push({ text: line.slice(last).replace(OTHER_ESCAPES, ""), style: styleOf(state) });
  return segments.filter((s) => s.text);
}

export const freshState = () => ({ fg: null, bg: null, bold: false, dim: false, italic: false, underline: false });

/** What a terminal would show of a line a progress bar redrew with carriage returns. */
export function lastRedraw(line) {
  const trimmed = line.endsWith("\r") ? line.slice(0, -1) : line;
  const at = trimmed.lastIndexOf("\r");
  return at < 0 ? trimmed : trimmed.slice(at + 1);
}

export const stripAnsi = (text) => text.replace(SGR, "").replace(OTHER_ESCAPES, "");
