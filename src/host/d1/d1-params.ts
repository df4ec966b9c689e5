// Numbers a statement's parameters the way SQLite does, so that D1's positional `bind(...)` fills
// them: `?` takes the next number after the highest so far, `?NNN` its own number, and a named
// parameter (`:name`, `@name`, `$name`) the next number the first time its name appears. The SQL
// is rewritten with every parameter as `?NNN`, which the driver binds by number. Quoted strings,
// identifiers and comments are copied untouched.

export type NumberedSql = { sql: string; count: number };

const NAME_CHAR = /[A-Za-z0-9_]/;

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

/** The statement with its parameters numbered, and how many values it takes. */
export function numberParameters(sql: string): NumberedSql {
  let out = "";
  let highest = 0;
  const named = new Map<string, number>();
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    let end = i + 1;
    if (c === "'" || c === '"' || c === "`") end = skipQuoted(sql, i, c);
    else if (c === "[") end = skipQuoted(sql, i, "]");
    else if (c === "-" && sql[i + 1] === "-") {
      const newline = sql.indexOf("\n", i);
      end = newline < 0 ? sql.length : newline;
    } else if (c === "/" && sql[i + 1] === "*") {
      const close = sql.indexOf("*/", i + 2);
      end = close < 0 ? sql.length : close + 2;
    } else if (c === "?") {
      let j = i + 1;
      while (j < sql.length && /[0-9]/.test(sql[j]!)) j += 1;
      const index = j > i + 1 ? Number(sql.slice(i + 1, j)) : highest + 1;
      highest = Math.max(highest, index);
      out += `?${index}`;
      i = j;
      continue;
    } else if ((c === ":" || c === "@" || c === "$") && NAME_CHAR.test(sql[i + 1] ?? "")) {
      let j = i + 1;
      while (j < sql.length && NAME_CHAR.test(sql[j]!)) j += 1;
      const name = sql.slice(i, j);
      let index = named.get(name);
      if (index === undefined) {
        index = highest + 1;
        named.set(name, index);
        highest = index;
      }
      out += `?${index}`;
      i = j;
      continue;
    }
    out += sql.slice(i, end);
    i = end;
  }
  return { sql: out, count: highest };
}
