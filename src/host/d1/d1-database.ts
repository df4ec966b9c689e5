// The D1 database a Worker sees as `env.<BINDING>`: prepare, batch, exec, withSession and dump, as
// on Cloudflare, over one SQLite file. D1 speaks SQLite's dialect, so a database is a SQLite file
// even when the engine's state is on PostgreSQL.

import { D1Error } from "./d1-errors.js";
import type { D1ExecResult, D1Result, D1Rows } from "./d1-result.js";
import { rowsAsObjects } from "./d1-result.js";
import { D1DatabaseSession, type SessionConstraint } from "./d1-session.js";
import type { BoundStatement, D1Sqlite } from "./d1-sqlite.js";
import { D1PreparedStatement, type D1Runner } from "./d1-statement.js";

function asResult(rows: D1Rows): D1Result {
  return { success: true, meta: rows.meta, results: rowsAsObjects(rows.columns, rows.rows) };
}

/** The statements of a batch as the database runs them; anything else is refused, naming it. */
export function boundStatements(statements: unknown): BoundStatement[] {
  if (!Array.isArray(statements)) {
    throw new TypeError("batch() takes an array of statements made by prepare()");
  }
  return statements.map((statement, i) => {
    if (!(statement instanceof D1PreparedStatement)) {
      throw new TypeError(`batch() item ${i} is not a statement made by prepare()`);
    }
    return statement.bound();
  });
}

/**
 * One D1 database.
 *
 * @example
 * await env.DB.batch([
 *   env.DB.prepare("INSERT INTO users (name) VALUES (?)").bind("Ana"),
 *   env.DB.prepare("UPDATE counts SET users = users + 1"),
 * ]);
 */
export class D1Database implements D1Runner {
  readonly #sqlite: D1Sqlite;

  constructor(sqlite: D1Sqlite) {
    this.#sqlite = sqlite;
  }

  /** A statement to bind and run. */
  prepare(sql: string): D1PreparedStatement {
    return new D1PreparedStatement(this, String(sql));
  }

  /** @internal Runs one bound statement. */
  async runOne(statement: BoundStatement): Promise<D1Rows> {
    return this.#sqlite.run(statement);
  }

  /** Runs the statements in one transaction and returns a result for each; any error undoes them all. */
  async batch(statements: D1PreparedStatement[]): Promise<D1Result[]> {
    const bound = boundStatements(statements);
    return this.#sqlite.batch(bound).map(asResult);
  }

  /**
   * Runs SQL without parameters, one line at a time as Cloudflare does (a line may hold several
   * statements); stops at the first failing line, whose number and text the error gives.
   */
  async exec(sql: string): Promise<D1ExecResult> {
    const lines = String(sql).trim().split("\n");
    let duration = 0;
    for (const [i, line] of lines.entries()) {
      try {
        duration += this.#sqlite.execText(line);
      } catch (error) {
        const detail = D1Error.is(error) ? (error.cause as Error).message : String(error);
        throw new D1Error("D1_EXEC_ERROR", `Error in line ${i + 1}: ${line}: ${detail}`);
      }
    }
    return { count: lines.length, duration };
  }

  /** A session whose reads see at least its bookmark; a single copy always satisfies that. */
  withSession(constraintOrBookmark?: SessionConstraint): D1DatabaseSession {
    return new D1DatabaseSession(this, constraintOrBookmark);
  }

  /** The whole database file, as an ArrayBuffer. */
  async dump(): Promise<ArrayBuffer> {
    return this.#sqlite.serialize();
  }
}
