// The object-host leases on PostgreSQL: one row per Durable Object in `<schema>.durable_object_leases`
// naming the process that hosts it, the address other processes forward its calls to, when its
// lease ends (by the database server's clock, as the engine's instance leases are judged) and a
// fencing token that grows at each takeover by another process. Only the SQL lives here; the
// renewal loop and its bookkeeping are in lease-keeper.ts.

import type pg from "pg";
import { SERVER_NOW_MS } from "../../storage/postgres/lease-time.js";
import { openPartTable } from "../postgres-part-table.js";
import { DurableObjectError } from "./errors.js";

/** Lease calls are short and few (one renewal statement for all objects); the engine has its own pool. */
const POOL_SIZE = 3;

/** What taking a lease found: ours now (with its token), or held by another live process. */
export type LeaseClaim =
  | { mine: true; token: string }
  | { mine: false; owner: string; address: string; token: string };

/** An object whose lease this process holds, as the renewal statement names it. */
export type HeldLease = { className: string; objectId: string; token: string };

export class LeaseTable {
  private readonly pool: pg.Pool;
  private readonly table: string;

  private constructor(pool: pg.Pool, table: string) {
    this.pool = pool;
    this.table = table;
  }

  /** Connects and creates the table if needed, under the schema's lock so concurrent starts agree. */
  static async open(url: string): Promise<LeaseTable> {
    const { pool, table } = await openPartTable(url, {
      name: "durable_object_leases",
      what: "the Durable Object lease table",
      poolSize: POOL_SIZE,
      create: [
        `CREATE TABLE IF NOT EXISTS {table} (
           class_name text NOT NULL,
           object_id text NOT NULL,
           owner text NOT NULL,
           address text NOT NULL,
           expires_at bigint NOT NULL,
           token bigint NOT NULL,
           PRIMARY KEY (class_name, object_id)
         )`,
      ],
    });
    return new LeaseTable(pool, table);
  }

  private async query<R extends pg.QueryResultRow>(what: string, sql: string, values: unknown[]) {
    try {
      return (await this.pool.query<R>(sql, values)).rows;
    } catch (error) {
      throw new DurableObjectError(
        "durable_object.lease_failed",
        `Durable Object lease ${what} failed: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /**
   * Takes the lease of one object for `leaseMs` if it is free, expired or already `owner`'s, in
   * one statement; a takeover from another owner adds one to the token. Otherwise answers who
   * holds it; null when a concurrent first claim hid the row from this statement (claim again).
   */
  async claim(
    className: string,
    objectId: string,
    owner: string,
    address: string,
    leaseMs: number,
  ): Promise<LeaseClaim | null> {
    const rows = await this.query<{ token: string; taken: boolean; owner: string; address: string }>(
      "claim",
      `WITH taken AS (
         INSERT INTO ${this.table} AS l (class_name, object_id, owner, address, expires_at, token)
         VALUES ($1, $2, $3, $4, ${SERVER_NOW_MS} + $5, 1)
         ON CONFLICT (class_name, object_id) DO UPDATE SET
           owner = excluded.owner, address = excluded.address, expires_at = excluded.expires_at,
           token = l.token + CASE WHEN l.owner = excluded.owner THEN 0 ELSE 1 END
         WHERE l.owner = excluded.owner OR l.expires_at <= ${SERVER_NOW_MS}
         RETURNING token::text, owner, address
       )
       SELECT token, true AS taken, owner, address FROM taken
       UNION ALL
       SELECT token::text, false, owner, address FROM ${this.table}
       WHERE class_name = $1 AND object_id = $2 AND NOT EXISTS (SELECT 1 FROM taken)`,
      [className, objectId, owner, address, leaseMs],
    );
    const row = rows[0];
    // Another process inserted the row after this statement's snapshot: neither half saw it.
    if (!row) return null;
    if (row.taken) return { mine: true, token: row.token };
    return { mine: false, owner: row.owner, address: row.address, token: row.token };
  }

  /** Extends every lease in `held` that `owner` still holds with its token; answers those it did. */
  async renew(owner: string, held: HeldLease[], leaseMs: number): Promise<HeldLease[]> {
    if (held.length === 0) return [];
    const rows = await this.query<{ class_name: string; object_id: string; token: string }>(
      "renewal",
      `UPDATE ${this.table} AS l SET expires_at = ${SERVER_NOW_MS} + $2
       FROM unnest($3::text[], $4::text[], $5::bigint[]) AS k(class_name, object_id, token)
       WHERE l.class_name = k.class_name AND l.object_id = k.object_id AND l.token = k.token
         AND l.owner = $1
       RETURNING l.class_name, l.object_id, l.token::text`,
      [owner, leaseMs, held.map((h) => h.className), held.map((h) => h.objectId), held.map((h) => h.token)],
    );
    return rows.map((r) => ({ className: r.class_name, objectId: r.object_id, token: r.token }));
  }

  /**
   * Ends the leases in `held` that `owner` still holds. The rows stay (expired), so that the
   * token keeps growing across takeovers.
   */
  async release(owner: string, held: HeldLease[]): Promise<void> {
    if (held.length === 0) return;
    await this.query(
      "release",
      `UPDATE ${this.table} AS l SET expires_at = 0
       FROM unnest($2::text[], $3::text[], $4::bigint[]) AS k(class_name, object_id, token)
       WHERE l.class_name = k.class_name AND l.object_id = k.object_id AND l.token = k.token
         AND l.owner = $1`,
      [owner, held.map((h) => h.className), held.map((h) => h.objectId), held.map((h) => h.token)],
    );
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
