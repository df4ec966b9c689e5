// Rollback handlers (no compatibility flag needed): on failure and on
// `terminate({ rollback: true })` the handlers of started steps run in reverse start order as
// retriable steps with their own config, the chain stops at the first that fails, and a new
// process rebuilds the handlers by replaying the journal. Delay functions are tested here too
// (sync, async, throwing, never settling), as rollback handlers retry through the same loop as
// `step.do`.

import { FakeClock, NonRetryableError, type WorkflowStepContext } from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";
import { describe, expect, it } from "vitest";
import {
  deferred,
  type LogEntry,
  ofType,
  retryDelays,
  sharedStepsRig,
  stepsRigs,
} from "../helpers/steps-harness.js";

type HandlerCall = { step: string; output: unknown; error: { name: string; message: string } | null };

/** Records what each rollback handler received, in call order. */
function recorder() {
  const calls: HandlerCall[] = [];
  const handler =
    (step: string) =>
    async ({ output, error }: { output: unknown; error: Error | undefined }) => {
      calls.push({ step, output, error: error ? { name: error.name, message: error.message } : null });
    };
  return { calls, handler };
}

const keysOf = (log: LogEntry[], type: LogEntry["type"]) => ofType(log, type).map((e) => e.stepKey);
const types = (log: LogEntry[]) => log.map((e) => e.type);
const errorOf = (entry: LogEntry | undefined) =>
  (entry?.data?.error ?? { name: "", message: "" }) as { name: string; message: string };

