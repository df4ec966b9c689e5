// What a `step.do` callback sees and how steps compose: the step context and its resolved config,
// caught failures, parallel steps with Promise.all and Promise.race, and replay after Cairn is
// re-opened on the same file, where finished steps (succeeded or failed) return their cached
// outcome without running again.

import { NonRetryableError, type WorkflowStepContext } from "cairn";
import { FakeClock, waitForStatus, waitUntil } from "cairn/testing";
import { beforeEach, describe, expect, it } from "vitest";
import { deferred, ofType, sharedStepsRig, stepsRigs } from "../helpers/steps-harness.js";

describe("the step context", () => {
  const shared = sharedStepsRig();

  it("gives attempt 1 and { name, count } on a first successful attempt", async () => {
    let seen: WorkflowStepContext | undefined;
    const { status } = await shared.run(async (_event, step) =>
      step.do("greet", async (ctx) => {
        seen = ctx;
        return "hi";
      }),
    );
    expect(status.status).toBe("complete");
    expect(seen?.attempt).toBe(1);
    expect(seen?.step).toEqual({ name: "greet", count: 1 });
  });

  it("counts repeated names 1, 2 and starts a different name at 1", async () => {
    const steps: { name: string; count: number }[] = [];
    const { status } = await shared.run(async (_event, step) => {
      for (const name of ["fetch", "fetch", "store"]) {
        await step.do(name, async (ctx) => {
          steps.push(ctx.step);
        });
      }
    });
    expect(status.status).toBe("complete");
    expect(steps).toEqual([
      { name: "fetch", count: 1 },
      { name: "fetch", count: 2 },
      { name: "store", count: 1 },
    ]);
  });

  it("shows Cairn's defaults when no config is given, with Cloudflare's production delay of 10 s", async () => {
    let config: unknown;
    const { status } = await shared.run(async (_event, step) =>
      step.do("plain", async (ctx) => {
        config = ctx.config;
      }),
    );
    expect(status.status).toBe("complete");
    expect(config).toEqual({
      retries: { limit: 5, delay: 10000, backoff: "exponential" },
      timeout: "10 minutes",
    });
  });

  it("merges a partial config over the defaults, field by field", async () => {
    const configs: unknown[] = [];
    const { status } = await shared.run(async (_event, step) => {
      await step.do("retries only", { retries: { limit: 2, delay: "5 seconds" } }, async (ctx) => {
        configs.push(ctx.config);
      });
      await step.do("timeout only", { timeout: "1 minute" }, async (ctx) => {
        configs.push(ctx.config);
      });
      await step.do("sensitive", { sensitive: "output" }, async (ctx) => {
        configs.push(ctx.config);
      });
    });
    expect(status.status).toBe("complete");
    const defaultRetries = { limit: 5, delay: 10000, backoff: "exponential" };
    expect(configs).toEqual([
      { retries: { limit: 2, delay: "5 seconds", backoff: "exponential" }, timeout: "10 minutes" },
      { retries: defaultRetries, timeout: "1 minute" },
      { retries: defaultRetries, timeout: "10 minutes", sensitive: "output" },
    ]);
  });
});

describe("step results and failures", () => {
  const shared = sharedStepsRig();

  it("hands a step's result to the code after it and to the instance output", async () => {
    const { status } = await shared.run(
      async (event, step) => {
        const a = await step.do("double", async () => (event.payload as { n: number }).n * 2);
        const b = await step.do("add one", async () => a + 1);
        return { a, b };
      },
      { params: { n: 20 } },
    );
    expect(status).toEqual({
      status: "complete",
      output: { a: 40, b: 41 },
    });
  });

  it("lets the workflow go on after catching a failed step, logging one failed attempt", async () => {
    const { status, log } = await shared.run(async (_event, step) => {
      let caught: { name: string; message: string } | undefined;
      try {
        await step.do("doomed", { retries: { limit: 0, delay: 1 } }, async () => {
          throw new RangeError("out of range");
        });
      } catch (error) {
        caught = { name: (error as Error).name, message: (error as Error).message };
      }
      const next = await step.do("next", async () => "ran");
      return { caught, next };
    });
    expect(status).toEqual({
      status: "complete",
      output: { caught: { name: "RangeError", message: "out of range" }, next: "ran" },
    });
    expect(ofType(log, "ATTEMPT_FAILURE")).toHaveLength(1);
    expect(ofType(log, "STEP_FAILURE")).toHaveLength(1);
    expect(ofType(log, "STEP_SUCCESS")).toHaveLength(1);
  });
});

describe("parallel steps", () => {
  const shared = sharedStepsRig();

  it("runs steps under Promise.all concurrently and returns their results in order", async () => {
    const bStarted = deferred();
    const { status, log } = await shared.run(async (_event, step) =>
      // "a" finishes only once "b" has started: run one after the other, they would never end.
      Promise.all([
        step.do("a", async () => {
          await bStarted.promise;
          return "A";
        }),
        step.do("b", async () => {
          bStarted.resolve();
          return "B";
        }),
        step.do("c", async () => "C"),
      ]),
    );
    expect(status).toEqual({
      status: "complete",
      output: ["A", "B", "C"],
    });
    expect(ofType(log, "STEP_SUCCESS")).toHaveLength(3);
  });

  it("settles Promise.race with the first step while the others still run to completion", async () => {
    const release = deferred();
    const { status, log } = await shared.run(async (_event, step) => {
      const slow = step.do("slow", async () => {
        await release.promise;
        return "slow";
      });
      const fast = step.do("fast", async () => "fast");
      const winner = await Promise.race([slow, fast]);
      await step.do("note winner", async () => {
        release.resolve();
        return winner;
      });
      return { winner, late: await slow };
    });
    expect(status).toEqual({
      status: "complete",
      output: { winner: "fast", late: "slow" },
    });
    const succeeded = ofType(log, "STEP_SUCCESS").map((e) => e.stepKey);
    expect(succeeded[0]).toBe("do:1:fast");
    expect(succeeded.sort()).toEqual(["do:1:fast", "do:1:note winner", "do:1:slow"]);
  });
});

