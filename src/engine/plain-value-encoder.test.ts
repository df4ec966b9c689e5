// The plain-value encoder writes V8's structured-clone format itself. Whatever it writes must read
// back, through v8.deserialize, to exactly what v8.serialize's bytes read back to; what it
// cannot write it must leave to v8.serialize.

import { isDeepStrictEqual } from "node:util";
import v8 from "node:v8";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodePlainValue } from "./plain-value-encoder.js";

/** Plain data of every shape the encoder takes: nested objects and arrays, any string, any number. */
const plain = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(undefined),
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.constantFrom(-0, 2 ** 31, -(2 ** 31), 2 ** 31 - 1, 2 ** 53, Number.NaN, Infinity),
    fc.string({ unit: "binary" }),
    fc.string({ unit: "grapheme" }),
    fc.string(),
    fc.array(tie("value"), { maxLength: 6 }),
    fc.dictionary(fc.string({ unit: "binary", maxLength: 8 }), tie("value"), {
      maxKeys: 6,
      noNullPrototype: true,
    }),
  ),
})).value;

function readBack(bytes: Buffer): unknown {
  return v8.deserialize(bytes);
}

describe("the plain-value encoder", () => {
  it("writes what reads back as v8.serialize's bytes do", () => {
    let written = 0;
    fc.assert(
      fc.property(plain, (value) => {
        const fast = encodePlainValue(value);
        if (fast !== null) written += 1;
        const reference = readBack(v8.serialize(value));
        return fast === null || isDeepStrictEqual(readBack(fast), reference);
      }),
      { numRuns: 3_000 },
    );
    // Only integer-like keys send generated values to V8: most must take the fast path.
    expect(written).toBeGreaterThan(2_000);
  });

  it("writes the same bytes as V8 for ASCII data", () => {
    const ascii = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        fc.constant(null),
        fc.boolean(),
        fc.integer(),
        fc.string({ unit: fc.constantFrom(..."abcxyz019 _-") }),
        fc.array(tie("value"), { maxLength: 5 }),
        fc.dictionary(fc.string({ unit: fc.constantFrom(..."abcxyz_"), minLength: 1 }), tie("value"), {
          maxKeys: 5,
          noNullPrototype: true,
        }),
      ),
    })).value;
    fc.assert(
      fc.property(ascii, (value) => {
        const fast = encodePlainValue(value);
        return fast?.equals(v8.serialize(value)) === true;
      }),
      { numRuns: 2_000 },
    );
  });

  it("takes the values steps usually return", () => {
    for (const value of [
      undefined,
      null,
      0,
      -0,
      1.5,
      "€ and é",
      "x".repeat(200_000),
      "€".repeat(100_000),
      { i: 3, data: "abc", nested: { list: [1, "two", null, { three: true }] } },
      [],
      {},
    ]) {
      const fast = encodePlainValue(value);
      expect(fast, String(value).slice(0, 20)).not.toBeNull();
      expect(Object.is(readBack(fast!), value) || isDeepStrictEqual(readBack(fast!), value)).toBe(true);
    }
  });

  it("leaves to V8 what only V8 writes", () => {
    const shared = { a: 1 };
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const sparse = [1, 2, 3];
    delete sparse[1];
    const named = Object.assign([1, 2], { extra: true });
    class Point {
      x = 1;
    }
    for (const value of [
      new Date(0),
      new Map([[1, 2]]),
      new Set([1]),
      new Uint8Array([1, 2]),
      Buffer.from("ab"),
      10n,
      { at: new Date(0) },
      [shared, shared],
      cyclic,
      sparse,
      named,
      { 1: "index key" },
      new Point(),
      Object.create(null),
      new Proxy({}, {}),
      () => 1,
      Symbol("s"),
      new Error("e"),
    ]) {
      expect(encodePlainValue(value), Object.prototype.toString.call(value)).toBeNull();
    }
  });

  it("leaves to V8 an array with holes and a named property, and an arguments object", () => {
    const holey: unknown[] = [1, 2, 3];
    delete holey[1];
    Object.assign(holey, { foo: "x" });
    expect(encodePlainValue(holey)).toBeNull();
    const args = (function (this: unknown) {
      // biome-ignore lint/complexity/noArguments: the value under test
      return arguments;
    })();
    expect(encodePlainValue(args)).toBeNull();
  });

  it("leaves to V8 a value encoded while another is (a getter that encodes), and both read back", () => {
    let inner: Buffer | null = null;
    const outer = encodePlainValue({
      first: "hello world",
      get g() {
        inner = encodePlainValue({ zz: 1, long: "y".repeat(100_000) });
        return "x";
      },
      last: 42,
    });
    expect(inner).toBeNull();
    expect(readBack(outer!)).toEqual({ first: "hello world", g: "x", last: 42 });
  });

  it("answers a Buffer of its own, not a slice of the shared pool", () => {
    const bytes = encodePlainValue({ small: 1 })!;
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(bytes.length);
  });

  it("leaves a value with a throwing getter to V8, and stays usable", () => {
    const hostile = {
      get boom() {
        throw new Error("no");
      },
    };
    expect(encodePlainValue(hostile)).toBeNull();
    expect(readBack(encodePlainValue({ ok: 1 })!)).toEqual({ ok: 1 });
  });
});