describe("rollbacks on failure", () => {
  const shared = sharedStepsRig();

  it("runs the handlers in reverse start order, before the instance errors", async () => {
    const { calls, handler } = recorder();
    const { status, log } = await shared.run(async (_event, step) => {
      for (const name of ["a", "b", "c"]) {
        await step.do(name, async () => name.toUpperCase(), { rollback: handler(name) });
      }
      throw new NonRetryableError("boom");
    });
    expect(status).toEqual({ status: "errored", error: { name: "NonRetryableError", message: "boom" } });
    const failure = { name: "NonRetryableError", message: "boom" };
    expect(calls).toEqual([
      { step: "c", output: "C", error: failure },
      { step: "b", output: "B", error: failure },
      { step: "a", output: "A", error: failure },
    ]);
    const reversed = ["rollback:do:1:c", "rollback:do:1:b", "rollback:do:1:a"];
    expect(keysOf(log, "ROLLBACK_STEP_SUCCESS")).toEqual(reversed);
    expect(keysOf(log, "ROLLBACK_ATTEMPT_SUCCESS")).toEqual(reversed);
    expect(ofType(log, "ROLLBACK_START")[0]?.data).toEqual({ reason: "failure", error: failure });
    expect(types(log)).not.toContain("ROLLBACK_FAILED");
    // The chain completes before the instance settles.
    const t = types(log);
    expect(t.indexOf("ROLLBACK_COMPLETE")).toBeGreaterThan(t.lastIndexOf("ROLLBACK_STEP_SUCCESS"));
    expect(t.at(-1)).toBe("WORKFLOW_FAILURE");
    expect(t.indexOf("ROLLBACK_COMPLETE")).toBeLessThan(t.indexOf("WORKFLOW_FAILURE"));
  });

  it("rolls parallel steps back in reverse start order, not in reverse finish order", async () => {
    const { calls, handler } = recorder();
    const { status } = await shared.run(async (_event, step) => {
      // Started a, b, c; finished c, b, a: reverse finish order would be a, b, c.
      const done = { a: deferred(), b: deferred(), c: deferred() };
      const after: Record<string, Promise<void>> = {
        a: done.b.promise,
        b: done.c.promise,
        c: Promise.resolve(),
      };
      await Promise.all(
        (["a", "b", "c"] as const).map((name) =>
          step.do(
            name,
            async () => {
              await after[name];
              done[name].resolve();
              return name;
            },
            { rollback: handler(name) },
          ),
        ),
      );
      throw new NonRetryableError("after the parallel steps");
    });
    expect(status.status).toBe("errored");
    expect(calls.map((c) => c.step)).toEqual(["c", "b", "a"]);
  });

  it("gives the handler the step's context, the error and the output", async () => {
    const contexts: WorkflowStepContext[] = [];
    const seen: unknown[] = [];
    const { status } = await shared.run(async (_event, step) => {
      await step.do("charge", async () => ({ id: 1 }));
      await step.do(
        "charge",
        { retries: { limit: 2, delay: 0 } },
        async (ctx) => {
          if (ctx.attempt === 1) throw new Error("flaky");
          return { id: 7 };
        },
        {
          rollback: async ({ ctx, error, output, stepName }) => {
            contexts.push(ctx);
            seen.push({ error: error && { name: error.name, message: error.message }, output, stepName });
          },
        },
      );
      throw new NonRetryableError("later failure");
    });
    expect(status.status).toBe("errored");
    expect(contexts).toEqual([
      {
        step: { name: "charge", count: 2 },
        attempt: 2,
        config: { retries: { limit: 2, delay: 0, backoff: "exponential" }, timeout: "10 minutes" },
      },
    ]);
    expect(seen).toEqual([
      {
        error: { name: "NonRetryableError", message: "later failure" },
        output: { id: 7 },
        stepName: "charge",
      },
    ]);
  });

  it("rolls back a failed step that registered a handler, with no output and its own error", async () => {
    const { calls, handler } = recorder();
    const { status, log } = await shared.run(async (_event, step) => {
      await step.do("reserve", async () => "reserved", { rollback: handler("reserve") });
      await step.do(
        "charge",
        { retries: { limit: 0, delay: 0 } },
        async () => {
          throw new Error("card declined");
        },
        { rollback: handler("charge") },
      );
    });
    expect(status).toEqual({ status: "errored", error: { name: "Error", message: "card declined" } });
    expect(calls).toEqual([
      { step: "charge", output: undefined, error: { name: "Error", message: "card declined" } },
      { step: "reserve", output: "reserved", error: { name: "Error", message: "card declined" } },
    ]);
    expect(keysOf(log, "ROLLBACK_STEP_SUCCESS")).toEqual(["rollback:do:1:charge", "rollback:do:1:reserve"]);
  });

  it("rolls back only the steps that registered a handler", async () => {
    const { calls, handler } = recorder();
    const { log } = await shared.run(async (_event, step) => {
      await step.do("a", async () => "a", { rollback: handler("a") });
      await step.do("b", async () => "b");
      await step.do("c", async () => "c", {});
      await step.do("d", async () => "d", { rollback: handler("d") });
      throw new NonRetryableError("boom");
    });
    expect(calls.map((c) => c.step)).toEqual(["d", "a"]);
    expect(keysOf(log, "ROLLBACK_STEP_START")).toEqual(["rollback:do:1:d", "rollback:do:1:a"]);
  });

  it("stops the chain at the first handler that fails: ROLLBACK_FAILED, no ROLLBACK_COMPLETE", async () => {
    const { calls, handler } = recorder();
    const { status, log } = await shared.run(async (_event, step) => {
      await step.do("a", async () => "a", { rollback: handler("a") });
      await step.do("b", async () => "b", {
        rollback: async () => {
          calls.push({ step: "b", output: "b", error: null });
          throw new NonRetryableError("cannot undo b");
        },
      });
      await step.do("c", async () => "c", { rollback: handler("c") });
      throw new NonRetryableError("boom");
    });
    // The instance still ends with the workflow's own error.
    expect(status).toEqual({ status: "errored", error: { name: "NonRetryableError", message: "boom" } });
    expect(calls.map((c) => c.step)).toEqual(["c", "b"]);
    expect(keysOf(log, "ROLLBACK_STEP_SUCCESS")).toEqual(["rollback:do:1:c"]);
    expect(keysOf(log, "ROLLBACK_STEP_FAILURE")).toEqual(["rollback:do:1:b"]);
    expect(ofType(log, "ROLLBACK_STEP_FAILURE")[0]?.data?.error).toEqual({
      name: "NonRetryableError",
      message: "cannot undo b",
    });
    expect(ofType(log, "ROLLBACK_FAILED")).toHaveLength(1);
    expect(types(log)).not.toContain("ROLLBACK_COMPLETE");
    expect(types(log).at(-1)).toBe("WORKFLOW_FAILURE");
  });

  it("runs no rollback when the workflow succeeds", async () => {
    const { calls, handler } = recorder();
    const { status, log } = await shared.run(async (_event, step) => {
      await step.do("a", async () => "a", { rollback: handler("a") });
      // A caught failure does not fail the workflow either.
      await step
        .do("b", { retries: { limit: 0, delay: 0 } }, async () => Promise.reject(new Error("caught")), {
          rollback: handler("b"),
        })
        .catch(() => undefined);
      return "done";
    });
    expect(status).toEqual({ status: "complete", output: "done" });
    expect(calls).toEqual([]);
    expect(types(log).filter((t) => t.startsWith("ROLLBACK_"))).toEqual([]);
  });

  it("rejects a rollback that is not a function, as a step config error", async () => {
    const { status } = await shared.run(async (_event, step) =>
      step.do("a", async () => "a", { rollback: "undo" as never }),
    );
    expect(status.status).toBe("errored");
    expect(status.error?.message).toContain("(step.invalid_config)");
  });
});

