// What a KV binding needs from the place its data lives: one small interface with a SQLite file
// and a PostgreSQL table behind it. Keys are bytes (UTF-8) so that both order them the same way,
// byte by byte, as Cloudflare lists them. Expiry is decided by the binding's clock, passed in as
// `now` (milliseconds); the store never reads a clock of its own.

/** One stored entry. `expiration` is in seconds since the epoch; `metadata` is JSON text. */
export type KvRecord = {
  value: Uint8Array;
  expiration: number | null;
  metadata: string | null;
};

/** A listed key, without its value. */
export type KvListedKey = { name: string; expiration: number | null; metadata: string | null };

export type KvListQuery = {
  prefix: string;
  /** List keys strictly after this one (the last key of the previous page). */
  after: string | null;
  limit: number;
};

/**
 * The storage of every KV namespace of a project; a namespace is named by its `id`, so bindings
 * that share an id share data. Expired entries are never returned; the store deletes them as it
 * meets them.
 */
export interface KvStore {
  /** The live entry of `key`, or null. */
  get(namespace: string, key: string, now: number): Promise<KvRecord | null>;
  /** The live entries of `keys` (absent and expired keys are left out). */
  getMany(namespace: string, keys: string[], now: number): Promise<Map<string, KvRecord>>;
  /** Stores the entry, replacing any under the same key. */
  put(namespace: string, key: string, record: KvRecord): Promise<void>;
  /** Removes the entry; a missing key is not an error. */
  delete(namespace: string, key: string): Promise<void>;
  /** Up to `limit` live keys in byte order, starting after `after`, with `prefix`. */
  list(namespace: string, query: KvListQuery, now: number): Promise<KvListedKey[]>;
  /** Deletes every entry of the namespace that has expired by `now`. */
  purgeExpired(namespace: string, now: number): Promise<void>;
  close(): Promise<void>;
}

/** True when an entry with this expiration (seconds) has expired at `now` (milliseconds). */
export function isExpired(expiration: number | null, now: number): boolean {
  return expiration !== null && expiration * 1000 <= now;
}

/** The smallest byte string greater than every string starting with `prefix`, or null if none. */
export function prefixEnd(prefix: Uint8Array): Uint8Array | null {
  const end = Uint8Array.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return null;
}
