// Prepared statements by name, so that a transition's statements are a typed record (no lookups
// that might miss) prepared once when the writer thread starts.

import type Database from "better-sqlite3";

/** Statements prepared from a record of SQL texts, under the same names. */
export type Statements<Name extends string> = { readonly [N in Name]: Database.Statement };

/**
 * Prepares every SQL text of `sql` on `db`.
 * @example
 * const stmt = prepareAll(db, { byId: "SELECT * FROM instances WHERE seq = ?" });
 * stmt.byId.get(1);
 */
export function prepareAll<Name extends string>(
  db: Database.Database,
  sql: Record<Name, string>,
): Statements<Name> {
  const prepared = {} as Record<Name, Database.Statement>;
  for (const name of Object.keys(sql) as Name[]) prepared[name] = db.prepare(sql[name]);
  return prepared;
}
