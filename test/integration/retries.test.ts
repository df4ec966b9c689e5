// Retries of `step.do` as a workflow author sees them: which errors are retried, how often
// (`retries.limit` counts retries after the first attempt), how long Cairn waits between
// attempts (the log's ATTEMPT_FAILURE retryDelayMs), per-attempt timeouts, dynamic delay
// functions, and attempts cut short by a crash. Delays are tiny or run on a FakeClock.

import { NonRetryableError, type WorkflowBackoff } from "cairn";
import { FakeClock, waitForStatus, waitUntil } from "cairn/testing";
import { describe, expect, it } from "vitest";
import { ofType, retryDelays, sharedStepsRig, stepsRigs } from "../helpers/steps-harness.js";

const never = () => new Promise<never>(() => {});

describe("step.do retries", () => {
  const shared = sharedStepsRig();

  it("attempts a step that throws NonRetryableError once and keeps its name and message", async () => {
    let calls = 0;
    let after = 0;
    const { status, log } = await shared.run(async (_event, step) => {
      await step.do("charge", { retries: { limit: 5, delay: 1 } }, async () => {
        calls += 1;
        throw new NonRetryableError("card declined");
      });
      await step.do("ship", async () => {
        after += 1;
      });
    });
    const error = { name: "NonRetryableError", message: "card declined" };
    expect(status).toEqual({ status: "errored", error });
    expect(calls).toBe(1);
    expect(after).toBe(0);
    expect(ofType(log, "ATTEMPT_START")).toHaveLength(1);
    expect(ofType(log, "ATTEMPT_FAILURE").map((e) => e.data)).toEqual([{ error }]);
    expect(ofType(log, "WORKFLOW_FAILURE").map((e) => e.data)).toEqual([{ error }]);
  });

  it("retries a generic Error, even with an empty message, limit + 1 times in all", async () => {
    const attempts: number[] = [];
    const { status, log } = await shared.run(async (_event, step) =>
      step.do("flaky", { retries: { limit: 2, delay: 1, backoff: "constant" } }, async (ctx) => {
        attempts.push(ctx.attempt);
        throw new Error("");
      }),
    );
    expect(status).toEqual({ status: "errored", error: { name: "Error", message: "" } });
    expect(attempts).toEqual([1, 2, 3]);
    expect(ofType(log, "ATTEMPT_START")).toHaveLength(3);
  });

  it("does not retry a NonRetryableError with an empty message", async () => {
    let calls = 0;
    const { status } = await shared.run(async (_event, step) =>
      step.do("strict", { retries: { limit: 3, delay: 1 } }, async () => {
        calls += 1;
        throw new NonRetryableError("");
      }),
    );
    expect(status).toEqual({ status: "errored", error: { name: "NonRetryableError", message: "" } });
    expect(calls).toBe(1);
  });

  it("makes exactly one attempt with limit 0: the limit counts retries, not attempts", async () => {
    let calls = 0;
    const { status, log } = await shared.run(async (_event, step) =>
      step.do("once", { retries: { limit: 0, delay: 1 } }, async () => {
        calls += 1;
        throw new Error("no luck");
      }),
    );
    expect(status).toEqual({ status: "errored", error: { name: "Error", message: "no luck" } });
    expect(calls).toBe(1);
    expect(retryDelays(log)).toEqual([]);
  });

  it("counts ctx.attempt up per retry and rejects with the last attempt's error", async () => {
    const attempts: number[] = [];
    const { status, log } = await shared.run(async (_event, step) =>
      step.do("flaky", { retries: { limit: 2, delay: 1 } }, async (ctx) => {
        attempts.push(ctx.attempt);
        throw new TypeError(`attempt ${ctx.attempt} failed`);
      }),
    );
    expect(attempts).toEqual([1, 2, 3]);
    expect(status).toEqual({ status: "errored", error: { name: "TypeError", message: "attempt 3 failed" } });
    expect(ofType(log, "ATTEMPT_FAILURE").map((e) => [e.attempt, e.data?.error])).toEqual([
      [1, { name: "TypeError", message: "attempt 1 failed" }],
      [2, { name: "TypeError", message: "attempt 2 failed" }],
      [3, { name: "TypeError", message: "attempt 3 failed" }],
    ]);
  });

  it.each<[WorkflowBackoff, number[]]>([
    ["constant", [10, 10, 10]],
    ["linear", [10, 20, 30]],
    ["exponential", [10, 20, 40]],
  ])("waits by %s backoff between attempts, as the log's retryDelayMs shows", async (backoff, expected) => {
    const { status, log } = await shared.run(async (_event, step) =>
      step.do("flaky", { retries: { limit: 3, delay: 10, backoff } }, async (ctx) => {
        if (ctx.attempt < 4) throw new Error(`attempt ${ctx.attempt}`);
        return ctx.attempt;
      }),
    );
    expect(status).toEqual({ status: "complete", output: 4 });
    expect(retryDelays(log)).toEqual(expected);
  });
});

