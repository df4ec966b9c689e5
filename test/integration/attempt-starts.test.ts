// An attempt's start is written at the end of the turn of the event loop it began in, unless the
// attempt's result comes first: a fast step is one journal write carrying all four log entries,
// each with its own time; a step whose callback waits past the turn writes its start first.
// Checked on the store calls the engine makes (a real SQLite store, with the calls recorded).

import { Cairn, FakeClock, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus } from "cairn/testing";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../../src/storage/sqlite/sqlite-store.js";
import type { Fence, LogInput, StepRecord, Store } from "../../src/storage/types.js";
import { tempDir } from "../helpers/temp-store.js";

type Call = { op: string; key: string; status: string; log: LogInput[]; now: number };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Opens Cairn on a fresh SQLite file whose recordStep calls are recorded in `calls`. */
async function openRecorded(run: (step: WorkflowStep) => Promise<unknown>, clock: FakeClock) {
  const { dbPath, cleanup } = tempDir("cairn-starts-");
  cleanups.push(cleanup);
  const inner = await SqliteStore.open({ path: dbPath });
  const calls: Call[] = [];
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === "appendStreamChunks") {
        return (fence: Fence, key: string, chunks: Uint8Array[], now: number) => {
          calls.push({ op: "appendStreamChunks", key, status: "", log: [], now });
          return target.appendStreamChunks(fence, key, chunks, now);
        };
      }
      if (prop !== "recordStep") return typeof value === "function" ? value.bind(target) : value;
      return (fence: Fence, record: StepRecord, log: LogInput[], now: number) => {
        calls.push({
          op: "recordStep",
          key: record.key,
          status: record.status,
          log: structuredClone(log),
          now,
        });
        return target.recordStep(fence, record, log, now);
      };
    },
  }) as Store;
  class Flow extends WorkflowEntrypoint {
    async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
      return run(step);
    }
  }
  const cairn = await Cairn.open({
    storage: store,
    clock,
    workflows: { FLOW: { name: "flow", class: Flow } },
  });
  cleanups.push(() => cairn.close());
  return { cairn, calls };
}

describe("attempt starts", () => {
  it("fold into the result of a step that finishes within the turn: one write, four entries, two times", async () => {
    const clock = new FakeClock();
    const { cairn, calls } = await openRecorded((step) => step.do("fast", async () => "done"), clock);
    const instance = await cairn.env.FLOW.create({ id: "a" });
    await waitForStatus(instance, "complete");
    const writes = calls.filter((c) => c.key === "do:1:fast");
    expect(writes.map((c) => c.status)).toEqual(["succeeded"]);
    expect(writes[0]!.log.map((e) => e.type)).toEqual([
      "STEP_START",
      "ATTEMPT_START",
      "ATTEMPT_SUCCESS",
      "STEP_SUCCESS",
    ]);
    // The start's entries carry the time the attempt started; the rest take the call's time.
    expect(writes[0]!.log[0]!.at).toBe(clock.now());
    expect(writes[0]!.log[2]!.at).toBeUndefined();
    const log = await cairn.engine.readLog("flow", "a");
    expect(log.filter((e) => e.stepKey === "do:1:fast").map((e) => e.type)).toEqual([
      "STEP_START",
      "ATTEMPT_START",
      "ATTEMPT_SUCCESS",
      "STEP_SUCCESS",
    ]);
  });

  it("are written on their own, before the result, when the callback waits past the turn", async () => {
    const clock = new FakeClock();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const { cairn, calls } = await openRecorded(
      (step) =>
        step.do("slow", async () => {
          started();
          await gate;
          return "done";
        }),
      clock,
    );
    const instance = await cairn.env.FLOW.create({ id: "b" });
    await running;
    // While the callback waits, the start is durable: the journal says the attempt is running.
    await expect.poll(async () => (await instance.status()).status, { timeout: 5_000 }).toBe("running");
    await expect.poll(() => calls.filter((c) => c.key === "do:1:slow").length, { timeout: 5_000 }).toBe(1);
    release();
    await waitForStatus(instance, "complete");
    const writes = calls.filter((c) => c.key === "do:1:slow");
    expect(writes.map((c) => [c.status, c.log.map((e) => e.type)])).toEqual([
      ["running", ["STEP_START", "ATTEMPT_START"]],
      ["succeeded", ["ATTEMPT_SUCCESS", "STEP_SUCCESS"]],
    ]);
  });

  it("that failed within the turn leave one failure record, never a stale running one after it", async () => {
    const clock = new FakeClock();
    const { cairn, calls } = await openRecorded(
      (step) =>
        step.do("boom", { retries: { limit: 0, delay: 0 } }, async () => {
          throw new Error("no");
        }),
      clock,
    );
    const instance = await cairn.env.FLOW.create({ id: "c" });
    await waitForStatus(instance, "errored");
    const writes = calls.filter((c) => c.key === "do:1:boom");
    expect(writes.map((c) => c.status)).toEqual(["failed"]);
    expect(writes[0]!.log.map((e) => e.type)).toEqual([
      "STEP_START",
      "ATTEMPT_START",
      "ATTEMPT_FAILURE",
      "STEP_FAILURE",
    ]);
  });

  it("go before the stream chunks of their attempt", async () => {
    const clock = new FakeClock();
    const { cairn, calls } = await openRecorded(async (step) => {
      await step.do(
        "stream",
        async () =>
          new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(new Uint8Array([1, 2, 3]));
              controller.close();
            },
          }),
      );
      return "stored";
    }, clock);
    const instance = await cairn.env.FLOW.create({ id: "d" });
    await waitForStatus(instance, "complete");
    const ops = calls.filter((c) => c.key === "do:1:stream").map((c) => `${c.op}:${c.status}`);
    expect(ops[0]).toBe("recordStep:running");
    expect(ops).toContain("appendStreamChunks:");
    expect(ops.at(-1)).toBe("recordStep:succeeded");
  });

  it("of a step still running go before the results of steps that finished after it started", async () => {
    const clock = new FakeClock();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { cairn } = await openRecorded(async (step) => {
      const slow = step.do("slow", async () => {
        await gate;
        return 1;
      });
      const fast = step.do("fast", async () => {
        release();
        return 2;
      });
      return Promise.all([slow, fast]);
    }, clock);
    const instance = await cairn.env.FLOW.create({ id: "e" });
    await waitForStatus(instance, "complete");
    const log = (await cairn.engine.readLog("flow", "e")).map((e) => `${e.type} ${e.stepKey}`);
    expect(log.indexOf("STEP_START do:1:slow")).toBeLessThan(log.indexOf("STEP_SUCCESS do:1:fast"));
    expect(log.indexOf("STEP_START do:1:slow")).toBeLessThan(log.indexOf("STEP_START do:1:fast"));
  });
});
