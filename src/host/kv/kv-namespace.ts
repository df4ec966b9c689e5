// The KV namespace a Worker sees as `env.<BINDING>`: get (one key or up to 100), getWithMetadata,
// put, delete and list, as on Cloudflare. Validation, read types and expiry live here, once, above
// whichever store holds the data (a SQLite file or a PostgreSQL table). The clock is injectable so
// that tests can move time past an expiration without waiting.

import { decodeCursor, encodeCursor } from "./kv-cursor.js";
import type { KvStore } from "./kv-store.js";
import {
  checkCacheTtl,
  parseGetOptions,
  parseListOptions,
  parsePutOptions,
  requireBulkType,
  requireReadType,
  validateBulkKeys,
  validateKey,
} from "./kv-validation.js";
import { readAs, readBulkAs, valueBytes } from "./kv-values.js";

/** A key as `list` reports it: expiration and metadata only when the key has them. */
export type KvListKey = { name: string; expiration?: number; metadata?: unknown };

export type KvListResult = {
  keys: KvListKey[];
  list_complete: boolean;
  cursor?: string;
  cacheStatus: null;
};

export type KvValueWithMetadata = { value: unknown; metadata: unknown; cacheStatus: null };

function parseMetadata(json: string | null): unknown {
  return json === null ? null : JSON.parse(json);
}

/**
 * One KV namespace, named by its id: two bindings with the same id see the same data.
 *
 * @example
 * await env.CACHE.put("greeting", "hello", { expirationTtl: 300, metadata: { lang: "en" } });
 * const { value, metadata } = await env.CACHE.getWithMetadata("greeting");
 */
export class KvNamespace {
  readonly #store: KvStore;
  readonly #namespace: string;
  readonly #now: () => number;

  constructor(store: KvStore, namespace: string, now: () => number = Date.now) {
    this.#store = store;
    this.#namespace = namespace;
    this.#now = now;
  }

  /** A value as text (default), JSON, ArrayBuffer or stream, or null; with an array of keys, a Map. */
  async get(key: string | string[], options?: unknown): Promise<unknown> {
    if (Array.isArray(key)) return this.#bulk(key, options, false);
    const record = await this.#read(key, options);
    return record === null ? null : record.value;
  }

  /** The value and its metadata (null when none); with an array of keys, a Map of both. */
  async getWithMetadata(key: string | string[], options?: unknown): Promise<unknown> {
    if (Array.isArray(key)) return this.#bulk(key, options, true);
    const record = await this.#read(key, options);
    if (record === null) return { value: null, metadata: null, cacheStatus: null };
    return { value: record.value, metadata: record.metadata, cacheStatus: null };
  }

  async #read(rawKey: unknown, options: unknown): Promise<{ value: unknown; metadata: unknown } | null> {
    const key = validateKey("GET", rawKey);
    const { type, cacheTtl } = parseGetOptions(options);
    checkCacheTtl("GET", cacheTtl);
    const record = await this.#store.get(this.#namespace, key, this.#now());
    if (record === null) return null;
    // Cloudflare only looks at the type once a value was found: a missing key reads as null.
    const value = readAs(record.value, requireReadType(type));
    return { value, metadata: parseMetadata(record.metadata) };
  }

  async #bulk(rawKeys: unknown[], options: unknown, withMetadata: boolean): Promise<Map<string, unknown>> {
    // Checked in the order Cloudflare checks them: the type, the keys, then cacheTtl.
    const { type, cacheTtl } = parseGetOptions(options);
    const bulkType = requireBulkType(type);
    const keys = validateBulkKeys(rawKeys);
    checkCacheTtl("GET_BULK", cacheTtl);
    const found = await this.#store.getMany(this.#namespace, keys, this.#now());
    const result = new Map<string, unknown>();
    for (const key of keys) {
      const record = found.get(key);
      if (!record) {
        result.set(key, null);
        continue;
      }
      const value = readBulkAs(record.value, bulkType);
      result.set(key, withMetadata ? { value, metadata: parseMetadata(record.metadata) } : value);
    }
    return result;
  }

  /** Stores a string, ArrayBuffer, ArrayBufferView or ReadableStream, with expiry and metadata. */
  async put(rawKey: string, value: unknown, options?: unknown): Promise<void> {
    const key = validateKey("PUT", rawKey);
    const bytes = await valueBytes(value);
    const { expiration, metadata } = parsePutOptions(options, Math.floor(this.#now() / 1000));
    await this.#store.put(this.#namespace, key, { value: bytes, expiration, metadata });
  }

  /** Removes a key; deleting a missing key succeeds. */
  async delete(rawKey: string): Promise<void> {
    const key = validateKey("DELETE", rawKey);
    await this.#store.delete(this.#namespace, key);
  }

  /** Up to `limit` (default and most 1000) keys in byte order, with a cursor for the next page. */
  async list(options?: unknown): Promise<KvListResult> {
    const { prefix, limit, cursor } = parseListOptions(options);
    const after = cursor === null ? null : decodeCursor(this.#namespace, cursor);
    const now = this.#now();
    await this.#store.purgeExpired(this.#namespace, now);
    const rows = await this.#store.list(this.#namespace, { prefix, after, limit: limit + 1 }, now);
    const page = rows.slice(0, limit);
    const keys = page.map((row) => {
      const key: KvListKey = { name: row.name };
      if (row.expiration !== null) key.expiration = row.expiration;
      if (row.metadata !== null) key.metadata = JSON.parse(row.metadata);
      return key;
    });
    const last = page[page.length - 1];
    if (rows.length > limit && last) {
      return {
        keys,
        list_complete: false,
        cursor: encodeCursor(this.#namespace, last.name),
        cacheStatus: null,
      };
    }
    return { keys, list_complete: true, cacheStatus: null };
  }
}