describe("step.do retry delays on a FakeClock", () => {
  const rigs = stepsRigs();

  it('does not start the next attempt before a "1 second" delay has passed, and does after', async () => {
    const clock = new FakeClock();
    const attempts: number[] = [];
    const rig = await rigs.open(
      async (_event, step) =>
        step.do("flaky", { retries: { limit: 1, delay: "1 second", backoff: "constant" } }, async (ctx) => {
          attempts.push(ctx.attempt);
          if (ctx.attempt === 1) throw new Error("first try fails");
          return "second try";
        }),
      { clock },
    );
    const instance = await rig.create();
    expect(retryDelays(await rig.waitForLog("ATTEMPT_FAILURE"))).toEqual([1000]);
    // Nothing but the retry timer is due within the next second (the others are a minute away),
    // so an unchanged timer count proves the retry has not been released.
    const armed = clock.pendingTimers();
    clock.advance(999);
    expect(clock.pendingTimers()).toBe(armed);
    expect(attempts).toEqual([1]);
    clock.advance(1);
    expect(clock.pendingTimers()).toBe(armed - 1);
    expect(await waitForStatus(instance, "complete")).toEqual({ status: "complete", output: "second try" });
    expect(attempts).toEqual([1, 2]);
  });

  it("hibernates through a long retry delay as `waiting`, then wakes and retries", async () => {
    const clock = new FakeClock();
    const attempts: number[] = [];
    const rig = await rigs.open(
      async (_event, step) =>
        step.do("flaky", { retries: { limit: 1, delay: "30 seconds" } }, async (ctx) => {
          attempts.push(ctx.attempt);
          if (ctx.attempt === 1) throw new Error("first try fails");
          return "woke up";
        }),
      { clock },
    );
    const instance = await rig.create();
    await waitForStatus(instance, "waiting");
    expect(attempts).toEqual([1]);
    const start = clock.now();
    const done = await waitUntil(
      async () => {
        if (clock.now() - start < 60_000) clock.advance(5_000);
        return instance.status();
      },
      (s) => s.status === "complete",
      { what: "the retry to run after the fake clock passed the delay" },
    );
    expect(done.output).toBe("woke up");
    expect(attempts).toEqual([1, 2]);
    const starts = ofType(await rig.log(), "ATTEMPT_START");
    expect(starts[1]!.at - ofType(await rig.log(), "ATTEMPT_FAILURE")[0]!.at).toBeGreaterThanOrEqual(30_000);
  });

  it("fails an attempt that outlives its timeout with WorkflowTimeoutError and retries it", async () => {
    const clock = new FakeClock();
    const attempts: number[] = [];
    const rig = await rigs.open(
      async (_event, step) =>
        step.do("slow", { retries: { limit: 1, delay: 0 }, timeout: "1 second" }, async (ctx) => {
          attempts.push(ctx.attempt);
          return ctx.attempt === 1 ? never() : "fast enough";
        }),
      { clock },
    );
    const instance = await rig.create();
    await waitUntil(
      () => attempts.length,
      (n) => n === 1,
    );
    clock.advance(1000);
    expect(await waitForStatus(instance, "complete")).toEqual({ status: "complete", output: "fast enough" });
    expect(attempts).toEqual([1, 2]);
    const failures = ofType(await rig.log(), "ATTEMPT_FAILURE");
    expect(failures.map((e) => e.data)).toEqual([
      {
        error: { name: "WorkflowTimeoutError", message: "Execution timed out after 1000ms" },
        retryDelayMs: 0,
      },
    ]);
  });

  it("errors the instance with WorkflowTimeoutError when the last attempt times out", async () => {
    const clock = new FakeClock();
    let calls = 0;
    const rig = await rigs.open(
      async (_event, step) =>
        step.do("stuck", { retries: { limit: 0, delay: 0 }, timeout: 250 }, async () => {
          calls += 1;
          return never();
        }),
      { clock },
    );
    const instance = await rig.create();
    await waitUntil(
      () => calls,
      (n) => n === 1,
    );
    clock.advance(250);
    expect((await waitForStatus(instance, "errored")).error).toEqual({
      name: "WorkflowTimeoutError",
      message: "Execution timed out after 250ms",
    });
    expect(calls).toBe(1);
  });
});

