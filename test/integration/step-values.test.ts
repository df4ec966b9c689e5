// Step results as stored values: structured-clone types come back intact when a step is replayed
// from the journal after Cairn re-opens the file; binary results of a few hundred KB are fine; a
// result that cannot be stored, or is over 1 MiB, fails the step at once (no retry) with a stable
// error code.

import { waitForStatus } from "cairn/testing";
import { beforeEach, describe, expect, it } from "vitest";
import { ofType, stepsRigs } from "../helpers/steps-harness.js";

const KB200 = 200 * 1024;

function pattern(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31) % 251;
  return bytes;
}

/** Byte-for-byte equality (toEqual walks 200 KB element by element, slowly). */
function sameBytes(actual: unknown, expected: Uint8Array): boolean {
  return actual instanceof Uint8Array && Buffer.from(actual).equals(Buffer.from(expected));
}

describe("binary step results", () => {
  const rigs = stepsRigs();

  it("stores a 200 KB Uint8Array result", async () => {
    const rig = await rigs.open(async (_event, step) => step.do("bytes", async () => pattern(KB200)));
    const { output } = await waitForStatus(await rig.create(), "complete");
    expect(output).toBeInstanceOf(Uint8Array);
    expect(sameBytes(output, pattern(KB200))).toBe(true);
  });

  it("stores an object holding a 200 KB Uint8Array", async () => {
    const rig = await rigs.open(async (_event, step) =>
      step.do("wrapped bytes", async () => ({ name: "blob", data: pattern(KB200) })),
    );
    const { output } = (await waitForStatus(await rig.create(), "complete")) as {
      output: { name: string; data: unknown };
    };
    expect(output.name).toBe("blob");
    expect(sameBytes(output.data, pattern(KB200))).toBe(true);
  });
});

class Point {
  readonly x: number;
  readonly y: number;
  constructor(x: number, y: number) {
    this.x = x;
    this.y = y;
  }
}

// Module-level, as a real workflow module's state would be: a replay must not bump it.
let produced = 0;

describe("structured-clone results across a replay", () => {
  const rigs = stepsRigs();
  beforeEach(() => {
    produced = 0;
  });

  it("returns Date, Map, Set, BigInt, undefined, Uint8Array and Errors intact from the journal", async () => {
    const rig = await rigs.open(async (_event, step) => {
      const value = await step.do("produce", async () => {
        produced += 1;
        return {
          date: new Date("2026-02-03T04:05:06.789Z"),
          map: new Map<unknown, unknown>([
            ["k", 1],
            [2, { nested: true }],
          ]),
          set: new Set(["a", "b"]),
          big: 12345678901234567890n,
          nothing: undefined,
          bytes: Uint8Array.of(1, 2, 255),
          error: new RangeError("kept"),
          point: new Point(1, 2),
        };
      });
      const bare = await step.do("undefined", async () => undefined);
      // Hibernate, so that after the re-open the values above come from the journal.
      await step.waitForEvent("go", { type: "go" });
      return {
        isDate: value.date instanceof Date,
        time: value.date.getTime(),
        map: value.map instanceof Map ? [...value.map] : null,
        set: value.set instanceof Set ? [...value.set] : null,
        big: typeof value.big === "bigint" ? value.big.toString() : null,
        hasNothing: "nothing" in value && value.nothing === undefined,
        bytes: value.bytes instanceof Uint8Array ? [...value.bytes] : null,
        error: value.error instanceof RangeError ? value.error.message : null,
        pointIsPlain: !(value.point instanceof Point),
        point: { ...value.point },
        bare: bare === undefined ? "undefined" : typeof bare,
      };
    });
    await rig.create();
    await waitForStatus(await rig.get(), "waiting");
    await rig.reopen();
    await (await rig.get()).sendEvent({ type: "go", payload: null });
    const { output } = await waitForStatus(await rig.get(), "complete");
    expect(produced).toBe(1);
    expect(output).toEqual({
      isDate: true,
      time: Date.parse("2026-02-03T04:05:06.789Z"),
      map: [
        ["k", 1],
        [2, { nested: true }],
      ],
      set: ["a", "b"],
      big: "12345678901234567890",
      hasNothing: true,
      bytes: [1, 2, 255],
      error: "kept",
      // Structured clone: class instances keep their fields but not their prototype.
      pointIsPlain: true,
      point: { x: 1, y: 2 },
      bare: "undefined",
    });
  });
});

describe("results that cannot be stored", () => {
  const rigs = stepsRigs();

  it("fails the step without retrying when it returns a function (value.not_serializable)", async () => {
    let calls = 0;
    const rig = await rigs.open(async (_event, step) =>
      step.do("leaky", { retries: { limit: 3, delay: 1 } }, async () => {
        calls += 1;
        return { handler: () => "not data" };
      }),
    );
    const { error } = await waitForStatus(await rig.create(), "errored");
    expect(error?.message).toContain("(value.not_serializable)");
    expect(error?.message).toContain('step "leaky"');
    expect(error?.message).toContain(".handler");
    expect(calls).toBe(1);
    const log = await rig.log();
    expect(ofType(log, "ATTEMPT_START")).toHaveLength(1);
    expect(ofType(log, "STEP_FAILURE")).toHaveLength(1);
  });

  it("fails the step without retrying when its result is over 1 MiB (step.result_too_large)", async () => {
    let calls = 0;
    const rig = await rigs.open(async (_event, step) =>
      step.do("huge", { retries: { limit: 3, delay: 1 } }, async () => {
        calls += 1;
        return new Uint8Array(1024 * 1024 + 1);
      }),
    );
    const { error } = await waitForStatus(await rig.create(), "errored");
    expect(error?.message).toContain("(step.result_too_large)");
    expect(error?.message).toContain('step "huge"');
    expect(error?.message).toContain("1048576 bytes");
    expect(calls).toBe(1);
  });

  it("throws the coded error into the workflow, which may catch it and go on", async () => {
    const rig = await rigs.open(async (_event, step) => {
      try {
        await step.do("huge", async () => "x".repeat(1024 * 1024 + 10));
        return "stored";
      } catch (error) {
        return (error as { code?: string }).code;
      }
    });
    expect(await waitForStatus(await rig.create(), "complete")).toEqual({
      status: "complete",
      output: "step.result_too_large",
    });
  });
});
