// Numbers a statement's parameters the way SQLite does, so that D1's positional `bind(...)` fills
// them: `?` takes the next number after the highest so far, `?NNN` its own number, and a named
// parameter (`:name`, `@name`, `$name`) the next number the first time its name appears. The SQL
// is rewritten with every parameter as `?NNN`, which the driver binds by number. Quoted strings,
// identifiers and comments are copied untouched.

import { skipLiteral } from "./sql-text.js";

export type NumberedSql = { sql: string; count: number };

const NAME_CHAR = /[A-Za-z0-9_]/;

/** The statement with its parameters numbered, and how many values it takes. */
export function numberParameters(sql: string): NumberedSql {
  let out = "";
  let highest = 0;
  const named = new Map<string, number>();
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const literalEnd = skipLiteral(sql, i);
    if (literalEnd > i) {
      out += sql.slice(i, literalEnd);
      i = literalEnd;
      continue;
    }
    if (c === "?") {
      let j = i + 1;
      while (j < sql.length && /[0-9]/.test(sql[j]!)) j += 1;
      const index = j > i + 1 ? Number(sql.slice(i + 1, j)) : highest + 1;
      highest = Math.max(highest, index);
      out += `?${index}`;
      i = j;
      continue;
    }
    if ((c === ":" || c === "@" || c === "$") && NAME_CHAR.test(sql[i + 1] ?? "")) {
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
    out += c;
    i += 1;
  }
  return { sql: out, count: highest };
}
