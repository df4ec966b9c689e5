// A prepared D1 statement as Workers use it: `bind` returns a new statement with values checked
// and converted at once (D1_TYPE_ERROR is thrown by `bind` itself, as on Cloudflare); `first`,
// `all`, `run` and `raw` run it and shape the rows. Statements are immutable, so one prepared
// statement can be bound many times for a batch.

import { D1Error } from "./d1-errors.js";
import type { D1Result, D1Rows } from "./d1-result.js";
import { rowsAsObjects } from "./d1-result.js";
import type { BoundStatement } from "./d1-sqlite.js";
import { type D1Value, toD1Value } from "./d1-values.js";

/** Runs a bound statement for a statement object (the database, or a session of it). */
export type D1Runner = { runOne(statement: BoundStatement): Promise<D1Rows> };

/**
 * A statement of a D1 database.
 *
 * @example
 * const user = await env.DB.prepare("SELECT * FROM users WHERE id = ?").bind(7).first();
 */
export class D1PreparedStatement {
  readonly #runner: D1Runner;
  readonly #sql: string;
  readonly #params: D1Value[];

  constructor(runner: D1Runner, sql: string, params: D1Value[] = []) {
    this.#runner = runner;
    this.#sql = sql;
    this.#params = params;
  }

  /** The statement with these values for its parameters, in order (`?`, `?NNN`, named ones). */
  bind(...values: unknown[]): D1PreparedStatement {
    return new D1PreparedStatement(this.#runner, this.#sql, values.map(toD1Value));
  }

  /** The SQL and values, for a batch. */
  bound(): BoundStatement {
    return { sql: this.#sql, params: this.#params };
  }

  /** The first row as an object, or one of its columns; null when there are no rows. */
  async first<T = unknown>(column?: string): Promise<T | null> {
    const { columns, rows } = await this.#runner.runOne(this.bound());
    const row = rowsAsObjects(columns, rows.slice(0, 1))[0];
    if (row === undefined) return null;
    if (column === undefined) return row as T;
    if (!(column in row)) throw new D1Error("D1_COLUMN_NOTFOUND", `Column not found (${column})`);
    return row[column] as T;
  }

  /** Every row as an object, with the statement's meta. */
  async all<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    const { columns, rows, meta } = await this.#runner.runOne(this.bound());
    return { success: true, meta, results: rowsAsObjects(columns, rows) as T[] };
  }

  /** The same as `all` (Cloudflare's `run` returns the rows too). */
  async run<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    return this.all<T>();
  }

  /** Rows as arrays of values; with `columnNames: true` the first array holds the column names. */
  async raw<T = unknown[]>(options?: { columnNames?: boolean }): Promise<T[]> {
    const { columns, rows } = await this.#runner.runOne(this.bound());
    const result = options?.columnNames ? [columns, ...rows] : rows;
    return result as T[];
  }
}
