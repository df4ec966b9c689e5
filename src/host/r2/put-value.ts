// The values a put or uploadPart accepts (ReadableStream, ArrayBuffer, ArrayBufferView, string,
// Blob, and null for an empty object), turned into one stream of byte chunks to write. A stream of
// unknown length is accepted as it is (the Workers runtime asks for a known length).

const EXPECTED = "ReadableStream or ArrayBuffer or ArrayBufferView or string or Blob";

async function* fromStream(stream: ReadableStream<unknown>, operation: string): AsyncIterable<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value instanceof Uint8Array) yield value;
      else if (ArrayBuffer.isView(value))
        yield new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      else if (value instanceof ArrayBuffer) yield new Uint8Array(value);
      else {
        throw new TypeError(
          `${operation}: the ReadableStream must give bytes (Uint8Array chunks), got ${typeof value}`,
        );
      }
    }
  } finally {
    reader.releaseLock();
  }
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  if (bytes.byteLength > 0) yield bytes;
}

/** The bytes of `value` as chunks; `nullable` says whether null (an empty object) is allowed. */
export function valueChunks(
  value: unknown,
  operation: string,
  parameter: number,
  nullable: boolean,
): AsyncIterable<Uint8Array> {
  if ((value === null || value === undefined) && nullable) return once(new Uint8Array(0));
  if (typeof value === "string") return once(new TextEncoder().encode(value));
  if (value instanceof ArrayBuffer) return once(new Uint8Array(value));
  if (ArrayBuffer.isView(value))
    return once(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  if (value instanceof Blob) return fromStream(value.stream(), operation);
  if (value instanceof ReadableStream) return fromStream(value, operation);
  const type = nullable ? `${EXPECTED} or null` : EXPECTED;
  throw new TypeError(
    `Failed to execute '${operation}' on 'R2Bucket': parameter ${parameter} is not of type '${type}'.`,
  );
}
