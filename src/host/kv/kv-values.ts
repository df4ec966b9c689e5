// Turns what a Worker passes to `put` into bytes, and stored bytes back into what `get` was asked
// for. A KV value is bytes on Cloudflare whatever was written, so a string written can be read as
// an ArrayBuffer and bytes written can be read as text.

import { KvError, KvTypeError } from "./kv-errors.js";
import { MAX_VALUE_BYTES } from "./kv-limits.js";
import type { KvReadType } from "./kv-validation.js";

const NOT_A_VALUE =
  "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.";

function tooLarge(length: number): KvError {
  return new KvError(
    "kv.value_too_large",
    "PUT",
    413,
    `Value length of ${length} exceeds limit of ${MAX_VALUE_BYTES}.`,
  );
}

/** Reads a stream to its end, giving up (and cancelling it) once it passes the value limit. */
async function readStream(stream: ReadableStream<unknown>): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const chunk =
      typeof value === "string"
        ? new TextEncoder().encode(value)
        : value instanceof Uint8Array
          ? value
          : ArrayBuffer.isView(value)
            ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
            : value instanceof ArrayBuffer
              ? new Uint8Array(value)
              : null;
    if (chunk === null) {
      await reader.cancel().catch(() => {});
      throw new KvTypeError("kv.invalid_value", "KV put() stream chunks must be bytes.");
    }
    length += chunk.byteLength;
    if (length > MAX_VALUE_BYTES) {
      await reader.cancel().catch(() => {});
      throw tooLarge(length);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The bytes of a value given to `put`; other objects are refused with Cloudflare's TypeError. */
export async function valueBytes(value: unknown): Promise<Uint8Array> {
  let bytes: Uint8Array;
  if (typeof value === "object" && value !== null) {
    if (value instanceof ArrayBuffer) bytes = new Uint8Array(value.slice(0));
    else if (ArrayBuffer.isView(value)) {
      bytes = Uint8Array.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    } else if (value instanceof ReadableStream) bytes = await readStream(value);
    else throw new KvTypeError("kv.invalid_value", NOT_A_VALUE);
  } else {
    // Cloudflare converts any other primitive to its string form.
    bytes = new TextEncoder().encode(String(value));
  }
  if (bytes.byteLength > MAX_VALUE_BYTES) throw tooLarge(bytes.byteLength);
  return bytes;
}

/** Stored bytes as the asked type: text, parsed JSON, an ArrayBuffer, or a ReadableStream. */
export function readAs(bytes: Uint8Array, type: KvReadType): unknown {
  switch (type) {
    case "text":
      return new TextDecoder().decode(bytes);
    case "json":
      return JSON.parse(new TextDecoder().decode(bytes));
    case "arrayBuffer":
      return Uint8Array.from(bytes).buffer;
    case "stream": {
      const copy = Uint8Array.from(bytes);
      return new ReadableStream<Uint8Array>({
        start(controller) {
          if (copy.byteLength > 0) controller.enqueue(copy);
          controller.close();
        },
      });
    }
  }
}

/** A bulk read's value: text, or JSON that must parse (else Cloudflare's refusal of the whole call). */
export function readBulkAs(bytes: Uint8Array, type: "text" | "json"): unknown {
  const text = new TextDecoder().decode(bytes);
  if (type === "text") return text;
  try {
    return JSON.parse(text);
  } catch {
    throw new KvError(
      "kv.not_json",
      "GET_BULK",
      400,
      "At least one of the requested keys corresponds to a non-json value",
    );
  }
}
