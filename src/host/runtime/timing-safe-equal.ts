// `crypto.subtle.timingSafeEqual(a, b)`: Workers' non-standard comparison of two buffers in time
// that does not depend on where they differ. Node has the comparison as crypto.timingSafeEqual;
// this gives it the Workers shape (ArrayBuffers or views, a TypeError for different lengths).

import { timingSafeEqual as nodeTimingSafeEqual } from "node:crypto";

function bytes(value: unknown, which: string): Uint8Array {
  if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(
    `Failed to execute 'timingSafeEqual' on 'SubtleCrypto': parameter ${which} is not of type 'ArrayBuffer or ArrayBufferView'.`,
  );
}

/** True when `a` and `b` hold the same bytes; a TypeError when their byte lengths differ. */
export function timingSafeEqual(a: ArrayBuffer | ArrayBufferView, b: ArrayBuffer | ArrayBufferView): boolean {
  const left = bytes(a, "1");
  const right = bytes(b, "2");
  if (left.byteLength !== right.byteLength) {
    throw new TypeError("Input buffers must have the same byte length.");
  }
  return nodeTimingSafeEqual(left, right);
}