describe("rollbackConfig", () => {
  const rigs = stepsRigs();

  it("retries a handler with its own retries and timeout, not the step's", async () => {
    const clock = new FakeClock();
    let attempts = 0;
    const rig = await rigs.open(
      async (_event, step) => {
        // The step itself allows no retry at all.
        await step.do("a", { retries: { limit: 0, delay: 0 } }, async () => "a", {
          rollback: async () => {
            attempts += 1;
            if (attempts === 1) throw new Error("first try fails");
            if (attempts === 2) return new Promise<void>(() => {});
          },
          rollbackConfig: {
            retries: { limit: 2, delay: "1 second", backoff: "constant" },
            timeout: "5 seconds",
          },
        });
        throw new NonRetryableError("boom");
      },
      { clock },
    );
    const instance = await rig.create();
    await rig.waitForLog("ROLLBACK_ATTEMPT_FAILURE", 1);
    clock.advance(1000);
    await rig.waitForLog("ROLLBACK_ATTEMPT_START", 2);
    // The second attempt hangs until its own 5 s timeout.
    clock.advance(5000);
    await rig.waitForLog("ROLLBACK_ATTEMPT_FAILURE", 2);
    clock.advance(1000);
    expect(await waitForStatus(instance, "errored")).toMatchObject({ error: { message: "boom" } });
    const log = await rig.log();
    expect(attempts).toBe(3);
    const failures = ofType(log, "ROLLBACK_ATTEMPT_FAILURE");
    expect(failures.map((f) => f.data?.retryDelayMs)).toEqual([1000, 1000]);
    expect(failures.map((f) => errorOf(f).name)).toEqual(["Error", "WorkflowTimeoutError"]);
    expect(keysOf(log, "ROLLBACK_STEP_SUCCESS")).toEqual(["rollback:do:1:a"]);
    expect(ofType(log, "ROLLBACK_COMPLETE")).toHaveLength(1);
  });
});

