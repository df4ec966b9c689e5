// Lifecycle decisions as PostgreSQL text. A transition that must stay one statement cannot ask
// lifecycle.ts in the middle of it, so its statement is built once from the decision table: the
// statuses it applies from, the status it sets and the log entries it writes become literals.

import type { LogInput, StoredStatus } from "../types.js";

/** A string as an SQL literal. */
export function sqlLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Statuses as the list inside `status IN (…)`. */
export function statusList(statuses: readonly StoredStatus[]): string {
  return statuses.map(sqlLiteral).join(", ");
}

/**
 * Log entries known when the statement is built, as a row source `e(type, data, ord)` to insert
 * from (in `ord` order). Their time is the statement's `now`.
 */
export function logRows(entries: readonly LogInput[]): string {
  if (entries.length === 0) return "(SELECT NULL::text, NULL::text, 0 WHERE false) AS e(type, data, ord)";
  const rows = entries.map((e, i) => {
    const data = e.data ? `${sqlLiteral(JSON.stringify(e.data))}::text` : "NULL::text";
    return `(${sqlLiteral(e.type)}, ${data}, ${i + 1})`;
  });
  return `(VALUES ${rows.join(", ")}) AS e(type, data, ord)`;
}
