// Checks every argument of a KV call against Cloudflare's rules before the store is touched, and
// turns the options into plain numbers: keys (empty, "." and "..", length), read types and
// cacheTtl, expiration and expirationTtl, metadata size, and list limits. The messages are
// Cloudflare's, so a Worker that handles a refusal on Cloudflare handles it here too.

import { KvError, type KvMethod, KvTypeError } from "./kv-errors.js";
import {
  MAX_BULK_KEYS,
  MAX_KEY_BYTES,
  MAX_LIST_LIMIT,
  MAX_METADATA_BYTES,
  MIN_CACHE_TTL,
  MIN_EXPIRATION_TTL,
} from "./kv-limits.js";

/** The ways a value can be read back. */
export type KvReadType = "text" | "json" | "arrayBuffer" | "stream";

const READ_TYPES: readonly string[] = ["text", "json", "arrayBuffer", "stream"];

/** The key as a string, refused when empty, "." or ".." or longer than 512 UTF-8 bytes. */
export function validateKey(method: KvMethod, raw: unknown): string {
  const key = String(raw);
  if (key === "") throw new KvTypeError("kv.invalid_key", "Key name cannot be empty.");
  if (key === "." || key === "..") {
    throw new KvTypeError("kv.invalid_key", `"${key}" is not allowed as a key name.`);
  }
  const length = Buffer.byteLength(key);
  if (length > MAX_KEY_BYTES) {
    throw new KvError(
      "kv.key_too_long",
      method,
      414,
      `UTF-8 encoded length of ${length} exceeds key length limit of ${MAX_KEY_BYTES}.`,
    );
  }
  return key;
}

/** The keys of a bulk read: 1 to 100 of them, each a legal name (Cloudflare words these apart). */
export function validateBulkKeys(raw: unknown[]): string[] {
  if (raw.length === 0) {
    throw new KvError("kv.invalid_bulk", "GET_BULK", 400, "You must request a minimum of 1 key");
  }
  if (raw.length > MAX_BULK_KEYS) {
    throw new KvError(
      "kv.invalid_bulk",
      "GET_BULK",
      400,
      `You can request a maximum of ${MAX_BULK_KEYS} keys`,
    );
  }
  return raw.map((item) => {
    const key = String(item);
    if (key === "" || key === "." || key === "..") {
      throw new KvError("kv.invalid_key", "GET_BULK", 400, `Key name ${key} is not legal`);
    }
    const length = Buffer.byteLength(key);
    if (length > MAX_KEY_BYTES) {
      throw new KvError("kv.key_too_long", "GET_BULK", 414, `Encoded length of ${length} is too long`);
    }
    return key;
  });
}

/** A read's options: a type name, or `{ type, cacheTtl }`. */
export type KvGetOptions = { type: string; cacheTtl: number | undefined };

/** The type (default "text") and cacheTtl of a read, not yet checked. */
export function parseGetOptions(raw: unknown): KvGetOptions {
  let type = "text";
  let cacheTtl: number | undefined;
  if (typeof raw === "string") type = raw;
  else if (typeof raw === "object" && raw !== null) {
    const options = raw as { type?: unknown; cacheTtl?: unknown };
    if (options.type !== undefined) type = String(options.type);
    if (options.cacheTtl !== undefined) cacheTtl = Number(options.cacheTtl);
  } else if (raw !== undefined && raw !== null) {
    type = String(raw);
  }
  return { type, cacheTtl };
}

/** Refuses a cacheTtl below 30 seconds (Cairn keeps no cache, but Cloudflare checks it). */
export function checkCacheTtl(method: KvMethod, cacheTtl: number | undefined): void {
  if (cacheTtl !== undefined && !(cacheTtl >= MIN_CACHE_TTL)) {
    throw new KvError(
      "kv.invalid_cache_ttl",
      method,
      400,
      `Invalid cache_ttl of ${cacheTtl}. Cache TTL must be at least ${MIN_CACHE_TTL}.`,
    );
  }
}

/** A single read's type, checked once the value was found (an absent key reads as null first). */
export function requireReadType(type: string): KvReadType {
  if (!READ_TYPES.includes(type)) {
    throw new KvTypeError(
      "kv.invalid_type",
      'Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".',
    );
  }
  return type as KvReadType;
}

/** A bulk read's type: only "text" and "json" can be answered for many keys at once. */
export function requireBulkType(type: string): "text" | "json" {
  if (type !== "text" && type !== "json") {
    throw new KvError(
      "kv.invalid_type",
      "GET_BULK",
      400,
      `"${type}" is not a valid type. Use "json" or "text"`,
    );
  }
  return type;
}

