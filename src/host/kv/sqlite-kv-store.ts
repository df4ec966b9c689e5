// KV on a SQLite file (`<stateDir>/kv.sqlite`) when the engine's storage is SQLite: one table for
// every namespace, keys as BLOBs so that SQLite orders them byte by byte. WAL with
// synchronous=FULL, so a put that returned survives kill -9 and power loss, and other processes
// on the same data folder can read and write it too.

import type Database from "better-sqlite3";
import { openStateDatabase } from "../state-database.js";
import {
  isExpired,
  type KvListedKey,
  type KvListQuery,
  type KvRecord,
  type KvStore,
  prefixEnd,
} from "./kv-store.js";

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS kv_entries (
    namespace TEXT NOT NULL,
    key BLOB NOT NULL,
    value BLOB NOT NULL,
    expiration INTEGER,
    metadata TEXT,
    PRIMARY KEY (namespace, key)
  );
  CREATE INDEX IF NOT EXISTS kv_entries_by_expiration
    ON kv_entries (namespace, expiration) WHERE expiration IS NOT NULL;
`;

type Row = { key: Buffer; value: Buffer; expiration: number | null; metadata: string | null };

const LIVE = "(expiration IS NULL OR expiration * 1000 > @now)";

/** KV data in one SQLite file, shared by every namespace of the project. */
export class SqliteKvStore implements KvStore {
  private readonly db: Database.Database;
  private readonly statements: ReturnType<SqliteKvStore["prepare"]>;

  constructor(path: string) {
    this.db = openStateDatabase(path);
    this.db.exec(SCHEMA);
    this.statements = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      get: db.prepare<{ ns: string; key: Buffer }, Row>(
        "SELECT key, value, expiration, metadata FROM kv_entries WHERE namespace = @ns AND key = @key",
      ),
      put: db.prepare(
        `INSERT INTO kv_entries (namespace, key, value, expiration, metadata)
         VALUES (@ns, @key, @value, @expiration, @metadata)
         ON CONFLICT (namespace, key) DO UPDATE SET
           value = excluded.value, expiration = excluded.expiration, metadata = excluded.metadata`,
      ),
      delete: db.prepare("DELETE FROM kv_entries WHERE namespace = @ns AND key = @key"),
      deleteExpired: db.prepare(
        "DELETE FROM kv_entries WHERE namespace = @ns AND key = @key AND expiration * 1000 <= @now",
      ),
      purge: db.prepare("DELETE FROM kv_entries WHERE namespace = @ns AND expiration * 1000 <= @now"),
      list: db.prepare<
        { ns: string; from: Buffer; after: Buffer | null; end: Buffer | null; now: number; limit: number },
        Row
      >(
        `SELECT key, NULL AS value, expiration, metadata FROM kv_entries
         WHERE namespace = @ns AND key >= @from
           AND (@after IS NULL OR key > @after)
           AND (@end IS NULL OR key < @end)
           AND ${LIVE}
         ORDER BY key LIMIT @limit`,
      ),
    };
  }

  async get(namespace: string, key: string, now: number): Promise<KvRecord | null> {
    const keyBytes = Buffer.from(key);
    const row = this.statements.get.get({ ns: namespace, key: keyBytes });
    if (!row) return null;
    if (isExpired(row.expiration, now)) {
      this.statements.deleteExpired.run({ ns: namespace, key: keyBytes, now });
      return null;
    }
    return { value: row.value, expiration: row.expiration, metadata: row.metadata };
  }

  async getMany(namespace: string, keys: string[], now: number): Promise<Map<string, KvRecord>> {
    const found = new Map<string, KvRecord>();
    for (const key of keys) {
      const record = await this.get(namespace, key, now);
      if (record) found.set(key, record);
    }
    return found;
  }

  async put(namespace: string, key: string, record: KvRecord): Promise<void> {
    this.statements.put.run({
      ns: namespace,
      key: Buffer.from(key),
      value: Buffer.from(record.value.buffer, record.value.byteOffset, record.value.byteLength),
      expiration: record.expiration,
      metadata: record.metadata,
    });
  }

  async delete(namespace: string, key: string): Promise<void> {
    this.statements.delete.run({ ns: namespace, key: Buffer.from(key) });
  }

  async list(namespace: string, query: KvListQuery, now: number): Promise<KvListedKey[]> {
    const from = Buffer.from(query.prefix);
    const end = prefixEnd(from);
    const rows = this.statements.list.all({
      ns: namespace,
      from,
      after: query.after === null ? null : Buffer.from(query.after),
      end: end === null ? null : Buffer.from(end),
      now,
      limit: query.limit,
    });
    return rows.map((row) => ({
      name: row.key.toString("utf8"),
      expiration: row.expiration,
      metadata: row.metadata,
    }));
  }

  async purgeExpired(namespace: string, now: number): Promise<void> {
    this.statements.purge.run({ ns: namespace, now });
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
