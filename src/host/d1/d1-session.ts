// D1 sessions (read replication): a session carries a bookmark so that its reads see at least its
// own writes, whichever replica answers. A Cairn database has a single copy, so every read is
// already that fresh; the session still hands out bookmarks, which only grow, so code that
// passes them between requests works unchanged.

import type { D1Result, D1Rows } from "./d1-result.js";

/** What a session runs its statements on: the database itself. */
type SessionDatabase = {
  runOne(statement: BoundStatement): Promise<D1Rows>;
  batch(statements: D1PreparedStatement[]): Promise<D1Result[]>;
};

import type { BoundStatement } from "./d1-sqlite.js";
import { D1PreparedStatement, type D1Runner } from "./d1-statement.js";

/** "first-primary", "first-unconstrained", or a bookmark from an earlier session. */
export type SessionConstraint = string | undefined;

/** A bookmark: the time of the session's latest query, in hex, zero-padded so they sort. */
function bookmarkAt(ms: number): string {
  return Math.floor(ms).toString(16).padStart(16, "0");
}

function isBookmark(value: string): boolean {
  return value !== "first-primary" && value !== "first-unconstrained";
}

/**
 * A D1 session: `prepare`, `batch` and `getBookmark`, as `env.DB.withSession()` returns it.
 *
 * @example
 * const session = env.DB.withSession(request.headers.get("x-d1-bookmark") ?? "first-unconstrained");
 * await session.prepare("SELECT * FROM users").all();
 * response.headers.set("x-d1-bookmark", session.getBookmark() ?? "");
 */
export class D1DatabaseSession implements D1Runner {
  readonly #database: SessionDatabase;
  #bookmark: string | null;

  constructor(database: SessionDatabase, constraint: SessionConstraint) {
    if (constraint !== undefined && typeof constraint !== "string") {
      throw new TypeError('withSession() takes a bookmark, "first-primary" or "first-unconstrained"');
    }
    this.#database = database;
    this.#bookmark = constraint !== undefined && isBookmark(constraint) ? constraint : null;
  }

  prepare(sql: string): D1PreparedStatement {
    return new D1PreparedStatement(this, String(sql));
  }

  /** @internal Runs one bound statement and moves the bookmark on. */
  async runOne(statement: BoundStatement): Promise<D1Rows> {
    const rows = await this.#database.runOne(statement);
    this.#advance();
    return rows;
  }

  async batch(statements: D1PreparedStatement[]): Promise<D1Result[]> {
    const results = await this.#database.batch(statements);
    this.#advance();
    return results;
  }

  /** The bookmark of the latest query of this session, or null before its first one. */
  getBookmark(): string | null {
    return this.#bookmark;
  }

  #advance(): void {
    const next = bookmarkAt(Date.now());
    if (this.#bookmark === null || next > this.#bookmark) this.#bookmark = next;
  }
}
