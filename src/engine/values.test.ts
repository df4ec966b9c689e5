import { describe, expect, it } from "vitest";
import { isNonRetryable, NonRetryableError } from "../api/non-retryable-error.js";
import { WorkflowsError } from "../errors.js";
import {
  decodeValue,
  encodeValue,
  fromErrorRecord,
  MAX_VALUE_BYTES,
  tameThrown,
  toErrorRecord,
} from "./values.js";

function roundTrip(value: unknown): unknown {
  return decodeValue(encodeValue(value, "the value", "step.result_too_large"));
}

function rejection(fn: () => unknown): WorkflowsError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WorkflowsError);
    return error as WorkflowsError;
  }
  throw new Error("expected encodeValue to throw");
}

describe("encodeValue / decodeValue", () => {
  it("keeps structured-clone types", () => {
    const value = {
      date: new Date("2025-01-23T10:00:00Z"),
      map: new Map<unknown, unknown>([
        ["a", 1],
        [2, { b: [3] }],
      ]),
      set: new Set(["x", "y"]),
      bytes: new Uint8Array([1, 2, 255]),
      big: 2n ** 70n,
      missing: undefined,
      nested: { list: [1, "two", null, { deep: new Date(0) }] },
    };
    const back = roundTrip(value) as typeof value;
    expect(back).toEqual(value);
    expect(back.date).toBeInstanceOf(Date);
    expect(back.map).toBeInstanceOf(Map);
    expect(back.set).toBeInstanceOf(Set);
    expect(back.bytes).toBeInstanceOf(Uint8Array);
    expect(typeof back.big).toBe("bigint");
    expect(Object.hasOwn(back, "missing")).toBe(true);
    expect(back.nested.list[3]).toEqual({ deep: new Date(0) });
  });

  it("round-trips top-level primitives, undefined included", () => {
    for (const value of [undefined, null, 0, -1.5, "text", true, 7n]) {
      expect(roundTrip(value)).toBe(value);
    }
  });

  it("keeps cycles and errors", () => {
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    const back = roundTrip(cyclic) as Record<string, unknown>;
    expect(back.self).toBe(back);
    const error = roundTrip(new TypeError("bad")) as Error;
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe("bad");
  });

  it("accepts a plain Uint8Array when decoding", () => {
    const bytes = encodeValue({ a: 1 }, "v", "step.result_too_large");
    expect(decodeValue(new Uint8Array(bytes))).toEqual({ a: 1 });
  });

  it("rejects a function with value.not_serializable, naming what and where", () => {
    const error = rejection(() =>
      encodeValue({ user: { save: () => 1 } }, 'the result of step "load"', "step.result_too_large"),
    );
    expect(error.code).toBe("value.not_serializable");
    expect(error.message).toContain('the result of step "load"');
    expect(error.message).toContain("a function cannot be stored");
    expect(error.message).toContain(".user.save");
  });

  it("rejects symbols, including inside a Map", () => {
    expect(rejection(() => encodeValue(Symbol("s"), "v", "step.result_too_large")).message).toContain(
      "a symbol cannot be stored",
    );
    const inMap = rejection(() =>
      encodeValue({ m: new Map([["k", Symbol("s")]]) }, "v", "step.result_too_large"),
    );
    expect(inMap.code).toBe("value.not_serializable");
    expect(inMap.message).toContain(".m");
  });

  it("falls back to V8's reason for other uncloneable values", () => {
    const error = rejection(() =>
      encodeValue({ p: Promise.resolve() }, "params", "instance.params_too_large"),
    );
    expect(error.code).toBe("value.not_serializable");
    expect(error.message).toContain("Promise");
  });

  it("rejects a value one byte over 1 MiB with the given code, size and limit", () => {
    const exact = Buffer.alloc(MAX_VALUE_BYTES);
    const overhead =
      encodeValue(exact, "v", "step.result_too_large", Number.MAX_SAFE_INTEGER).length - MAX_VALUE_BYTES;
    const fits = new Uint8Array(MAX_VALUE_BYTES - overhead);
    expect(encodeValue(fits, "v", "step.result_too_large").length).toBe(MAX_VALUE_BYTES);

    const tooBig = new Uint8Array(MAX_VALUE_BYTES - overhead + 1);
    const error = rejection(() => encodeValue(tooBig, "the event payload", "event.payload_too_large"));
    expect(error.code).toBe("event.payload_too_large");
    expect(error.message).toContain(`the event payload is ${MAX_VALUE_BYTES + 1} bytes`);
    expect(error.message).toContain("the limit is 1048576 bytes (1 MiB)");
  });

  it("honours a custom limit", () => {
    const error = rejection(() => encodeValue("x".repeat(100), "output", "output.too_large", 10));
    expect(error.code).toBe("output.too_large");
    expect(error.message).toContain("the limit is 10 bytes");
  });
});

