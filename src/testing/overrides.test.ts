import { describe, expect, it } from "vitest";
import { decodeValue, encodeValue } from "../engine/values.js";
import { InstanceOverrides } from "./overrides.js";

const bytes = (value: unknown) => encodeValue(value, "test value", "step.result_too_large");
const error = (message: string) => ({ name: "Error", message });

describe("InstanceOverrides", () => {
  it("answers nothing until modified, and counts every modification in its version", () => {
    const o = new InstanceOverrides();
    expect([o.sleepDisabled("s", 1), o.retryDelayDisabled("s", 1), o.eventTimeoutForced("w", 1)]).toEqual([
      false,
      false,
      false,
    ]);
    expect(o.attempt("s", 1, 1)).toBeUndefined();
    expect(o.version).toBe(0);
    o.apply({ type: "disableSleeps", steps: [{ name: "s", index: 2 }] }, 0);
    expect(o.version).toBe(1);
    expect([o.sleepDisabled("s", 1), o.sleepDisabled("s", 2)]).toEqual([false, true]);
  });

  it("per attempt: a mocked error first, then a forced timeout, then the mocked result", () => {
    const o = new InstanceOverrides();
    o.apply({ type: "mockStepError", step: { name: "s" }, error: error("e"), times: 2 }, 0);
    o.apply({ type: "forceStepTimeout", step: { name: "s" }, times: 1 }, 0);
    o.apply({ type: "mockStepResult", step: { name: "s" }, result: { bytes: bytes(false) } }, 0);
    expect(o.attempt("s", 1, 1)).toEqual({ kind: "error", error: error("e") });
    expect(o.attempt("s", 1, 2)).toEqual({ kind: "error", error: error("e") });
    expect(o.attempt("s", 1, 3)).toEqual({ kind: "timeout" });
    expect(o.attempt("s", 1, 4)).toEqual({ kind: "result", value: false });
    expect(o.attempt("s", 2, 1)).toBeUndefined();
  });

  it("an error for every attempt wins over timeouts and results", () => {
    const o = new InstanceOverrides();
    o.apply({ type: "forceStepTimeout", step: { name: "s" }, times: 1 }, 0);
    o.apply({ type: "mockStepError", step: { name: "s" }, error: error("always"), times: undefined }, 0);
    expect(o.attempt("s", 1, 1)).toEqual({ kind: "error", error: error("always") });
    expect(o.attempt("s", 1, 9)).toEqual({ kind: "error", error: error("always") });
  });

  it("gives a fresh copy of a mocked value, and a fresh stream, on each use", async () => {
    const o = new InstanceOverrides();
    o.apply({ type: "mockStepResult", step: { name: "v" }, result: { bytes: bytes({ n: [1] }) } }, 0);
    o.apply({ type: "mockStepResult", step: { name: "s" }, result: { chunks: [new Uint8Array([7])] } }, 0);
    const first = o.attempt("v", 1, 1) as { value: { n: number[] } };
    first.value.n.push(2);
    expect(o.attempt("v", 1, 1)).toEqual({ kind: "result", value: { n: [1] } });
    for (const _ of [1, 2]) {
      const stream = (o.attempt("s", 1, 1) as { value: ReadableStream<Uint8Array> }).value;
      expect([...new Uint8Array(await new Response(stream).arrayBuffer())]).toEqual([7]);
    }
  });

  it("refuses a second result, and an error or a timeout after a result", () => {
    const o = new InstanceOverrides();
    o.apply({ type: "mockStepResult", step: { name: "s" }, result: { bytes: bytes(1) } }, 0);
    expect(() =>
      o.apply({ type: "mockStepResult", step: { name: "s", index: 1 }, result: { bytes: bytes(2) } }, 0),
    ).toThrow("[WorkflowIntrospector] Trying to mock step 's' multiple times!");
    expect(() =>
      o.apply({ type: "mockStepError", step: { name: "s" }, error: error("x"), times: undefined }, 0),
    ).toThrow("after mocking its result!");
    expect(() => o.apply({ type: "forceStepTimeout", step: { name: "s" }, times: 1 }, 0)).toThrow(
      "[WorkflowIntrospector] Trying to force timeout on step 's' after mocking its result!",
    );
    expect(o.version).toBe(1);
  });

  it("copies with the same modifications, mocked events sent at the copy's time", () => {
    const o = new InstanceOverrides();
    o.apply({ type: "disableRetryDelays", steps: undefined }, 0);
    o.apply({ type: "mockEvent", event: { type: "t", payload: bytes("p") } }, 5);
    o.apply({ type: "forceEventTimeout", step: { name: "w" } }, 0);
    const copy = o.copy(99);
    expect(copy.retryDelayDisabled("anything", 3)).toBe(true);
    expect(copy.eventTimeoutForced("w", 1)).toBe(true);
    expect(copy.events.map((e) => [e.type, decodeValue(e.payload), e.sentAt])).toEqual([["t", "p", 99]]);
    expect(o.events[0]?.sentAt).toBe(5);
  });
});
