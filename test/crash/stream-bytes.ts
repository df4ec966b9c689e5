// The bytes the crash test's stream steps produce: 3–5 chunks of 64–160 KiB (or, small, 1–4 KiB)
// each, a pure function of the instance seed and a stream number, so that the child (producer and
// reader) and the parent (checks on outputs and on the stored chunks) agree without talking. Big
// chunks make the engine write a stream in several groups, so kills land between stored groups.

import { createHash } from "node:crypto";

export function streamChunks(seed: number, stream: number, small = false): Uint8Array[] {
  const count = 3 + ((seed + stream) % 3);
  return Array.from({ length: count }, (_, c) => {
    const kib = small ? 1 + ((seed + c) % 4) : 64 + ((seed * 7 + stream * 13 + c * 29) % 97);
    const size = kib * 1024 + c;
    const bytes = new Uint8Array(size);
    // xorshift32, seeded per chunk (never 0).
    let x = (seed * 2_654_435_761 + stream * 40_503 + c * 9_973 + 1) >>> 0 || 1;
    for (let i = 0; i < size; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      bytes[i] = x & 0xff;
    }
    return bytes;
  });
}

/** A short digest of the concatenated chunks (what the workflows put in their outputs). */
export function digest(chunks: Uint8Array[]): string {
  const hash = createHash("sha256");
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest("hex").slice(0, 16);
}

export function totalBytes(chunks: Uint8Array[]): number {
  return chunks.reduce((n, c) => n + c.byteLength, 0);
}

/** Reads a stream to its end. */
export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const reader = stream.getReader();
  const out: Uint8Array[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return out;
      out.push(value);
    }
  } finally {
    reader.releaseLock();
  }
}
