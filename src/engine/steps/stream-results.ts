// `ReadableStream<Uint8Array>` step results: the stream is read and stored in chunks as it is
// read, and every later reader (the live path and each replay) gets a fresh
// stream over the stored bytes. Streams that cannot be stored faithfully fail the instance.

import * as nodeStream from "node:stream";
import type { StepHost } from "../activation/types.js";
import { StreamResultError } from "../step-errors.js";

/** Chunks are written to storage in groups of about this many bytes. */
const WRITE_GROUP_BYTES = 256 * 1024;
/** The largest single chunk a stream may yield. */
export const MAX_STREAM_CHUNK_BYTES = 16 * 1024 * 1024;

export function isStreamResult(value: unknown): value is ReadableStream<unknown> {
  return typeof ReadableStream !== "undefined" && value instanceof ReadableStream;
}

/** A byte stream (`type: "bytes"`) is the kind that accepts BYOB readers. */
function isByteStream(stream: ReadableStream<unknown>): boolean {
  try {
    (stream as ReadableStream<Uint8Array>).getReader({ mode: "byob" }).releaseLock();
    return true;
  } catch {
    return false;
  }
}

function toBytes(chunk: unknown, key: string): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const kind = chunk === null ? "null" : typeof chunk === "object" ? chunk.constructor?.name : typeof chunk;
  throw new StreamResultError(
    `the stream returned by step "${key}" yielded a ${kind} chunk; stream results must yield Uint8Array chunks`,
  );
}

/** Reads the stream to its end, storing its bytes; stops early (without storing) once `stop()`. */
export async function persistStream(
  a: StepHost,
  key: string,
  stream: ReadableStream<unknown>,
  stop: () => boolean,
): Promise<void> {
  if (stream.locked) throw new StreamResultError(`step "${key}" returned a locked ReadableStream`);
  if ((nodeStream as unknown as { isDisturbed(s: unknown): boolean }).isDisturbed(stream)) {
    throw new StreamResultError(`step "${key}" returned a ReadableStream that was already read`);
  }
  if (isByteStream(stream)) {
    throw new StreamResultError(
      `step "${key}" returned a byte (BYOB) ReadableStream; return a default stream of Uint8Array chunks`,
    );
  }
  const reader = stream.getReader();
  let read = false;
  let group: Uint8Array[] = [];
  let groupBytes = 0;
  const flush = async () => {
    if (group.length === 0 || stop()) return;
    await a.chargeState(groupBytes);
    if (stop()) return;
    const chunks = group;
    group = [];
    groupBytes = 0;
    // The journal writer sends the attempt's start before its chunks.
    await a.appendStreamChunks(key, chunks);
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (stop()) return;
      if (done) break;
      const bytes = toBytes(value, key);
      if (bytes.byteLength > MAX_STREAM_CHUNK_BYTES) {
        throw new StreamResultError(
          `the stream returned by step "${key}" yielded a chunk of ${bytes.byteLength} bytes; the limit is ${MAX_STREAM_CHUNK_BYTES} bytes`,
        );
      }
      // Copy: the producer may reuse its buffer, and a view may hold a larger backing buffer.
      group.push(bytes.slice());
      groupBytes += bytes.byteLength;
      if (groupBytes >= WRITE_GROUP_BYTES) await flush();
    }
    await flush();
    read = true;
  } finally {
    // Stopped early (timeout, bad chunk, limit): tell the producer, so it can free what it holds.
    if (!read) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/** A fresh stream over the stored chunks of step `key`. */
export function replayStream(a: StepHost, key: string): ReadableStream<Uint8Array> {
  let chunks: Uint8Array[] | null = null;
  let next = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      chunks ??= await a.loadStreamChunks(key);
      const chunk = chunks[next++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(new Uint8Array(chunk));
    },
  });
}
