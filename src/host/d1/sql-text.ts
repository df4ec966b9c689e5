// Reading SQL text the way SQLite's tokenizer does, as far as D1's binding needs: where a quoted
// string, quoted identifier or comment ends, so that a `?` or `;` inside one is not taken for a
// parameter or the end of a statement.

/** The end (exclusive) of a quoted run starting at `start`, where `close` ends it; doubled closes escape. */
function skipQuoted(sql: string, start: number, close: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === close) {
      if (close !== "]" && sql[i + 1] === close) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i += 1;
  }
  return sql.length;
}

/**
 * Where the string, quoted identifier or comment starting at `i` ends (exclusive), or `i` itself
 * when none starts there.
 */
export function skipLiteral(sql: string, i: number): number {
  const c = sql[i];
  if (c === "'" || c === '"' || c === "`") return skipQuoted(sql, i, c);
  if (c === "[") return skipQuoted(sql, i, "]");
  if (c === "-" && sql[i + 1] === "-") {
    const newline = sql.indexOf("\n", i);
    return newline < 0 ? sql.length : newline;
  }
  if (c === "/" && sql[i + 1] === "*") {
    const close = sql.indexOf("*/", i + 2);
    return close < 0 ? sql.length : close + 2;
  }
  return i;
}

/** The positions of the semicolons outside strings, quoted identifiers and comments. */
export function semicolons(sql: string): number[] {
  const found: number[] = [];
  let i = 0;
  while (i < sql.length) {
    const end = skipLiteral(sql, i);
    if (end > i) {
      i = end;
      continue;
    }
    if (sql[i] === ";") found.push(i);
    i += 1;
  }
  return found;
}

/**
 * The statements of SQL text holding several, split at semicolons; a piece that `isComplete`
 * says is not a whole statement yet (a trigger's body holds semicolons) runs on to the next one.
 * Trailing text without a statement (spaces, comments) is dropped by the caller's check.
 */
export function splitStatements(sql: string, isComplete: (statement: string) => boolean): string[] {
  const statements: string[] = [];
  let start = 0;
  for (const at of semicolons(sql)) {
    const piece = sql.slice(start, at + 1);
    if (!isComplete(piece)) continue;
    statements.push(piece);
    start = at + 1;
  }
  const rest = sql.slice(start);
  if (rest.trim() !== "") statements.push(rest);
  return statements;
}
