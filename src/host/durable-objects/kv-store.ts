// The key-value half of a Durable Object's storage, done synchronously on its SQLite file: values
// are structured-clone serialized (node:v8) into the hidden `_cf_kv` table, keys sort by their
// UTF-8 bytes as on Cloudflare, and the limits and error messages follow the object's storage kind
// (key-value backed objects have the smaller value limit and at most 128 keys a call).

import { deserialize, serialize } from "node:v8";
import type Database from "better-sqlite3";
import type { StorageKind } from "./config.js";
import { KV_TABLE } from "./object-file.js";

export const MAX_KEY_BYTES = 2048;
/** Key-value backed objects: 128 KiB, plus the few bytes of tagging serialization adds (as Cloudflare allows). */
export const MAX_KV_VALUE_BYTES = 128 * 1024;
const KV_VALUE_SLACK = 32;
/** SQLite-backed objects: a key and its value together. */
export const MAX_SQLITE_ENTRY_BYTES = 2 * 1024 * 1024;
/** Key-value backed objects: keys in one get/put/delete call. */
export const MAX_BATCH_KEYS = 128;

export type ListOptions = {
  start?: string;
  startAfter?: string;
  end?: string;
  prefix?: string;
  reverse?: boolean;
  limit?: number;
};

function keyOf(key: unknown): string {
  if (key === undefined)
    throw new TypeError("Durable Object storage keys must be strings; the key is undefined");
  return String(key);
}

export class KvStore {
  private readonly db: Database.Database;
  private readonly kind: StorageKind;

  constructor(db: Database.Database, kind: StorageKind) {
    this.db = db;
    this.kind = kind;
  }