/** What `put` stores besides the value: when it expires (seconds since the epoch) and its metadata. */
export type KvPutSettings = { expiration: number | null; metadata: string | null };

function integerOf(value: unknown): number {
  if (typeof value === "number") return Math.trunc(value);
  return Number.parseInt(String(value), 10);
}

/**
 * Expiration from `expirationTtl` (at least 60 s) or `expiration` (seconds since the epoch, at
 * least 60 s ahead of `nowSeconds`; the TTL wins when both are given), and metadata as JSON of at
 * most 1024 bytes.
 */
export function parsePutOptions(raw: unknown, nowSeconds: number): KvPutSettings {
  const options = (typeof raw === "object" && raw !== null ? raw : {}) as {
    expiration?: unknown;
    expirationTtl?: unknown;
    metadata?: unknown;
  };
  let expiration: number | null = null;
  if (options.expirationTtl !== undefined && options.expirationTtl !== null) {
    const ttl = integerOf(options.expirationTtl);
    const shown = String(options.expirationTtl);
    if (!(ttl > 0)) {
      throw new KvError(
        "kv.invalid_expiration_ttl",
        "PUT",
        400,
        `Invalid expiration_ttl of ${shown}. Please specify integer greater than 0.`,
      );
    }
    if (ttl < MIN_EXPIRATION_TTL) {
      throw new KvError(
        "kv.invalid_expiration_ttl",
        "PUT",
        400,
        `Invalid expiration_ttl of ${shown}. Expiration TTL must be at least ${MIN_EXPIRATION_TTL}.`,
      );
    }
    expiration = nowSeconds + ttl;
  } else if (options.expiration !== undefined && options.expiration !== null) {
    const at = integerOf(options.expiration);
    const shown = String(options.expiration);
    if (!(at > nowSeconds)) {
      throw new KvError(
        "kv.invalid_expiration",
        "PUT",
        400,
        `Invalid expiration of ${shown}. Please specify integer greater than the current number of seconds since the UNIX epoch.`,
      );
    }
    if (at < nowSeconds + MIN_EXPIRATION_TTL) {
      throw new KvError(
        "kv.invalid_expiration",
        "PUT",
        400,
        `Invalid expiration of ${shown}. Expiration times must be at least ${MIN_EXPIRATION_TTL} seconds in the future.`,
      );
    }
    expiration = at;
  }
  let metadata: string | null = null;
  if (options.metadata !== undefined && options.metadata !== null) {
    const json = JSON.stringify(options.metadata);
    if (json !== undefined) {
      const length = Buffer.byteLength(json);
      if (length > MAX_METADATA_BYTES) {
        throw new KvError(
          "kv.metadata_too_large",
          "PUT",
          413,
          `Metadata length of ${length} exceeds limit of ${MAX_METADATA_BYTES}.`,
        );
      }
      metadata = json;
    }
  }
  return { expiration, metadata };
}

/** A list call's options, normalised: a limit of 0 or less means the default, as on Cloudflare. */
export type KvListSettings = { prefix: string; limit: number; cursor: string | null };

/** Prefix (at most 512 bytes), limit (at most 1000) and cursor of a list call. */
export function parseListOptions(raw: unknown): KvListSettings {
  const options = (typeof raw === "object" && raw !== null ? raw : {}) as {
    prefix?: unknown;
    limit?: unknown;
    cursor?: unknown;
  };
  let limit = MAX_LIST_LIMIT;
  if (options.limit !== undefined && options.limit !== null) {
    const asked = integerOf(options.limit);
    if (Number.isNaN(asked)) {
      throw new KvTypeError(
        "kv.invalid_limit",
        `list() limit must be a number; got ${String(options.limit)}`,
      );
    }
    if (asked > MAX_LIST_LIMIT) {
      throw new KvError(
        "kv.invalid_limit",
        "GET",
        400,
        `Invalid key_count_limit of ${asked}. Please specify integer less than ${MAX_LIST_LIMIT}.`,
      );
    }
    if (asked > 0) limit = asked;
  }
  const prefix = options.prefix === undefined || options.prefix === null ? "" : String(options.prefix);
  const length = Buffer.byteLength(prefix);
  if (length > MAX_KEY_BYTES) {
    throw new KvError(
      "kv.key_too_long",
      "GET",
      414,
      `UTF-8 encoded length of ${length} exceeds key length limit of ${MAX_KEY_BYTES}.`,
    );
  }
  const cursor =
    options.cursor === undefined || options.cursor === null || options.cursor === ""
      ? null
      : String(options.cursor);
  return { prefix, limit, cursor };
}
