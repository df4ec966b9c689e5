// crypto.subtle.timingSafeEqual as Workers define it: equal bytes in ArrayBuffers or any views
// compare equal, different bytes do not, different byte lengths and non-buffers are TypeErrors.

import { describe, expect, it } from "vitest";
import { installWorkersGlobals } from "../globals.js";
import { timingSafeEqual } from "./timing-safe-equal.js";

describe("timingSafeEqual", () => {
  it("compares the bytes of ArrayBuffers and views of any type", () => {
    const bytes = new Uint8Array([1, 2, 3, 4]);
    expect(timingSafeEqual(bytes, new Uint8Array([1, 2, 3, 4]))).toBe(true);
    expect(timingSafeEqual(bytes.buffer, new Uint16Array(bytes.buffer))).toBe(true);
    expect(timingSafeEqual(new DataView(bytes.buffer, 1, 2), new Uint8Array([2, 3]))).toBe(true);
    expect(timingSafeEqual(bytes, new Uint8Array([1, 2, 3, 5]))).toBe(false);
    expect(timingSafeEqual(new ArrayBuffer(0), new ArrayBuffer(0))).toBe(true);
  });

  it("throws a TypeError for different byte lengths", () => {
    expect(() => timingSafeEqual(new Uint8Array(3), new Uint8Array(4))).toThrow(
      new TypeError("Input buffers must have the same byte length."),
    );
  });

  it("throws a TypeError for a value that is not a buffer", () => {
    expect(() => timingSafeEqual("abc" as never, new Uint8Array(3))).toThrow(TypeError);
    expect(() => timingSafeEqual(new Uint8Array(3), null as never)).toThrow(/parameter 2/);
  });

  it("is installed on crypto.subtle by installWorkersGlobals", () => {
    installWorkersGlobals();
    const subtle = crypto.subtle as unknown as { timingSafeEqual: typeof timingSafeEqual };
    expect(subtle.timingSafeEqual(new Uint8Array([1]), new Uint8Array([1]))).toBe(true);
    expect(typeof (globalThis as Record<string, unknown>).FixedLengthStream).toBe("function");
    expect(typeof (globalThis as Record<string, unknown>).IdentityTransformStream).toBe("function");
  });
});
