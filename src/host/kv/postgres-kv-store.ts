// KV in a table on the engine's PostgreSQL server when the storage URL is postgres://…: in the
// same schema as the engine's tables (the URL's `?schema=`, else "cairn"), so one database holds
// a project's whole state and every process of `cairn start` shares it. Keys are bytea, which
// PostgreSQL orders byte by byte, whatever the database's collation.

import type pg from "pg";
import { translateError } from "../../storage/postgres/errors.js";
import { openPartTable } from "../postgres-part-table.js";
import {
  isExpired,
  type KvListedKey,
  type KvListQuery,
  type KvRecord,
  type KvStore,
  prefixEnd,
} from "./kv-store.js";

/** Connections this store keeps; KV calls are short, and the engine has its own pool. */
const POOL_SIZE = 4;

type Row = { key: Buffer; value: Buffer; expiration: string | null; metadata: string | null };

function seconds(value: string | null): number | null {
  return value === null ? null : Number(value);
}

/** KV data in `<schema>.kv_entries` on the engine's PostgreSQL server. */
export class PostgresKvStore implements KvStore {
  private readonly pool: pg.Pool;
  private readonly table: string;

  private constructor(pool: pg.Pool, table: string) {
    this.pool = pool;
    this.table = table;
  }

  /** Connects and creates the table if needed, holding the schema's lock so concurrent starts agree. */
  static async open(url: string): Promise<PostgresKvStore> {
    const { pool, table } = await openPartTable(url, {
      name: "kv_entries",
      what: "the KV table",
      poolSize: POOL_SIZE,
      create: [
        `CREATE TABLE IF NOT EXISTS {table} (
           namespace text NOT NULL,
           key bytea NOT NULL,
           value bytea NOT NULL,
           expiration bigint,
           metadata text,
           PRIMARY KEY (namespace, key)
         )`,
        `CREATE INDEX IF NOT EXISTS kv_entries_by_expiration
           ON {table} (namespace, expiration) WHERE expiration IS NOT NULL`,
      ],
    });
    return new PostgresKvStore(pool, table);
  }

  /** Runs a statement; a driver failure becomes the engine's storage error, naming the operation. */
  private async query<R extends pg.QueryResultRow>(
    what: string,
    sql: string,
    values: unknown[],
  ): Promise<R[]> {
    try {
      return (await this.pool.query<R>(sql, values)).rows;
    } catch (error) {
      throw translateError(error, `KV ${what}`);
    }
  }

  async get(namespace: string, key: string, now: number): Promise<KvRecord | null> {
    const keyBytes = Buffer.from(key);
    const rows = await this.query<Row>(
      "get",
      `SELECT key, value, expiration, metadata FROM ${this.table} WHERE namespace = $1 AND key = $2`,
      [namespace, keyBytes],
    );
    const row = rows[0];
    if (!row) return null;
    const expiration = seconds(row.expiration);
    if (isExpired(expiration, now)) {
      await this.query(
        "purge",
        `DELETE FROM ${this.table} WHERE namespace = $1 AND key = $2 AND expiration * 1000 <= $3`,
        [namespace, keyBytes, now],
      );
      return null;
    }
    return { value: row.value, expiration, metadata: row.metadata };
  }

  async getMany(namespace: string, keys: string[], now: number): Promise<Map<string, KvRecord>> {
    const rows = await this.query<Row>(
      "bulk get",
      `SELECT key, value, expiration, metadata FROM ${this.table}
       WHERE namespace = $1 AND key = ANY($2::bytea[])`,
      [namespace, keys.map((k) => Buffer.from(k))],
    );
    const found = new Map<string, KvRecord>();
    let expired = false;
    for (const row of rows) {
      const expiration = seconds(row.expiration);
      if (isExpired(expiration, now)) {
        expired = true;
        continue;
      }
      found.set(row.key.toString("utf8"), { value: row.value, expiration, metadata: row.metadata });
    }
    if (expired) await this.purgeExpired(namespace, now);
    return found;
  }

  async put(namespace: string, key: string, record: KvRecord): Promise<void> {
    await this.query(
      "put",
      `INSERT INTO ${this.table} (namespace, key, value, expiration, metadata)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (namespace, key) DO UPDATE SET
         value = excluded.value, expiration = excluded.expiration, metadata = excluded.metadata`,
      [
        namespace,
        Buffer.from(key),
        Buffer.from(record.value.buffer, record.value.byteOffset, record.value.byteLength),
        record.expiration,
        record.metadata,
      ],
    );
  }

  async delete(namespace: string, key: string): Promise<void> {
    await this.query("delete", `DELETE FROM ${this.table} WHERE namespace = $1 AND key = $2`, [
      namespace,
      Buffer.from(key),
    ]);
  }

  async list(namespace: string, query: KvListQuery, now: number): Promise<KvListedKey[]> {
    const from = Buffer.from(query.prefix);
    const end = prefixEnd(from);
    const rows = await this.query<Row>(
      "list",
      `SELECT key, expiration, metadata FROM ${this.table}
       WHERE namespace = $1 AND key >= $2
         AND ($3::bytea IS NULL OR key > $3::bytea)
         AND ($4::bytea IS NULL OR key < $4::bytea)
         AND (expiration IS NULL OR expiration * 1000 > $5)
       ORDER BY key LIMIT $6`,
      [
        namespace,
        from,
        query.after === null ? null : Buffer.from(query.after),
        end === null ? null : Buffer.from(end),
        now,
        query.limit,
      ],
    );
    return rows.map((row) => ({
      name: row.key.toString("utf8"),
      expiration: seconds(row.expiration),
      metadata: row.metadata,
    }));
  }

  async purgeExpired(namespace: string, now: number): Promise<void> {
    await this.query("purge", `DELETE FROM ${this.table} WHERE namespace = $1 AND expiration * 1000 <= $2`, [
      namespace,
      now,
    ]);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
