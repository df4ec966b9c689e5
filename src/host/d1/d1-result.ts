// The shapes D1 answers with: a result per statement (`success`, `results`, `meta`) and the
// summary of `exec`. `meta` carries Cloudflare's fields; where SQLite keeps no such count
// (rows_read, rows_written) Cairn reports the rows returned and the rows changed.

/** A statement's `meta`, field for field as Cloudflare reports it. */
export type D1Meta = {
  served_by: string;
  served_by_region: string;
  served_by_primary: boolean;
  timings: { sql_duration_ms: number };
  duration: number;
  changes: number;
  last_row_id: number;
  changed_db: boolean;
  size_after: number;
  rows_read: number;
  rows_written: number;
  total_attempts: number;
};

export type D1Result<T = Record<string, unknown>> = {
  success: true;
  results: T[];
  meta: D1Meta;
};

export type D1ExecResult = { count: number; duration: number };

/** What running one statement gave, before it is shaped as rows of objects or arrays. */
export type D1Rows = { columns: string[]; rows: unknown[][]; meta: D1Meta };

/** Rows as objects keyed by column name; a repeated name keeps its last column's value, as on D1. */
export function rowsAsObjects(columns: string[], rows: unknown[][]): Record<string, unknown>[] {
  return rows.map((row) => {
    const object: Record<string, unknown> = {};
    columns.forEach((column, i) => {
      object[column] = row[i];
    });
    return object;
  });
}
