// Plain aligned tables: a header row and cells padded to the widest value in each column,
// measured in display columns (emoji count two, colour codes none). The last column is not
// padded, so a long value there (a step's output) wraps without pushing the others apart.

import type { Colours } from "./colour.js";
import { displayWidth, padEnd, padStart } from "./text.js";

export type Column = { header: string; align?: "left" | "right" };

export type TableOptions = { colours: Colours; indent?: number; gap?: number };

/** The table as lines joined by "\n" (no trailing newline). Cells must already be one line. */
export function renderTable(columns: (Column | string)[], rows: string[][], options: TableOptions): string {
  const cols = columns.map((c) => (typeof c === "string" ? { header: c } : c));
  const indent = " ".repeat(options.indent ?? 0);
  const gap = " ".repeat(options.gap ?? 2);
  const widths = cols.map((col, i) =>
    Math.max(displayWidth(col.header), ...rows.map((row) => displayWidth(row[i] ?? ""))),
  );
  const line = (cells: string[], paint: (s: string) => string = (s) => s) =>
    indent +
    cells
      .map((cell, i) => {
        const last = i === cols.length - 1;
        if (cols[i]!.align === "right") return padStart(paint(cell), widths[i]!);
        return last ? paint(cell) : padEnd(paint(cell), widths[i]!);
      })
      .join(gap)
      .trimEnd();
  const header = line(
    cols.map((c) => c.header),
    (s) => options.colours.bold(s),
  );
  return [header, ...rows.map((row) => line(cols.map((_, i) => row[i] ?? "")))].join("\n");
}

/** Label/value lines ("  Status    ✅ complete"), labels padded to the longest. */
export function renderFields(fields: [string, string][], options: TableOptions): string {
  const indent = " ".repeat(options.indent ?? 0);
  const width = Math.max(0, ...fields.map(([label]) => displayWidth(label)));
  return fields
    .map(([label, value]) => `${indent}${options.colours.dim(padEnd(label, width))}  ${value}`.trimEnd())
    .join("\n");
}
