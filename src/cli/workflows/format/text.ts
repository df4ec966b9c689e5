// Text helpers for terminal output: how wide a string shows (ANSI codes take no room, emoji take
// two columns), server text made safe to print (no control characters that could move the
// cursor or recolour the terminal), and truncation that says how much it left out.

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape character is the point.
const ANSI = /\x1b\[[0-9;]*m/g;
// C0 and C1 control characters; \n and \t are handled by the callers that allow them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** `text` without ANSI colour codes. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

/** `text` with control characters (escape sequences included) shown as `�`; keeps \n and \t. */
export function sanitize(text: string): string {
  return text.replace(CONTROL, "\ufffd");
}

/** `text` on one line, for a table cell: safe, with line breaks shown as `↵` and tabs as spaces. */
export function oneLine(text: string): string {
  return sanitize(text.replace(/\r?\n/g, "↵").replace(/\t/g, " "));
}

// Code points shown two columns wide in BMP: East Asian wide ranges and the emoji that have
// emoji presentation by default (the status symbols ⌛ ⏰ ✅ ❌ among them).
const WIDE_BMP: [number, number][] = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x23e9, 0x23ec],
  [0x23f0, 0x23f0],
  [0x23f3, 0x23f3],
  [0x25fd, 0x25fe],
  [0x2614, 0x2615],
  [0x2648, 0x2653],
  [0x267f, 0x267f],
  [0x2693, 0x2693],
  [0x26a1, 0x26a1],
  [0x26aa, 0x26ab],
  [0x26bd, 0x26be],
  [0x26c4, 0x26c5],
  [0x26ce, 0x26ce],
  [0x26d4, 0x26d4],
  [0x26ea, 0x26ea],
  [0x26f2, 0x26f3],
  [0x26f5, 0x26f5],
  [0x26fa, 0x26fa],
  [0x26fd, 0x26fd],
  [0x2705, 0x2705],
  [0x270a, 0x270b],
  [0x2728, 0x2728],
  [0x274c, 0x274c],
  [0x274e, 0x274e],
  [0x2753, 0x2755],
  [0x2757, 0x2757],
  [0x2795, 0x2797],
  [0x27b0, 0x27b0],
  [0x27bf, 0x27bf],
  [0x2b1b, 0x2b1c],
  [0x2b50, 0x2b50],
  [0x2b55, 0x2b55],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
];

function isWide(cp: number): boolean {
  if (cp >= 0x1f000) return cp <= 0x1faff || (cp >= 0x20000 && cp <= 0x3fffd);
  return WIDE_BMP.some(([from, to]) => cp >= from && cp <= to);
}

function isZeroWidth(cp: number): boolean {
  return (
    (cp >= 0x0300 && cp <= 0x036f) || // combining marks
    cp === 0x200b ||
    cp === 0x200c ||
    cp === 0x200d || // zero-width joiner
    (cp >= 0xfe00 && cp <= 0xfe0f) // variation selectors (VS16 handled by the caller)
  );
}

/** Columns `text` takes in a terminal: ANSI codes none, emoji and CJK two, a VS16 emoji two. */
export function displayWidth(text: string): number {
  let width = 0;
  let previous = 0; // the width the previous code point was counted with
  for (const char of stripAnsi(text)) {
    const cp = char.codePointAt(0)!;
    if (cp === 0xfe0f) {
      // Emoji presentation selector: the symbol before it (⏸ ⏱) shows as a two-column emoji.
      if (previous === 1) width += 1;
      previous = 2;
      continue;
    }
    previous = isZeroWidth(cp) ? 0 : isWide(cp) ? 2 : 1;
    width += previous;
  }
  return width;
}

/** `text` padded with spaces to `width` display columns (never cut). */
export function padEnd(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - displayWidth(text)));
}

export function padStart(text: string, width: number): string {
  return " ".repeat(Math.max(0, width - displayWidth(text))) + text;
}

/**
 * The first `limit` characters of `text`, with a note of how many were left out; `text` itself
 * when it fits. Cuts between code points, never inside a surrogate pair.
 */
export function truncate(text: string, limit: number): string {
  const chars = Array.from(text);
  if (chars.length <= limit) return text;
  const left = chars.length - limit;
  return `${chars.slice(0, limit).join("")}… [${left} more character${left === 1 ? "" : "s"}]`;
}

/** A JSON value as one compact line (undefined as the empty string). */
export function compactJson(value: unknown): string {
  if (value === undefined) return "";
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