describe("a failure chain that waits out a long retry delay", () => {
  const rigs = stepsRigs();

  it("hibernates, wakes, finishes the chain and logs ROLLBACK_START once", async () => {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    const rig = await rigs.open(
      async (_event, step) => {
        await step.do("a", async () => "a", {
          rollback: async ({ error }) => {
            errors.push(error?.message);
            if (errors.length === 1) throw new Error("not yet");
          },
          rollbackConfig: { retries: { limit: 1, delay: "1 minute" } },
        });
        throw new NonRetryableError("boom");
      },
      { clock },
    );
    const instance = await rig.create();
    await rig.waitForLog("ROLLBACK_ATTEMPT_FAILURE", 1);
    await waitForStatus(instance, "waiting");
    clock.advance(60_000);
    await waitForStatus(instance, "errored");
    const log = await rig.log();
    expect(errors).toEqual(["boom", "boom"]);
    expect(ofType(log, "ROLLBACK_START")).toHaveLength(1);
    expect(keysOf(log, "ROLLBACK_STEP_SUCCESS")).toEqual(["rollback:do:1:a"]);
    expect(types(log).slice(-2)).toEqual(["ROLLBACK_COMPLETE", "WORKFLOW_FAILURE"]);
  });
});

describe("terminate({ rollback: true })", () => {
  const rigs = stepsRigs();

  /** Steps a and b with handlers, then a wait that hibernates the instance. */
  function sagaThenWait(handler: (step: string) => (input: any) => Promise<void>, ran: string[]) {
    return async (_event: unknown, step: import("cairn").WorkflowStep) => {
      for (const name of ["a", "b"]) {
        await step.do(
          name,
          async () => {
            ran.push(name);
            return `${name}-out`;
          },
          { rollback: handler(name) },
        );
      }
      await step.waitForEvent("approval", { type: "approve", timeout: "1 day" });
      return "approved";
    };
  }

  it("runs the handlers, then ROLLBACK_COMPLETE, and ends terminated", async () => {
    const { calls, handler } = recorder();
    const rig = await rigs.open(sagaThenWait(handler, []));
    const instance = await rig.create();
    await waitForStatus(instance, "waiting");
    await instance.terminate({ rollback: true });
    await waitForStatus(instance, "terminated");
    expect(calls).toEqual([
      { step: "b", output: "b-out", error: null },
      { step: "a", output: "a-out", error: null },
    ]);
    const log = await rig.log();
    expect(ofType(log, "ROLLBACK_START")[0]?.data).toEqual({ reason: "terminate" });
    const t = types(log);
    expect(t.indexOf("ROLLBACK_COMPLETE")).toBeLessThan(t.indexOf("WORKFLOW_TERMINATED"));
    expect(t).not.toContain("ROLLBACK_FAILED");
    expect(t.at(-1)).toBe("WORKFLOW_TERMINATED");
    // Finished: a second terminate throws.
    await expect(instance.terminate({ rollback: true })).rejects.toMatchObject({
      code: "instance.cannot_terminate",
    });
  });

  it("rebuilds the handlers by replaying cached steps in a new process", async () => {
    const { calls, handler } = recorder();
    const ran: string[] = [];
    const rig = await rigs.open(sagaThenWait(handler, ran));
    await waitForStatus(await rig.create(), "waiting");
    await rig.reopen();
    const instance = await rig.get();
    await instance.terminate({ rollback: true });
    await waitForStatus(instance, "terminated");
    // The steps were not run again; their handlers got the cached outputs.
    expect(ran).toEqual(["a", "b"]);
    expect(calls).toEqual([
      { step: "b", output: "b-out", error: null },
      { step: "a", output: "a-out", error: null },
    ]);
    expect(ofType(await rig.log(), "ROLLBACK_COMPLETE")).toHaveLength(1);
  });

  it("rolls back a step that started but never finished before the process stopped", async () => {
    const { calls, handler } = recorder();
    let started = 0;
    const rig = await rigs.open(
      async (_event, step) => {
        await step.do("a", async () => "a-out", { rollback: handler("a") });
        await step.do(
          "c",
          { retries: { limit: 3, delay: "1 hour" } },
          async () => {
            started += 1;
            return new Promise<string>(() => {});
          },
          { rollback: handler("c") },
        );
      },
      { shutdownGraceMs: 0 },
    );
    await rig.create();
    await waitUntil(
      () => started,
      (n) => n === 1,
      { what: "step c to start" },
    );
    // Closing with no grace abandons c's attempt, as a crash would.
    await rig.reopen();
    const instance = await rig.get();
    // The lost attempt counts as failed; the retry is an hour away.
    await waitForStatus(instance, "waiting");
    await instance.terminate({ rollback: true });
    await waitForStatus(instance, "terminated");
    expect(started).toBe(1);
    expect(calls).toEqual([
      { step: "c", output: undefined, error: null },
      { step: "a", output: "a-out", error: null },
    ]);
  });

  it("fails the rollback when replay no longer reaches a step with a handler", async () => {
    const { calls, handler } = recorder();
    let reachA = true;
    const rig = await rigs.open(async (_event, step) => {
      if (reachA) await step.do("a", async () => "a-out", { rollback: handler("a") });
      await step.do("b", async () => "b-out", { rollback: handler("b") });
      await step.waitForEvent("approval", { type: "approve", timeout: "1 day" });
    });
    await waitForStatus(await rig.create(), "waiting");
    await rig.close();
    // The code changed between the two processes: "a" is no longer reached.
    reachA = false;
    await rig.open();
    const instance = await rig.get();
    await instance.terminate({ rollback: true });
    await waitForStatus(instance, "terminated");
    expect(calls).toEqual([]);
    const log = await rig.log();
    const failures = ofType(log, "ROLLBACK_STEP_FAILURE");
    expect(failures.map((f) => f.stepKey)).toEqual(["rollback:do:1:a"]);
    expect(errorOf(failures[0]).message).toContain("missing");
    expect(ofType(log, "ROLLBACK_FAILED")).toHaveLength(1);
    expect(types(log)).not.toContain("ROLLBACK_COMPLETE");
  });

  it("replays cached failed steps to rebuild their handlers; ctx.config keeps no delay function", async () => {
    const contexts: WorkflowStepContext[] = [];
    const seen: unknown[] = [];
    let delayCalls = 0;
    const rig = await rigs.open(async (_event, step) => {
      await step
        .do(
          "charge",
          {
            retries: {
              limit: 1,
              delay: () => {
                delayCalls += 1;
                return 0;
              },
            },
          },
          async () => {
            throw new Error("declined");
          },
          {
            rollback: async ({ ctx, error, output }) => {
              contexts.push(ctx);
              seen.push({ error: error && { name: error.name, message: error.message }, output });
            },
          },
        )
        .catch(() => undefined);
      await step.waitForEvent("approval", { type: "approve", timeout: "1 day" });
    });
    await waitForStatus(await rig.create(), "waiting");
    expect(delayCalls).toBe(1);
    await rig.reopen();
    const instance = await rig.get();
    await instance.terminate({ rollback: true });
    await waitForStatus(instance, "terminated");
    expect(seen).toEqual([{ error: { name: "Error", message: "declined" }, output: undefined }]);
    expect(contexts).toHaveLength(1);
    expect(contexts[0]?.step).toEqual({ name: "charge", count: 1 });
    expect(contexts[0]?.config).toEqual({
      retries: { limit: 1, backoff: "exponential" },
      timeout: "10 minutes",
    });
    expect(JSON.stringify(contexts[0])).not.toMatch(/dynamic|delay/);
  });

  it("works while the instance is paused", async () => {
    const { calls, handler } = recorder();
    const rig = await rigs.open(sagaThenWait(handler, []));
    const instance = await rig.create();
    await waitForStatus(instance, "waiting");
    await instance.pause();
    await waitForStatus(instance, "paused");
    await instance.terminate({ rollback: true });
    await waitForStatus(instance, "terminated");
    expect(calls.map((c) => c.step)).toEqual(["b", "a"]);
    expect(ofType(await rig.log(), "ROLLBACK_COMPLETE")).toHaveLength(1);
  });

  it("rolls back a step in flight in this process, without its output", async () => {
    const { calls, handler } = recorder();
    let started = 0;
    const rig = await rigs.open(async (_event, step) => {
      await step.do("a", async () => "a-out", { rollback: handler("a") });
      await step.do(
        "slow",
        async () => {
          started += 1;
          return new Promise<string>(() => {});
        },
        { rollback: handler("slow") },
      );
    });
    const instance = await rig.create();
    await waitUntil(
      () => started,
      (n) => n === 1,
      { what: "the slow step to start" },
    );
    await instance.terminate({ rollback: true });
    await waitForStatus(instance, "terminated");
    expect(calls).toEqual([
      { step: "slow", output: undefined, error: null },
      { step: "a", output: "a-out", error: null },
    ]);
  });

  it("a restart while handlers still run gives a fresh run, not a terminated instance", async () => {
    let undo = 0;
    const rig = await rigs.open(async (_event, step) => {
      await step.do("a", async () => "a-out", {
        rollback: async () => {
          undo += 1;
          await new Promise(() => {});
        },
      });
      await step.waitForEvent("approval", { type: "approve", timeout: "1 day" });
      return "approved";
    });
    const instance = await rig.create();
    await waitForStatus(instance, "waiting");
    await instance.terminate({ rollback: true });
    await waitUntil(
      () => undo,
      (n) => n === 1,
      { what: "the rollback handler to start" },
    );
    await instance.restart();
    await waitForStatus(instance, ["waiting", "terminated"]);
    expect(await instance.status()).toEqual({ status: "waiting" });
    await instance.sendEvent({ type: "approve", payload: null });
    expect(await waitForStatus(instance, "complete")).toEqual({ status: "complete", output: "approved" });
  });

  it("resumes a rollback chain cut short by a process restart, counting the lost attempt as failed", async () => {
    let undo = 0;
    const rig = await rigs.open(
      async (_event, step) => {
        await step.do("a", async () => "a-out", {
          rollback: async () => {
            undo += 1;
            if (undo === 1) await new Promise(() => {});
          },
          rollbackConfig: { retries: { limit: 2, delay: 0 } },
        });
        await step.waitForEvent("approval", { type: "approve", timeout: "1 day" });
      },
      { shutdownGraceMs: 0 },
    );
    await waitForStatus(await rig.create(), "waiting");
    await (await rig.get()).terminate({ rollback: true });
    await waitUntil(
      () => undo,
      (n) => n === 1,
      { what: "the rollback handler to start" },
    );
    await rig.reopen();
    await waitForStatus(await rig.get(), "terminated");
    expect(undo).toBe(2);
    const log = await rig.log();
    expect(errorOf(ofType(log, "ROLLBACK_ATTEMPT_FAILURE")[0]).name).toBe("WorkflowInternalError");
    expect(keysOf(log, "ROLLBACK_STEP_SUCCESS")).toEqual(["rollback:do:1:a"]);
    expect(ofType(log, "ROLLBACK_COMPLETE")).toHaveLength(1);
  });

  it("rebuilds the handlers by replay when the workflow fails in a later process", async () => {
    const { calls, handler } = recorder();
    const rig = await rigs.open(async (_event, step) => {
      await step.do("a", async () => "a-out", { rollback: handler("a") });
      await step.waitForEvent("approval", { type: "approve", timeout: "1 day" });
      throw new NonRetryableError("rejected");
    });
    await waitForStatus(await rig.create(), "waiting");
    await rig.reopen();
    const instance = await rig.get();
    await instance.sendEvent({ type: "approve", payload: null });
    await waitForStatus(instance, "errored");
    expect(calls).toEqual([
      { step: "a", output: "a-out", error: { name: "NonRetryableError", message: "rejected" } },
    ]);
  });
});

