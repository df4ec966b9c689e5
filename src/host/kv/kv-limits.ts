// Cloudflare's documented limits of Workers KV, in one place so that validation and its tests
// name the same numbers.

/** A key's UTF-8 length, in bytes. */
export const MAX_KEY_BYTES = 512;
/** A value's length, in bytes (25 MiB). */
export const MAX_VALUE_BYTES = 25 * 1024 * 1024;
/** Metadata's length once serialized to JSON, in bytes. */
export const MAX_METADATA_BYTES = 1024;
/** The shortest `expirationTtl`, and how far ahead an absolute `expiration` must be, in seconds. */
export const MIN_EXPIRATION_TTL = 60;
/** The shortest `cacheTtl` a read accepts, in seconds. */
export const MIN_CACHE_TTL = 30;
/** The most keys one `list` call returns, and its default. */
export const MAX_LIST_LIMIT = 1000;
/** The most keys one bulk `get` may ask for. */
export const MAX_BULK_KEYS = 100;
