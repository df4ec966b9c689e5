// A WebSocket's attachment: a structured-clone copy of a value kept with the socket for as long as
// it is open (the hibernation API reads it back after the object woke up). Cloudflare refuses one
// that serializes to more than 16 KiB, with the error string below.

import { deserialize, serialize } from "node:v8";

/** The largest serialized attachment Cloudflare keeps with a WebSocket. */
export const MAX_ATTACHMENT_BYTES = 16 * 1024;

/** The value's serialized copy; throws for a value structured clone refuses or one over the limit. */
export function serializeAttachment(value: unknown): Buffer {
  const bytes = serialize(value);
  if (bytes.byteLength > MAX_ATTACHMENT_BYTES) {
    throw new Error(
      `A WebSocket 'attachment' cannot be larger than ${MAX_ATTACHMENT_BYTES} bytes.'attachment' was ${bytes.byteLength} bytes.`,
    );
  }
  return bytes;
}

/** A fresh copy of the kept value, or null when none was kept. */
export function deserializeAttachment(bytes: Buffer | null): unknown {
  return bytes === null ? null : deserialize(bytes);
}