describe("delay functions", () => {
  const rigs = stepsRigs();

  /** A step that always fails, retried per `delay`; returns the rig and the delay function's call count. */
  async function failing(delay: (...args: any[]) => any, backoff: "constant" | "linear" = "constant") {
    const clock = new FakeClock();
    const counter = { calls: 0, attempts: 0 };
    const rig = await rigs.open(
      async (_event, step) =>
        step.do(
          "flaky",
          {
            retries: {
              limit: 2,
              backoff,
              delay: (input: any) => {
                counter.calls += 1;
                return delay(input);
              },
            },
          },
          async () => {
            counter.attempts += 1;
            throw new Error("try again");
          },
        ),
      { clock },
    );
    return { rig, clock, counter, instance: await rig.create() };
  }

  it("uses a synchronous value, through the backoff formula", async () => {
    const { rig, clock, instance } = await failing(() => 2000);
    await rig.waitForLog("ATTEMPT_FAILURE", 1);
    clock.advance(2000);
    await rig.waitForLog("ATTEMPT_FAILURE", 2);
    clock.advance(2000);
    await waitForStatus(instance, "errored");
    expect(retryDelays(await rig.log())).toEqual([2000, 2000]);
  });

  it("uses an asynchronous value (a duration string), through the backoff formula", async () => {
    const { rig, clock, instance } = await failing(async () => "3 seconds", "linear");
    await rig.waitForLog("ATTEMPT_FAILURE", 1);
    clock.advance(3000);
    await rig.waitForLog("ATTEMPT_FAILURE", 2);
    clock.advance(6000);
    await waitForStatus(instance, "errored");
    expect(retryDelays(await rig.log())).toEqual([3000, 6000]);
  });

  it("fails the step, without another attempt, when the function never answers within 5 s", async () => {
    const { rig, clock, counter, instance } = await failing(() => new Promise(() => {}));
    await waitUntil(
      () => counter.calls,
      (n) => n === 1,
      { what: "the delay function to be called" },
    );
    clock.advance(4999);
    expect((await instance.status()).status).toBe("running");
    clock.advance(1);
    const status = await waitForStatus(instance, "errored");
    expect(status.error?.name).toBe("NonRetryableDelayError");
    expect(status.error?.message).toContain("did not answer within 5000 ms");
    expect(counter.attempts).toBe(1);
    expect(ofType(await rig.log(), "ATTEMPT_START")).toHaveLength(1);
  });

  it.each([
    [
      "throws",
      () => {
        throw new Error("sync oops");
      },
      "sync oops",
    ],
    ["rejects", async () => Promise.reject(new Error("async oops")), "async oops"],
    ["returns a bad duration", () => "soon", "invalid value"],
    ["returns a negative number", () => -5, "invalid value"],
  ])("fails the step, without another attempt, when the function %s", async (_label, delay, text) => {
    const { counter, instance } = await failing(delay);
    const status = await waitForStatus(instance, "errored");
    expect(status.error?.name).toBe("NonRetryableDelayError");
    expect(status.error?.message).toContain('"flaky-1"');
    expect(status.error?.message).toContain(text);
    expect(counter.attempts).toBe(1);
  });

  it("works in rollbackConfig too", async () => {
    const clock = new FakeClock();
    let attempts = 0;
    const rig = await rigs.open(
      async (_event, step) => {
        await step.do("a", async () => "a", {
          rollback: async () => {
            attempts += 1;
            if (attempts === 1) throw new Error("not yet");
          },
          rollbackConfig: { retries: { limit: 1, delay: async () => "2 seconds" as const } },
        });
        throw new NonRetryableError("boom");
      },
      { clock },
    );
    const instance = await rig.create();
    await rig.waitForLog("ROLLBACK_ATTEMPT_FAILURE", 1);
    clock.advance(2000);
    await waitForStatus(instance, "errored");
    const failures = ofType(await rig.log(), "ROLLBACK_ATTEMPT_FAILURE");
    expect(failures.map((f) => f.data?.retryDelayMs)).toEqual([2000]);
    expect(attempts).toBe(2);
  });
});