  private checkKey(key: string): void {
    if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
      throw new RangeError(
        `Keys cannot be larger than ${MAX_KEY_BYTES} bytes. The key "${key.slice(0, 40)}…" is ${Buffer.byteLength(key)} bytes.`,
      );
    }
  }

  private checkBatch(count: number): void {
    if (this.kind === "kv" && count > MAX_BATCH_KEYS) {
      throw new RangeError(`Maximum number of keys is ${MAX_BATCH_KEYS}; this call has ${count}.`);
    }
  }

  private encode(key: string, value: unknown): Buffer {
    if (value === undefined)
      throw new TypeError(`Cannot store undefined for the key "${key}"; delete the key instead.`);
    const bytes = serialize(value);
    if (this.kind === "kv" && bytes.byteLength > MAX_KV_VALUE_BYTES + KV_VALUE_SLACK) {
      throw new RangeError(
        `Values cannot be larger than ${MAX_KV_VALUE_BYTES} bytes. The value of "${key}" is ${bytes.byteLength} bytes.`,
      );
    }
    if (this.kind === "sqlite" && bytes.byteLength + Buffer.byteLength(key) > MAX_SQLITE_ENTRY_BYTES) {
      throw new RangeError(
        `A key and its value together cannot be larger than ${MAX_SQLITE_ENTRY_BYTES} bytes. "${key.slice(0, 40)}" and its value are ${bytes.byteLength + Buffer.byteLength(key)} bytes.`,
      );
    }
    return bytes;
  }

  getOne(key: unknown): unknown {
    const k = keyOf(key);
    this.checkKey(k);
    const row = this.db.prepare(`SELECT value FROM ${KV_TABLE} WHERE key = ?`).get(k) as
      | { value: Buffer }
      | undefined;
    return row ? deserialize(row.value) : undefined;
  }

  /** The entries that exist, in key order (as Cloudflare's Map for an array of keys). */
  getMany(keys: unknown[]): Map<string, unknown> {
    const list = keys.map(keyOf);
    this.checkBatch(list.length);
    for (const k of list) this.checkKey(k);
    const found = new Map<string, unknown>();
    const select = this.db.prepare(`SELECT value FROM ${KV_TABLE} WHERE key = ?`);
    for (const k of [...new Set(list)].sort(compareKeys)) {
      const row = select.get(k) as { value: Buffer } | undefined;
      if (row) found.set(k, deserialize(row.value));
    }
    return found;
  }

  putOne(key: unknown, value: unknown): void {
    const k = keyOf(key);
    this.checkKey(k);
    const bytes = this.encode(k, value);
    this.db.prepare(`INSERT OR REPLACE INTO ${KV_TABLE} (key, value) VALUES (?, ?)`).run(k, bytes);
  }

  putMany(entries: Record<string, unknown>): void {
    if (typeof entries !== "object" || entries === null) {
      throw new TypeError("put() takes a key and a value, or an object of entries");
    }
    const list = Object.entries(entries);
    this.checkBatch(list.length);
    const encoded = list.map(([k, v]) => {
      this.checkKey(k);
      return [k, this.encode(k, v)] as const;
    });
    const insert = this.db.prepare(`INSERT OR REPLACE INTO ${KV_TABLE} (key, value) VALUES (?, ?)`);
    this.db.transaction(() => {
      for (const [k, bytes] of encoded) insert.run(k, bytes);
    })();
  }

  deleteOne(key: unknown): boolean {
    const k = keyOf(key);
    this.checkKey(k);
    return this.db.prepare(`DELETE FROM ${KV_TABLE} WHERE key = ?`).run(k).changes > 0;
  }

  deleteMany(keys: unknown[]): number {
    const list = keys.map(keyOf);
    this.checkBatch(list.length);
    for (const k of list) this.checkKey(k);
    const remove = this.db.prepare(`DELETE FROM ${KV_TABLE} WHERE key = ?`);
    let count = 0;
    this.db.transaction(() => {
      for (const k of new Set(list)) count += remove.run(k).changes;
    })();
    return count;
  }

  deleteAll(): void {
    this.db.prepare(`DELETE FROM ${KV_TABLE}`).run();
  }

  list(options: ListOptions = {}): Map<string, unknown> {
    const { where, params, limit, reverse } = listQuery(options);
    const rows = this.db
      .prepare(
        `SELECT key, value FROM ${KV_TABLE}${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ` +
          `ORDER BY key ${reverse ? "DESC" : "ASC"}${limit === undefined ? "" : " LIMIT ?"}`,
      )
      .all(...params, ...(limit === undefined ? [] : [limit])) as { key: string; value: Buffer }[];
    return new Map(rows.map((r) => [r.key, deserialize(r.value)]));
  }
}

/** Orders keys by their UTF-8 bytes, as SQLite's BINARY collation and Cloudflare do. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function listQuery(options: ListOptions): {
  where: string[];
  params: unknown[];
  limit?: number;
  reverse: boolean;
} {
  if (typeof options !== "object" || options === null)
    throw new TypeError("list() options must be an object");
  const { start, startAfter, end, prefix, reverse, limit } = options;
  for (const [name, value] of Object.entries({ start, startAfter, end, prefix })) {
    if (value !== undefined && typeof value !== "string")
      throw new TypeError(`list() option ${name} must be a string`);
  }
  if (start !== undefined && startAfter !== undefined) {
    throw new TypeError("list() options start and startAfter cannot both be set");
  }
  if (limit !== undefined && (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1)) {
    throw new RangeError(`list() option limit must be a positive integer; got ${String(limit)}`);
  }
  const where: string[] = [];
  const params: unknown[] = [];
  const bound = (clause: string, ...values: unknown[]) => {
    where.push(clause);
    params.push(...values);
  };
  if (start !== undefined) bound("key >= ?", start);
  if (startAfter !== undefined) bound("key > ?", startAfter);
  if (end !== undefined) bound("key < ?", end);
  // Compared as bytes, so that a prefix ending inside a surrogate pair still means its UTF-8 bytes.
  if (prefix) bound("substr(CAST(key AS BLOB), 1, ?) = CAST(? AS BLOB)", Buffer.byteLength(prefix), prefix);
  return { where, params, ...(limit === undefined ? {} : { limit }), reverse: reverse === true };
}
