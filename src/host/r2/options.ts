// Checks shared by the bucket's methods: the object key (at most 1024 bytes of UTF-8), the
// storage class, and custom metadata within R2's size limit.

import { R2Error, type R2Operation } from "./errors.js";
import { customMetadataBytes, readCustomMetadata } from "./http-metadata.js";
import { keyBytes, MAX_KEY_BYTES, MAX_METADATA_BYTES } from "./limits.js";

export const STORAGE_CLASSES = ["Standard", "InfrequentAccess"];

/** The key as a string, or InvalidObjectName when it is longer than R2 allows. */
export function checkKey(key: unknown, operation: R2Operation): string {
  const text = String(key);
  if (keyBytes(text) > MAX_KEY_BYTES) throw new R2Error(operation, "InvalidObjectName");
  return text;
}

/** The storage class option ("Standard" when none is given). */
export function readStorageClass(value: unknown): string {
  if (value === undefined || value === null) return "Standard";
  if (typeof value !== "string" || !STORAGE_CLASSES.includes(value)) {
    throw new TypeError(
      `storageClass is ${JSON.stringify(value)}; it must be one of ${STORAGE_CLASSES.join(", ")}`,
    );
  }
  return value;
}

/** `customMetadata`, refused with MetadataTooLarge past R2's 8192-byte limit. */
export function readLimitedCustomMetadata(value: unknown, operation: R2Operation): Record<string, string> {
  const metadata = readCustomMetadata(value);
  if (customMetadataBytes(metadata) > MAX_METADATA_BYTES) throw new R2Error(operation, "MetadataTooLarge");
  return metadata;
}

/**
 * The options argument as an object (undefined and null count as none). Cairn keeps no
 * customer-provided encryption keys, so `ssecKey` is refused rather than silently ignored.
 */
export function optionsObject(options: unknown, method: string): Record<string, unknown> {
  if (options === undefined || options === null) return {};
  if (typeof options !== "object") {
    throw new TypeError(`${method}: options must be an object, got ${typeof options}`);
  }
  if ((options as Record<string, unknown>).ssecKey !== undefined) {
    throw new TypeError(
      `${method}: ssecKey (server-side encryption with a customer key) is not supported by Cairn`,
    );
  }
  return options as Record<string, unknown>;
}
