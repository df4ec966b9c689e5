// The adapter's access to PostgreSQL: single statements on the pool and transactions on one
// checked-out connection, every statement prepared once per connection (named after a hash of
// its text), every error translated in errors.ts, and a connection that failed thrown away so
// the pool reconnects. Reads retry once when a pooled connection turns out to be dead. A
// transaction whose COMMIT was sent but whose reply was lost asks the server, on another
// connection, whether it committed, when its caller cannot otherwise tell (see `confirmCommit`).

import { createHash } from "node:crypto";
import type pg from "pg";
import { WorkflowsError } from "../../errors.js";
import type { StoreObserver } from "../store-observer.js";
import { isConnectionError, isRetryableConflict, translateError } from "./errors.js";

/** A result row as the driver returns it. */
export type Row = Record<string, any>;

/** What a transition sees inside a transaction. */
export interface Tx {
  query<R extends Row = Row>(text: string, values?: unknown[]): Promise<R[]>;
  /** Sends `payload` on the store's channel when (and only if) the transaction commits. */
  notify(payload: string): void;
}

const CONFLICT_RETRIES = 5;
/** How long a lost COMMIT reply is looked into before the outcome is reported unknown. */
const CONFIRM_MS = 5_000;
const CONFIRM_INTERVAL_MS = 100;

export type TxOptions = {
  /**
   * When the connection is lost after COMMIT was sent, find out on another connection whether
   * the transaction committed (by its transaction id, `txid_status`) instead of failing as if it
   * had not: the result is returned if it did, `storage.unavailable` is thrown if it did not, and
   * `storage.outcome_unknown` if the server cannot say within CONFIRM_MS. For the transitions a
   * caller cannot safely repeat (a second sendEvent stores a second event).
   */
  confirmCommit?: boolean;
};

/** The commit was sent and the transaction's outcome could not be learnt. */
function outcomeUnknown(what: string, lost: unknown, why: string): WorkflowsError {
  const message = lost instanceof Error ? lost.message : String(lost);
  return new WorkflowsError(
    "storage.outcome_unknown",
    `PostgreSQL's reply to the commit of ${what} was lost (${message}) and ${why}: it may or may not have taken effect`,
    { cause: lost },
  );
}

/** The connection was lost during COMMIT; `xid` is the transaction's id when it was read. */
class LostCommit<T> extends Error {
  readonly xid: string | null;
  readonly lost: unknown;
  /** What the body returned: the result if the transaction did commit. */
  readonly result: T;

  constructor(xid: string | null, lost: unknown, result: T) {
    super("the reply to COMMIT was lost");
    this.xid = xid;
    this.lost = lost;
    this.result = result;
  }
}

/**
 * Checks a connection out of the pool with `onError` already listening. The callback form of
 * `pool.connect` hands the connection over synchronously; with the promise form, an error that
 * arrives in the same network read as the previous holder's last reply (a server shutting down)
 * would be emitted before the new holder could listen, and crash the process.
 */
export function checkout(pool: pg.Pool, onError: (error: Error) => void): Promise<pg.PoolClient> {
  return new Promise((resolve, reject) => {
    pool.connect((error, client) => {
      if (error || !client) return reject(error ?? new Error("the pool gave no connection"));
      client.on("error", onError);
      resolve(client);
    });
  });
}

/** Statements and transactions on the pool, with errors translated. */
export class Database {
  readonly pool: pg.Pool;
  readonly channel: string;
  private readonly names = new Map<string, string>();
  /** Hears each statement sent (metrics); none by default. */
  observer: StoreObserver | undefined;

  constructor(pool: pg.Pool, channel: string) {
    this.pool = pool;
    this.channel = channel;
  }

  /**
   * A prepared-statement name per distinct text (texts are static, so the map stays small). Each
   * statement built here is sent at once, so this is where round trips are counted.
   */
  private statement(text: string, values: unknown[] | undefined): pg.QueryConfig {
    this.observer?.roundTrip?.();
    let name = this.names.get(text);
    if (name === undefined) {
      name = `cairn_${createHash("sha1").update(text).digest("hex").slice(0, 20)}`;
      this.names.set(text, name);
    }
    return { name, text, values: values ?? [] };
  }

  /** A read: idempotent, so it runs once more if the first try met a dead connection. */
  async read<R extends Row = Row>(what: string, text: string, values?: unknown[]): Promise<R[]> {
    try {
      return (await this.pool.query<R>(this.statement(text, values))).rows;
    } catch (error) {
      if (!isConnectionError(error)) throw translateError(error, what);
    }
    try {
      return (await this.pool.query<R>(this.statement(text, values))).rows;
    } catch (error) {
      throw translateError(error, what);
    }
  }

