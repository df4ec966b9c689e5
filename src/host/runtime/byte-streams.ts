// Workers' byte TransformStreams, which Node lacks: IdentityTransformStream passes the bytes
// written to its writable side through to a byte (BYOB-capable) readable side, unchanged, and
// refuses anything but ArrayBuffers and views; FixedLengthStream also checks that exactly the
// declared number of bytes go through, and a Response whose body is its readable side is sent
// with that Content-Length (see http-server.ts), as on Cloudflare.

/** Declared lengths of FixedLengthStream readable sides, for the Content-Length of a Response. */
const declaredLengths = new WeakMap<ReadableStream, number>();

/** The byte length a FixedLengthStream declared for `stream`, if it is one's readable side. */
export function fixedLengthOf(stream: ReadableStream): number | undefined {
  return declaredLengths.get(stream);
}

/** What a subclass checks of the bytes going through: per chunk, and at close. */
type ByteChecks = { chunk(bytes: Uint8Array): void; close(): void };

const NO_CHECKS: ByteChecks = { chunk: () => {}, close: () => {} };

function bytesOf(chunk: unknown): Uint8Array {
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk.slice(0));
  if (ArrayBuffer.isView(chunk)) {
    return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength).slice();
  }
  if (typeof chunk === "string") {
    throw new TypeError(
      "This TransformStream is being used as a byte stream, but received a string on its writable side. " +
        "If you wish to write a string, you'll probably want to explicitly UTF-8-encode it with TextEncoder.",
    );
  }
  throw new TypeError(
    "This TransformStream is being used as a byte stream, but received an object of non-ArrayBuffer/ArrayBufferView type on its writable side.",
  );
}

/** A TransformStream of bytes, passed through unchanged. */
export class IdentityTransformStream {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<ArrayBuffer | ArrayBufferView>;

  /** `checks` is internal: what FixedLengthStream checks of the bytes going through. */
  constructor(_strategy?: { highWaterMark?: number | bigint }, checks: ByteChecks = NO_CHECKS) {
    [this.readable, this.writable] = bytePipe(checks);
  }
}

/** An IdentityTransformStream that errors unless exactly `expectedLength` bytes go through. */
export class FixedLengthStream extends IdentityTransformStream {
  constructor(expectedLength: number | bigint, strategy?: { highWaterMark?: number | bigint }) {
    const expected = validLength(expectedLength);
    super(strategy, lengthChecks(expected));
    declaredLengths.set(this.readable, expected);
  }
}

function validLength(value: unknown): number {
  const length = typeof value === "bigint" ? Number(value) : value;
  if (typeof length !== "number" || !Number.isSafeInteger(length) || length < 0) {
    throw new TypeError("FixedLengthStream requires a non-negative integer expected length.");
  }
  return length;
}

function lengthChecks(expected: number): ByteChecks {
  let seen = 0;
  return {
    chunk(bytes) {
      seen += bytes.byteLength;
      if (seen > expected)
        throw new TypeError("Attempt to write too many bytes through a FixedLengthStream.");
    },
    close() {
      if (seen < expected) {
        throw new TypeError("FixedLengthStream did not see all expected bytes before close().");
      }
    },
  };
}

/** A writable side feeding a byte readable side, with backpressure from the reader. */
function bytePipe(
  checks: ByteChecks,
): [ReadableStream<Uint8Array>, WritableStream<ArrayBuffer | ArrayBufferView>] {
  let readable!: ReadableByteStreamController;
  let writable!: WritableStreamDefaultController;
  let wanted: (() => void) | null = null;
  const release = () => {
    wanted?.();
    wanted = null;
  };
  const fail = (error: unknown) => {
    try {
      readable.error(error);
    } catch {
      // already closed or errored
    }
    release();
  };
  const readableSide = new ReadableStream(
    {
      type: "bytes",
      start: (controller) => {
        readable = controller;
      },
      pull: release,
      cancel: (reason) => {
        writable.error(reason);
        release();
      },
    },
    { highWaterMark: 0 },
  );
  const writableSide = new WritableStream<ArrayBuffer | ArrayBufferView>({
    start: (controller) => {
      writable = controller;
    },
    async write(chunk) {
      try {
        const bytes = bytesOf(chunk);
        checks.chunk(bytes);
        if (bytes.byteLength === 0) return;
        readable.enqueue(bytes);
      } catch (error) {
        fail(error);
        throw error;
      }
      if ((readable.desiredSize ?? 1) <= 0) await new Promise<void>((resolve) => (wanted = resolve));
    },
    close() {
      try {
        checks.close();
      } catch (error) {
        fail(error);
        throw error;
      }
      readable.close();
    },
    abort: (reason) => fail(reason),
  });
  return [readableSide as ReadableStream<Uint8Array>, writableSide];
}
