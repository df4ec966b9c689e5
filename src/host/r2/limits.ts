// R2's documented limits, in one place so that the checks and the docs agree: key length,
// metadata size, single-request upload size, list page size and multipart part rules.

/** An object key is at most this many bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

/** Custom metadata (keys and values, in UTF-8 bytes) may total at most this. */
export const MAX_METADATA_BYTES = 8192;

/** One put or one part is at most 5 GiB less 5 MiB. */
export const MAX_UPLOAD_BYTES = 5 * 1024 ** 3 - 5 * 1024 ** 2;

/** `list` returns at most this many entries, and this many when no limit is given. */
export const MAX_LIST_LIMIT = 1000;

/** Part numbers run from 1 to this. */
export const MAX_PART_NUMBER = 10_000;

/** Every part but the last must be at least this large (5 MiB). */
export const MIN_PART_BYTES = 5 * 1024 ** 2;

/** Size of a key in bytes, as R2 measures it. */
export function keyBytes(key: string): number {
  return Buffer.byteLength(key, "utf8");
}
