// What the R2 crash test writes: the key and the content of put number i, both derived from i
// alone, so that the parent can check any object it finds against the put that wrote it.

import { createHash } from "node:crypto";

export const KEYS = 4;

export function keyFor(i: number): string {
  return `key-${i % KEYS}`;
}

/** Between 1 byte and ~600 KiB, filled from a hash chain of i so that no two puts look alike. */
export function contentFor(i: number): Uint8Array {
  const size = 1 + ((i * 7919) % (600 * 1024));
  const out = Buffer.alloc(size);
  let block = createHash("sha256").update(String(i)).digest();
  for (let at = 0; at < size; at += block.length) {
    block.copy(out, at);
    block = createHash("sha256").update(block).digest();
  }
  return out;
}
