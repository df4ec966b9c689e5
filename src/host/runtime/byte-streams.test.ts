// IdentityTransformStream passes bytes through a BYOB-capable readable side and refuses strings;
// FixedLengthStream errors on too many or too few bytes and on a bad declared length, with the
// errors Workers give.

import { describe, expect, it } from "vitest";
import { FixedLengthStream, fixedLengthOf, IdentityTransformStream } from "./byte-streams.js";

async function readAll(stream: ReadableStream<Uint8Array>): Promise<number[]> {
  const out: number[] = [];
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) out.push(...chunk);
  return out;
}

describe("IdentityTransformStream", () => {
  it("passes ArrayBuffers and views through unchanged", async () => {
    const { readable, writable } = new IdentityTransformStream();
    const writer = writable.getWriter();
    const written = (async () => {
      await writer.write(new Uint8Array([1, 2]));
      await writer.write(new Uint16Array([0x0403]).buffer);
      await writer.write(new DataView(new Uint8Array([9, 5, 9]).buffer, 1, 1));
      await writer.close();
    })();
    expect(await readAll(readable)).toEqual([1, 2, 3, 4, 5]);
    await written;
  });

  it("supports BYOB reads on its readable side", async () => {
    const { readable, writable } = new IdentityTransformStream();
    const reader = readable.getReader({ mode: "byob" });
    const writer = writable.getWriter();
    void writer.write(new Uint8Array([7, 8, 9]));
    const { value } = await reader.read(new Uint8Array(8));
    expect([...value!]).toEqual([7, 8, 9]);
  });

  it("refuses a string on its writable side, erroring the readable side", async () => {
    const { readable, writable } = new IdentityTransformStream();
    const writer = writable.getWriter();
    await expect(writer.write("text" as never)).rejects.toThrow(/received a string on its writable side/);
    await expect(readable.getReader().read()).rejects.toThrow(TypeError);
  });
});

describe("FixedLengthStream", () => {
  it("passes exactly the declared bytes, and records the length for Content-Length", async () => {
    const { readable, writable } = new FixedLengthStream(3);
    expect(fixedLengthOf(readable)).toBe(3);
    const writer = writable.getWriter();
    const written = (async () => {
      await writer.write(new Uint8Array([1, 2]));
      await writer.write(new Uint8Array([3]));
      await writer.close();
    })();
    expect(await readAll(readable)).toEqual([1, 2, 3]);
    await written;
    expect(fixedLengthOf(new ReadableStream())).toBeUndefined();
  });

  it("accepts a bigint length", () => {
    expect(fixedLengthOf(new FixedLengthStream(5n).readable)).toBe(5);
  });

  it("errors when more bytes are written than declared", async () => {
    const { readable, writable } = new FixedLengthStream(2);
    const writer = writable.getWriter();
    const reading = readAll(readable);
    await expect(writer.write(new Uint8Array([1, 2, 3]))).rejects.toThrow(
      "Attempt to write too many bytes through a FixedLengthStream.",
    );
    await expect(reading).rejects.toThrow("Attempt to write too many bytes through a FixedLengthStream.");
  });

  it("errors when closed before the declared bytes were written", async () => {
    const { readable, writable } = new FixedLengthStream(3);
    const writer = writable.getWriter();
    const reading = readAll(readable);
    await writer.write(new Uint8Array([1, 2]));
    await expect(writer.close()).rejects.toThrow(
      "FixedLengthStream did not see all expected bytes before close().",
    );
    await expect(reading).rejects.toThrow("FixedLengthStream did not see all expected bytes before close().");
  });

  it("refuses a negative, fractional or non-numeric length", () => {
    for (const bad of [-1, 1.5, Number.NaN, "3", 2 ** 60]) {
      expect(() => new FixedLengthStream(bad as number)).toThrow(
        new TypeError("FixedLengthStream requires a non-negative integer expected length."),
      );
    }
  });
});