  /**
   * One statement in its own transaction (PostgreSQL's autocommit). A deadlock or serialization
   * failure rolled the whole statement back, so it runs again, as `tx` does (a batch of step
   * records locks several instance rows and can meet another batch in the other order).
   */
  async write<R extends Row = Row>(what: string, text: string, values?: unknown[]): Promise<R[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.pool.query<R>(this.statement(text, values))).rows;
      } catch (error) {
        if (attempt < CONFLICT_RETRIES && isRetryableConflict(error)) continue;
        throw translateError(error, what);
      }
    }
  }

  /**
   * Runs `body` in a READ COMMITTED transaction. Rolled back and run again when PostgreSQL
   * reports a serialization failure or deadlock; any other error rolls back and is thrown.
   */
  async tx<T>(what: string, body: (tx: Tx) => Promise<T>, options: TxOptions = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(body, options.confirmCommit === true);
      } catch (error) {
        if (error instanceof LostCommit) return this.afterLostCommit(what, error as LostCommit<T>);
        if (attempt < CONFLICT_RETRIES && isRetryableConflict(error)) continue;
        throw translateError(error, what);
      }
    }
  }

  private async once<T>(body: (tx: Tx) => Promise<T>, confirm: boolean): Promise<T> {
    // A checked-out connection that dies emits "error"; the failing query reports it to us.
    const ignore = () => {};
    const client = await checkout(this.pool, ignore);
    let broken: Error | undefined;
    let xid: string | null = null;
    let committing: { result: T } | null = null;
    try {
      this.observer?.roundTrip?.();
      if (confirm) {
        // One round trip: the id is what txid_status asks about if the COMMIT reply is lost.
        const results = (await client.query(
          "BEGIN; SELECT txid_current()::text AS xid",
        )) as unknown as pg.QueryResult[];
        xid = (results[1]?.rows[0]?.xid as string | undefined) ?? null;
      } else await client.query("BEGIN");
      const notes = new Set<string>();
      const tx: Tx = {
        query: async <R extends Row>(text: string, values?: unknown[]) =>
          (await client.query<R>(this.statement(text, values))).rows,
        notify: (payload) => {
          notes.add(payload);
        },
      };
      const result = await body(tx);
      if (notes.size > 0) {
        await client.query(
          this.statement("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", [this.channel, [...notes]]),
        );
      }
      this.observer?.roundTrip?.();
      committing = { result };
      await client.query("COMMIT");
      return result;
    } catch (error) {
      if (isConnectionError(error)) {
        broken = error as Error;
        // Before COMMIT the server rolls back a transaction whose connection is gone; from
        // COMMIT on, it may have committed.
        if (committing && confirm) throw new LostCommit(xid, error, committing.result);
      } else {
        this.observer?.roundTrip?.();
        await client.query("ROLLBACK").catch((e: Error) => {
          broken = e;
        });
      }
      throw error;
    } finally {
      client.off("error", ignore);
      client.release(broken);
    }
  }

  /**
   * Asks the server, on other connections, whether a transaction whose COMMIT reply was lost
   * committed: returns the body's result if it did, throws `storage.unavailable` if it did not.
   */
  private async afterLostCommit<T>(what: string, lost: LostCommit<T>): Promise<T> {
    if (lost.xid === null) throw outcomeUnknown(what, lost.lost, "its transaction id was not read");
    const deadline = Date.now() + CONFIRM_MS;
    for (;;) {
      let status: string | null | undefined;
      try {
        const { rows } = await this.pool.query<{ s: string | null }>({
          text: "SELECT txid_status($1::bigint) AS s",
          values: [lost.xid],
        });
        status = rows[0]?.s ?? null;
      } catch (error) {
        if (!isConnectionError(error))
          throw outcomeUnknown(what, lost.lost, `asking the server failed (${error})`);
      }
      if (status === "committed") return lost.result;
      if (status === "aborted") throw translateError(lost.lost, what);
      if (status === null)
        throw outcomeUnknown(what, lost.lost, "the server no longer knows its transaction");
      // "in progress" (the server has not yet seen the connection go) or no answer yet.
      if (Date.now() >= deadline) {
        throw outcomeUnknown(
          what,
          lost.lost,
          `the server could not say within ${CONFIRM_MS} ms whether it committed`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, CONFIRM_INTERVAL_MS));
    }
  }
}