describe("values that cannot be read", () => {
  const trap = () => {
    throw new Error("trap");
  };

  it("names a nested Proxy and its path", () => {
    const proxy = new Proxy({}, { get: trap, ownKeys: trap, getPrototypeOf: trap });
    const error = rejection(() => encodeValue({ a: [proxy] }, "v", "step.result_too_large"));
    expect(error.code).toBe("value.not_serializable");
    expect(error.message).toBe(
      "(value.not_serializable) v cannot be stored: a Proxy cannot be stored (at .a[0])",
    );
  });

  it("names a throwing getter and its path, with what it threw", () => {
    const inner = Object.defineProperty({}, "secret", { enumerable: true, get: trap });
    const error = rejection(() => encodeValue({ user: inner }, "v", "step.result_too_large"));
    expect(error.code).toBe("value.not_serializable");
    expect(error.message).toBe(
      "(value.not_serializable) v cannot be stored: reading it threw (at .user): trap",
    );
  });
});

describe("toErrorRecord / fromErrorRecord", () => {
  it("keeps the name and message of errors", () => {
    expect(toErrorRecord(new TypeError("bad input"))).toEqual({ name: "TypeError", message: "bad input" });
    expect(toErrorRecord(new NonRetryableError("card declined"))).toEqual({
      name: "NonRetryableError",
      message: "card declined",
    });
    const custom = new Error("x");
    custom.name = "PaymentError";
    expect(toErrorRecord(custom)).toEqual({ name: "PaymentError", message: "x" });
  });

  it("turns thrown non-errors into Error records that say what was thrown", () => {
    const thrown = (text: string) => ({ name: "Error", message: `A non-Error value was thrown: ${text}` });
    expect(toErrorRecord("plain string")).toEqual(thrown('the string "plain string"'));
    expect(toErrorRecord(42)).toEqual(thrown("the number 42"));
    expect(toErrorRecord(undefined)).toEqual(thrown("undefined"));
    expect(toErrorRecord({ code: 7 })).toEqual(thrown('an object {"code":7}'));
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(toErrorRecord(cyclic).message).toMatch(
      /^A non-Error value was thrown: an object \[object Object\] that cannot be shown as JSON \(.*circular/,
    );
    expect(toErrorRecord(Object.create(null))).toEqual(thrown("an object {}"));
    expect(toErrorRecord(() => 1)).toEqual(thrown("a function"));
  });

  it("cuts the text of a long thrown value", () => {
    const { message } = toErrorRecord("x".repeat(5000));
    expect(message.length).toBeLessThan(1100);
    expect(message).toContain("(5002 characters)");
  });

  it("never throws, even for values whose every read throws", () => {
    const trap = () => {
      throw new Error("trap");
    };
    const proxy = new Proxy(
      {},
      { get: trap, getPrototypeOf: trap, ownKeys: trap, getOwnPropertyDescriptor: trap },
    );
    expect(toErrorRecord(proxy)).toEqual({
      name: "Error",
      message: "A non-Error value was thrown: an object that cannot be read (reading it threw: trap)",
    });
    const error = Object.defineProperty(new Error("hidden"), "name", { get: trap });
    expect(toErrorRecord(error)).toEqual({
      name: "Error",
      message: "An Error was thrown whose name or message cannot be read (reading it threw: trap)",
    });
  });

  it("tames only the thrown values that cannot be read", () => {
    const plain = new TypeError("kept");
    expect(tameThrown(plain)).toBe(plain);
    expect(tameThrown("text")).toBe("text");
    const trap = () => {
      throw new Error("trap");
    };
    const tamed = tameThrown(new Proxy({}, { get: trap, getPrototypeOf: trap }));
    expect(tamed).toBeInstanceOf(Error);
    expect((tamed as Error).message).toContain("cannot be read");
  });

  it("rebuilds a NonRetryableError that still stops retries", () => {
    const error = fromErrorRecord({ name: "NonRetryableError", message: "card declined" });
    expect(error).toBeInstanceOf(NonRetryableError);
    expect(isNonRetryable(error)).toBe(true);
    expect(error.name).toBe("NonRetryableError");
    expect(error.message).toBe("card declined");
  });

  it("rebuilds other errors as plain Errors with their name", () => {
    const error = fromErrorRecord({ name: "PaymentError", message: "declined" });
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(NonRetryableError);
    expect(error.name).toBe("PaymentError");
    expect(error.message).toBe("declined");
    expect(toErrorRecord(error)).toEqual({ name: "PaymentError", message: "declined" });
  });
});