describe("dynamic retry delays", () => {
  const shared = sharedStepsRig();

  it("uses the delay function's value as the retry delay", async () => {
    const seen: { attempt: number; message: string }[] = [];
    const { status, log } = await shared.run(async (_event, step) =>
      step.do(
        "flaky",
        {
          retries: {
            limit: 2,
            delay: ({ ctx, error }) => {
              seen.push({ attempt: ctx.attempt, message: error.message });
              return 50;
            },
          },
        },
        async (ctx) => {
          if (ctx.attempt === 1) throw new Error("try again");
          return "done";
        },
      ),
    );
    expect(status).toEqual({ status: "complete", output: "done" });
    expect(retryDelays(log)).toEqual([50]);
    expect(seen).toEqual([{ attempt: 1, message: "try again" }]);
  });

  it("fails the step after one attempt when the delay function throws", async () => {
    let calls = 0;
    const { status, log } = await shared.run(async (_event, step) =>
      step.do(
        "flaky",
        {
          retries: {
            limit: 5,
            delay: () => {
              throw new Error("no delay today");
            },
          },
        },
        async () => {
          calls += 1;
          throw new Error("try again");
        },
      ),
    );
    expect(status.status).toBe("errored");
    expect(calls).toBe(1);
    expect(status.error?.name).toBe("NonRetryableDelayError");
    expect(status.error?.message).toContain("delay function");
    expect(status.error?.message).toContain('"flaky-1"');
    expect(status.error?.message).toContain("no delay today");
    expect(ofType(log, "ATTEMPT_START")).toHaveLength(1);
  });

  it("leaves `delay` out of ctx.config.retries for a function but shows a static one", async () => {
    const configs: Record<string, unknown> = {};
    const { status } = await shared.run(async (_event, step) => {
      await step.do("dynamic", { retries: { limit: 1, delay: () => 5 } }, async (ctx) => {
        configs.dynamic = ctx.config.retries;
      });
      await step.do("static", { retries: { limit: 1, delay: 25 } }, async (ctx) => {
        configs.static = ctx.config.retries;
      });
    });
    expect(status.status).toBe("complete");
    expect(configs.dynamic).toEqual({ limit: 1, backoff: "exponential" });
    expect(configs.dynamic).not.toHaveProperty("delay");
    expect(configs.static).toEqual({ limit: 1, delay: 25, backoff: "exponential" });
  });
});

describe("attempts cut short by a crash, which count as failed attempts", () => {
  const rigs = stepsRigs();

  it("records the lost attempt as a WorkflowInternalError failure and retries it after a restart", async () => {
    const attempts: number[] = [];
    const rig = await rigs.open(
      async (_event, step) =>
        step.do("fragile", { retries: { limit: 1, delay: 1 } }, async (ctx) => {
          attempts.push(ctx.attempt);
          // The first attempt never ends: closing with no grace period abandons it, like a crash.
          return ctx.attempt === 1 ? never() : "recovered";
        }),
      { shutdownGraceMs: 0 },
    );
    await rig.create();
    await rig.waitForLog("ATTEMPT_START");
    await rig.reopen();
    expect(await waitForStatus(await rig.get(), "complete")).toEqual({
      status: "complete",
      output: "recovered",
    });
    expect(attempts).toEqual([1, 2]);
    const failures = ofType(await rig.log(), "ATTEMPT_FAILURE");
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      attempt: 1,
      data: { error: { name: "WorkflowInternalError" }, retryDelayMs: 1 },
    });
  });

  it("ends in `errored` when every attempt crashes, instead of looping forever", async () => {
    const attempts: number[] = [];
    const rig = await rigs.open(
      async (_event, step) =>
        step.do("doomed", { retries: { limit: 1, delay: 1 } }, async (ctx) => {
          attempts.push(ctx.attempt);
          return never();
        }),
      { shutdownGraceMs: 0 },
    );
    await rig.create();
    await rig.waitForLog("ATTEMPT_START", 1);
    await rig.reopen();
    await rig.waitForLog("ATTEMPT_START", 2);
    await rig.reopen();
    const { error } = await waitForStatus(await rig.get(), "errored");
    expect(error?.name).toBe("WorkflowInternalError");
    expect(attempts).toEqual([1, 2]);
    expect(ofType(await rig.log(), "ATTEMPT_START")).toHaveLength(2);
  });
});
