// Every modifier of `modify`, on a real SQLite file and a real PostgreSQL, each case an instance
// of its own on one Cairn per store, on a FakeClock that never moves unless a case says so:
// disabled sleeps and retry delays (all, or selected by name and occurrence), mocked results
// (falsy ones included, streams included, journaled like real ones), mocked errors and forced
// timeouts (every attempt or the next N, in Cloudflare's order), mocked events (delivered again
// after a restart, and to an instance that already waits), forced event timeouts, and the errors
// of bad arguments and conflicting mocks.

import {
  type Cairn,
  FakeClock,
  NonRetryableError,
  WorkflowEntrypoint,
  type WorkflowEvent,
  type WorkflowStep,
} from "cairn";
import { introspectWorkflowInstance, type WorkflowInstanceIntrospector } from "cairn/testing";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunFn, Scenarios } from "../helpers/steps-harness.js";
import { type StoreKind, useCairns } from "./harness.js";

const cairns = useCairns();
const WF = "modified";

describe.each(cairns.kinds)("modifiers on %s", (kind: StoreKind) => {
  const clock = new FakeClock();
  const scenarios = new Scenarios();
  class Modified extends WorkflowEntrypoint {
    override run(event: WorkflowEvent<unknown>, step: WorkflowStep): Promise<unknown> {
      return scenarios.run(event, step);
    }
  }
  const workflows = { MODIFIED: { name: WF, class: Modified } };
  let cairn: Cairn<typeof workflows>;
  const disposers: WorkflowInstanceIntrospector[] = [];

  beforeAll(async () => {
    cairn = await cairns.open({ storage: cairns.storage(kind), workflows, clock });
  });
  afterEach(async () => {
    for (const d of disposers.splice(0)) await d.dispose();
  });

  /** Registers `body` as a new instance, introspects it and applies `modify`, then creates it. */
  async function run(
    body: RunFn,
    modify: Parameters<WorkflowInstanceIntrospector["modify"]>[0],
  ): Promise<WorkflowInstanceIntrospector & { id: string }> {
    const id = scenarios.add(body);
    const instance = await introspectWorkflowInstance(cairn.env.MODIFIED, id);
    disposers.push(instance);
    await instance.modify(modify);
    await cairn.env.MODIFIED.create({ id });
    return Object.assign(instance, { id });
  }
  const log = (id: string) => cairn.inspect.log(WF, id);
  const types = async (id: string) => (await log(id)).map((e) => e.type);

  describe("disableSleeps", () => {
    it("ends every sleep and sleepUntil at once, still journaled and logged, the clock unmoved", async () => {
      const start = clock.now();
      const i = await run(
        async (_e, step) => {
          await step.sleep("nap", "1 hour");
          await step.sleepUntil("until tomorrow", new Date(clock.now() + 86_400_000));
          await step.sleep("nap", "30 days");
          return "rested";
        },
        (m) => m.disableSleeps(),
      );
      await i.waitForStatus("complete");
      expect(await i.getOutput()).toBe("rested");
      expect(clock.now()).toBe(start);
      const t = await types(i.id);
      expect(t.filter((x) => x === "SLEEP_START")).toHaveLength(3);
      expect(t.filter((x) => x === "SLEEP_COMPLETE")).toHaveLength(3);
      const { steps } = await cairn.inspect.instance(WF, i.id);
      expect(steps.map((s) => `${s.type}:${s.name}#${s.count}:${s.status}`)).toEqual([
        "sleep:nap#1:succeeded",
        "sleep:until tomorrow#1:succeeded",
        "sleep:nap#2:succeeded",
      ]);
    });

    it("with selectors ends only the selected sleeps, by name and occurrence", async () => {
      const i = await run(
        async (_e, step) => {
          await step.sleep("nap", "1 hour");
          await step.sleep("nap", "1 hour");
          await step.sleep("other", "1 hour");
          return "rested";
        },
        (m) => m.disableSleeps([{ name: "nap" }, { name: "other", index: 2 }]),
      );
      // The first nap ends at once; the second (index 2 of "nap" was not selected) really sleeps.
      await i.waitForStatus("waiting");
      const started = (await log(i.id)).filter((e) => e.type === "SLEEP_START").map((e) => e.stepKey);
      const completed = (await log(i.id)).filter((e) => e.type === "SLEEP_COMPLETE").map((e) => e.stepKey);
      expect(started).toEqual(["sleep:1:nap", "sleep:2:nap"]);
      expect(completed).toEqual(["sleep:1:nap"]);
    });
  });

  describe("disableRetryDelays", () => {
    it("runs the attempts of selected steps without waiting, and leaves the others' 10-second backoffs alone", async () => {
      let fast = 0;
      const i = await run(
        async (_e, step) => {
          await step.do("fast", async () => {
            fast += 1;
            if (fast < 3) throw new Error(`attempt ${fast} fails`);
            return "fast done";
          });
          return step.do("slow", async () => {
            throw new Error("always fails");
          });
        },
        (m) => m.disableRetryDelays([{ name: "fast" }]),
      );
      await i.waitForStepResult({ name: "fast" });
      expect(fast).toBe(3);
      await i.waitForStatus("waiting");
      const failures = (await log(i.id)).filter((e) => e.type === "ATTEMPT_FAILURE");
      expect(failures.map((e) => [e.stepKey, e.data?.retryDelayMs])).toEqual([
        ["do:1:fast", 0],
        ["do:1:fast", 0],
        ["do:1:slow", 10_000],
      ]);
    });
  });

  describe("mockStepResult", () => {
    it.each([
      ["0", 0],
      ["false", false],
      ['""', ""],
      ["null", null],
      ["undefined", undefined],
      ["a Date in a Map", new Map([["at", new Date(0)]])],
    ])(
      "returns %s without running the callback, logged and journaled like a real result",
      async (_name, value) => {
        let ran = false;
        const i = await run(
          async (_e, step) => {
            const got = await step.do("mocked", async () => {
              ran = true;
              return "real";
            });
            return { got };
          },
          (m) => m.mockStepResult({ name: "mocked" }, value),
        );
        await i.waitForStatus("complete");
        expect(ran).toBe(false);
        expect(await i.getOutput()).toEqual({ got: value });
        expect(await i.waitForStepResult({ name: "mocked" })).toEqual(value);
        expect(await types(i.id)).toEqual([
          "WORKFLOW_QUEUED",
          "WORKFLOW_START",
          "STEP_START",
          "ATTEMPT_START",
          "ATTEMPT_SUCCESS",
          "STEP_SUCCESS",
          "WORKFLOW_SUCCESS",
        ]);
        const [stepRecord] = await cairn.engine.readJournal(WF, i.id);
        expect(stepRecord).toMatchObject({ key: "do:1:mocked", status: "succeeded", attempts: 1 });
      },
    );

    it("mocks the selected occurrence only; a replay returns the journaled mock", async () => {
      const calls: number[] = [];
      const i = await run(
        async (_e, step) => {
          const a = await step.do("s", async () => calls.push(1) && "real 1");
          const b = await step.do("s", async () => calls.push(2) && "real 2");
          // A real sleep: the instance hibernates and is replayed from its journal afterwards.
          await step.sleep("pause", "1 hour");
          return [a, b];
        },
        (m) => m.mockStepResult({ name: "s", index: 2 }, "mock 2"),
      );
      await i.waitForStatus("waiting");
      clock.advance(3_600_000);
      await i.waitForStatus("complete");
      expect(await i.getOutput()).toEqual(["real 1", "mock 2"]);
      expect(calls).toEqual([1]);
    });

    it("mocks a stream: the step gets a stream, stored chunk by chunk; waitForStepResult gives a stream each time", async () => {
      const source = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("mock "));
          controller.enqueue(new Uint16Array([0x6f73, 0x6e67])); // a typed array of another kind
          controller.enqueue(new Uint8Array(0)); // empty chunks are dropped
          controller.close();
        },
      });
      const i = await run(
        async (_e, step) => {
          const stream = await step.do("stream", async () => new ReadableStream());
          return new Uint8Array(await new Response(stream as ReadableStream).arrayBuffer());
        },
        (m) => m.mockStepResult({ name: "stream" }, source),
      );
      await i.waitForStatus("complete");
      const expected = [...new TextEncoder().encode("mock "), 0x73, 0x6f, 0x67, 0x6e];
      expect([...((await i.getOutput()) as Uint8Array)]).toEqual(expected);
      expect(source.locked).toBe(false);
      for (const _ of [1, 2]) {
        const result = await i.waitForStepResult({ name: "stream" });
        expect(result).toBeInstanceOf(ReadableStream);
        expect([...new Uint8Array(await new Response(result as ReadableStream).arrayBuffer())]).toEqual(
          expected,
        );
      }
      expect([...(await cairn.engine.readStreamResult(WF, i.id, "do:1:stream"))]).toEqual(expected);
    });

    it("refuses a locked stream and chunks that are not bytes, with Cloudflare's messages", async () => {
      const id = scenarios.add(async () => "never created");
      await using i = await introspectWorkflowInstance(cairn.env.MODIFIED, id);
      const locked = new ReadableStream();
      locked.getReader();
      await expect(i.modify((m) => m.mockStepResult({ name: "s" }, locked))).rejects.toThrow(
        "Workflow mockStepResult() received a locked or unreadable ReadableStream.",
      );
      const strings = new ReadableStream({
        start(c) {
          c.enqueue("text");
          c.close();
        },
      });
      await expect(i.modify((m) => m.mockStepResult({ name: "s" }, strings))).rejects.toMatchObject({
        code: "introspection.invalid_argument",
        message: "Workflow mockStepResult() ReadableStream chunks must be ArrayBuffer or TypedArray values.",
      });
    });

    it("returns the real value to the run but [REDACTED] from waitForStepResult for a sensitive step", async () => {
      const i = await run(
        async (_e, step) => {
          const secret = await step.do("secret", { sensitive: "output" }, async () => "real secret");
          const mocked = await step.do("mocked secret", { sensitive: "output" }, async () => "real");
          return { secret, mocked };
        },
        (m) => m.mockStepResult({ name: "mocked secret" }, "mock secret"),
      );
      await i.waitForStatus("complete");
      expect(await i.getOutput()).toEqual({ secret: "real secret", mocked: "mock secret" });
      expect(await i.waitForStepResult({ name: "secret" })).toBe("[REDACTED]");
      expect(await i.waitForStepResult({ name: "mocked secret" })).toBe("[REDACTED]");
    });

    it("refuses to mock a step twice, and an error or a timeout after its result, with Cloudflare's messages", async () => {
      const id = scenarios.add(async () => "never created");
      await using i = await introspectWorkflowInstance(cairn.env.MODIFIED, id);
      await i.modify((m) => m.mockStepResult({ name: "s" }, 1));
      await expect(i.modify((m) => m.mockStepResult({ name: "s" }, 2))).rejects.toThrow(
        "[WorkflowIntrospector] Trying to mock step 's' multiple times!",
      );
      await expect(i.modify((m) => m.mockStepError({ name: "s" }, new Error("x")))).rejects.toThrow(
        "[WorkflowIntrospector] Trying to mock error on step 's' after mocking its result!",
      );
      await expect(i.modify((m) => m.forceStepTimeout({ name: "s" }))).rejects.toMatchObject({
        code: "introspection.mock_conflict",
        message: "[WorkflowIntrospector] Trying to force timeout on step 's' after mocking its result!",
      });
      // Another occurrence is another step.
      await i.modify((m) => m.mockStepResult({ name: "s", index: 2 }, 2));
    });
  });

  describe("mockStepError and forceStepTimeout", () => {
    it("fails every attempt with the error's name and message; waitForStepResult rejects with it", async () => {
      class PaymentError extends Error {
        override name = "PaymentError";
      }
      let ran = 0;
      const i = await run(
        async (_e, step) =>
          step.do("pay", { retries: { limit: 2, delay: "1 minute" } }, async () => {
            ran += 1;
            return "paid";
          }),
        async (m) => {
          await m.disableRetryDelays();
          await m.mockStepError({ name: "pay" }, new PaymentError("card declined"));
        },
      );
      await expect(i.waitForStepResult({ name: "pay" })).rejects.toMatchObject({
        name: "PaymentError",
        message: "card declined",
      });
      await i.waitForStatus("errored");
      expect(await i.getError()).toEqual({ name: "PaymentError", message: "card declined" });
      expect(ran).toBe(0);
      expect((await types(i.id)).filter((t) => t === "ATTEMPT_START")).toHaveLength(3);
    });

    it("takes the next N attempts per step, errors then timeouts, before the mocked result", async () => {
      const i = await run(
        async (_e, step) => step.do("flaky", { retries: { limit: 5, delay: 10 } }, async () => "real"),
        async (m) => {
          await m.disableRetryDelays();
          await m.mockStepError({ name: "flaky" }, new TypeError("boom"), 2);
          await m.forceStepTimeout({ name: "flaky" }, 1);
          await m.mockStepResult({ name: "flaky" }, "mock");
        },
      );
      await i.waitForStatus("complete");
      expect(await i.getOutput()).toBe("mock");
      const failures = (await log(i.id)).filter((e) => e.type === "ATTEMPT_FAILURE");
      expect(failures.map((e) => [e.attempt, e.data?.error])).toEqual([
        [1, { name: "TypeError", message: "boom" }],
        [2, { name: "TypeError", message: "boom" }],
        [3, { name: "WorkflowTimeoutError", message: "Execution timed out after 0ms" }],
      ]);
    });

    it("forces a timeout on the first attempt, then runs the real callback", async () => {
      const i = await run(
        async (_e, step) =>
          step.do("once late", { retries: { limit: 1, delay: 10 } }, async (ctx) => ctx.attempt),
        async (m) => {
          await m.disableRetryDelays();
          await m.forceStepTimeout({ name: "once late" }, 1);
        },
      );
      await i.waitForStatus("complete");
      expect(await i.getOutput()).toBe(2);
    });

    it("a mocked NonRetryableError stops the retries at once", async () => {
      const i = await run(
        async (_e, step) => step.do("final", async () => "real"),
        (m) => m.mockStepError({ name: "final" }, new NonRetryableError("no way")),
      );
      await i.waitForStatus("errored");
      expect(await i.getError()).toEqual({ name: "NonRetryableError", message: "no way" });
      expect((await types(i.id)).filter((t) => t === "ATTEMPT_START")).toHaveLength(1);
    });
  });

  describe("mockEvent and forceEventTimeout", () => {
    it("delivers mocked events in order to the waits of their type, with the mock's time", async () => {
      const sentAt = clock.now();
      const i = await run(
        async (_e, step) => {
          const first = await step.waitForEvent("first", { type: "approval" });
          const second = await step.waitForEvent("second", { type: "approval" });
          return [first.payload, second.payload, first.type, first.timestamp.getTime()];
        },
        async (m) => {
          await m.mockEvent({ type: "approval", payload: { n: 1 } });
          await m.mockEvent({ type: "unrelated", payload: "ignored" });
          await m.mockEvent({ type: "approval", payload: { n: 2 } });
        },
      );
      await i.waitForStatus("complete");
      expect(await i.getOutput()).toEqual([{ n: 1 }, { n: 2 }, "approval", sentAt]);
      expect((await types(i.id)).filter((t) => t === "WAIT_COMPLETE")).toHaveLength(2);
    });

    it("delivers an event mocked while the instance already waits (hibernated) for it", async () => {
      const i = await run(
        async (_e, step) => (await step.waitForEvent("late", { type: "late", timeout: "1 hour" })).payload,
        async () => {},
      );
      await i.waitForStatus("waiting");
      await i.modify((m) => m.mockEvent({ type: "late", payload: "finally" }));
      await i.waitForStatus("complete");
      expect(await i.getOutput()).toBe("finally");
    });

    it("ends a sleep disabled while the instance already sleeps (hibernated)", async () => {
      const i = await run(
        async (_e, step) => {
          await step.sleep("long", "7 days");
          return "woke";
        },
        async () => {},
      );
      await i.waitForStatus("waiting");
      await i.modify((m) => m.disableSleeps());
      await i.waitForStatus("complete");
      expect(await i.getOutput()).toBe("woke");
    });

    it("forces the selected wait to time out at once; the workflow may catch it", async () => {
      const i = await run(
        async (_e, step) => {
          const first = await step.waitForEvent("w", { type: "t", timeout: "1 hour" });
          try {
            await step.waitForEvent("w", { type: "t", timeout: "1 hour" });
            return "second received";
          } catch (error) {
            return [first.payload, (error as Error).name, (error as Error).message];
          }
        },
        async (m) => {
          await m.mockEvent({ type: "t", payload: "one" });
          await m.mockEvent({ type: "t", payload: "two" });
          await m.forceEventTimeout({ name: "w", index: 2 });
        },
      );
      await i.waitForStatus("complete");
      expect(await i.getOutput()).toEqual([
        "one",
        "WorkflowTimeoutError",
        'Execution timed out after 0ms: waitForEvent "w" was made to time out',
      ]);
      expect(await types(i.id)).toContain("WAIT_TIMED_OUT");
    });
  });

  describe("after a restart", () => {
    it("keeps every modification: mocks, disabled sleeps, and mocked events delivered again", async () => {
      let ran = 0;
      const i = await run(
        async (_e, step) => {
          await step.sleep("nap", "1 day");
          const score = await step.do("score", async () => {
            ran += 1;
            return 42;
          });
          const decision = await step.waitForEvent("decide", { type: "decision" });
          return { score, decision: decision.payload };
        },
        async (m) => {
          await m.disableSleeps();
          await m.mockStepResult({ name: "score" }, 7);
          await m.mockEvent({ type: "decision", payload: "yes" });
        },
      );
      await i.waitForStatus("complete");
      await (await cairn.env.MODIFIED.get(i.id)).restart();
      await i.waitForStatus("complete");
      expect(await i.getOutput()).toEqual({ score: 7, decision: "yes" });
      expect(ran).toBe(0);
      // A restart from the wait gets the mocked event again too.
      await (await cairn.env.MODIFIED.get(i.id)).restart({ from: { name: "decide", type: "waitForEvent" } });
      await i.waitForStatus("complete");
      expect(await i.getOutput()).toEqual({ score: 7, decision: "yes" });
      expect((await types(i.id)).filter((t) => t === "WORKFLOW_RESTARTED")).toHaveLength(2);
    });
  });

  describe("bad arguments", () => {
    it.each([
      ["no selector", (m: any) => m.mockStepResult(undefined, 1)],
      ["a selector without a name", (m: any) => m.mockStepResult({ index: 1 }, 1)],
      ["an empty name", (m: any) => m.forceEventTimeout({ name: "" })],
      ["index 0", (m: any) => m.mockStepError({ name: "s", index: 0 }, new Error("x"))],
      ["a fractional index", (m: any) => m.forceStepTimeout({ name: "s", index: 1.5 })],
      ["steps that are not an array", (m: any) => m.disableSleeps({ name: "s" })],
      ["times 0", (m: any) => m.mockStepError({ name: "s" }, new Error("x"), 0)],
      ["negative times", (m: any) => m.forceStepTimeout({ name: "s" }, -1)],
      ["an error that is a string", (m: any) => m.mockStepError({ name: "s" }, "boom")],
      ["an event without a type", (m: any) => m.mockEvent({ payload: 1 })],
    ])("refuses %s with a clear error", async (_what, change) => {
      const id = scenarios.add(async () => "never created");
      await using i = await introspectWorkflowInstance(cairn.env.MODIFIED, id);
      const error = await i.modify(change).then(
        () => undefined,
        (e: unknown) => e as { code: string; message: string },
      );
      expect(error?.code).toMatch(/^(introspection\.invalid_argument|workflow\.invalid_event_type)$/);
      expect(error?.message).toMatch(/got /);
    });
  });
});