describe("changes to ctx.config", () => {
  const rigs = stepsRigs();

  it("ignores changes the callback makes to ctx.config, even across a replay", async () => {
    const clock = new FakeClock();
    const attempts: number[] = [];
    const rig = await rigs.open(
      async (_event, step) =>
        step.do("meddler", { retries: { limit: 1, delay: "1 second" } }, async (ctx) => {
          attempts.push(ctx.attempt);
          ctx.config.retries.limit = 10;
          ctx.config.timeout = 1;
          throw new Error("still failing");
        }),
      // Every retry delay hibernates, so attempt 2 runs with the config persisted by attempt 1.
      { clock, hibernateAfterMs: 0 },
    );
    const instance = await rig.create();
    await waitForStatus(instance, "waiting");
    const { error } = await waitUntil(
      async () => {
        clock.advance(1000);
        return instance.status();
      },
      (s) => s.status === "errored",
      { what: "the instance to error after its retries" },
    );
    expect(error).toEqual({ name: "Error", message: "still failing" });
    expect(attempts).toEqual([1, 2]);
  });
});

describe("ctx.config of a step without a config", () => {
  const rigs = stepsRigs();

  it("is each attempt's own copy of the defaults: a change reaches no other attempt or step", async () => {
    const clock = new FakeClock();
    const seen: unknown[] = [];
    const rig = await rigs.open(
      async (_event, step) => {
        await step.do("first", async (ctx) => {
          seen.push(structuredClone(ctx.config));
          ctx.config.retries.limit = 0;
          ctx.config.timeout = "1 second";
          if (ctx.attempt === 1) throw new Error("once");
          return "ok";
        });
        return step.do("second", async (ctx) => {
          seen.push(structuredClone(ctx.config));
          ctx.config = { retries: { limit: 1, backoff: "constant" }, timeout: 5 };
          return "ok";
        });
      },
      { clock },
    );
    const instance = await rig.create();
    await waitUntil(
      async () => {
        clock.advance(10_000);
        return instance.status();
      },
      (s) => s.status === "complete",
      { what: "the instance to complete after one retry" },
    );
    const defaults = { retries: { limit: 5, delay: 10000, backoff: "exponential" }, timeout: "10 minutes" };
    expect(seen).toEqual([defaults, defaults, defaults]);
  });
});

// Module-level, as a real workflow module's state would be: a replay must not bump them.
const runs = { fetched: 0, failed: 0, refused: 0, after: 0 };

/** Runs `fn`, returning the `{ name, message }` of what it throws (or null). */
async function caught(fn: () => Promise<unknown>): Promise<{ name: string; message: string } | null> {
  try {
    await fn();
    return null;
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
}

describe("replay after re-opening the file", () => {
  const rigs = stepsRigs();
  beforeEach(() => {
    Object.assign(runs, { fetched: 0, failed: 0, refused: 0, after: 0 });
  });

  it("does not run a cached succeeded or failed step again, NonRetryableError included", async () => {
    const rig = await rigs.open(async (_event, step) => {
      const fetched = await step.do("fetch", async () => {
        runs.fetched += 1;
        return { rows: 3 };
      });
      const failure = await caught(() =>
        step.do("flaky", { retries: { limit: 0, delay: 1 } }, async () => {
          runs.failed += 1;
          throw new Error("upstream down");
        }),
      );
      const refusal = await caught(() =>
        step.do("strict", async () => {
          runs.refused += 1;
          throw new NonRetryableError("refused");
        }),
      );
      // Hibernate, so that after the re-open everything above comes from the journal.
      const go = await step.waitForEvent<{ ok: boolean }>("go", { type: "go" });
      const after = await step.do("after", async () => {
        runs.after += 1;
        return go.payload.ok;
      });
      return { fetched, failure, refusal, after };
    });
    await rig.create();
    await waitForStatus(await rig.get(), "waiting");
    await rig.reopen();
    await (await rig.get()).sendEvent({ type: "go", payload: { ok: true } });
    expect(await waitForStatus(await rig.get(), "complete")).toEqual({
      status: "complete",
      output: {
        fetched: { rows: 3 },
        failure: { name: "Error", message: "upstream down" },
        refusal: { name: "NonRetryableError", message: "refused" },
        after: true,
      },
    });
    expect(runs).toEqual({ fetched: 1, failed: 1, refused: 1, after: 1 });
    const log = await rig.log();
    expect(ofType(log, "ATTEMPT_START").map((e) => e.stepKey)).toEqual([
      "do:1:fetch",
      "do:1:flaky",
      "do:1:strict",
      "do:1:after",
    ]);
  });
});
