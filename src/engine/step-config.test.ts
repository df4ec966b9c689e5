import { describe, expect, it } from "vitest";
import { NonRetryableError } from "../api/non-retryable-error.js";
import type { WorkflowDelayFunction, WorkflowStepContext } from "../api/types.js";
import { WorkflowsError } from "../errors.js";
import {
  backoffDelay,
  DEFAULT_RETRIES,
  DEFAULT_TIMEOUT,
  evaluateDelayFunction,
  MAX_RETRY_LIMIT,
  planStep,
  type Schedule,
  shouldRetry,
} from "./step-config.js";

function rejection(config: unknown): WorkflowsError {
  try {
    planStep("charge", config);
  } catch (error) {
    expect(error).toBeInstanceOf(WorkflowsError);
    expect((error as WorkflowsError).code).toBe("step.invalid_config");
    return error as WorkflowsError;
  }
  throw new Error(`expected ${JSON.stringify(config)} to be rejected`);
}

describe("defaults", () => {
  it("are Cloudflare's documented production defaults", () => {
    expect(DEFAULT_RETRIES).toEqual({ limit: 5, delay: 10_000, backoff: "exponential" });
    expect(DEFAULT_TIMEOUT).toBe("10 minutes");
    expect(MAX_RETRY_LIMIT).toBe(10_000);
  });
});

describe("planStep: validation", () => {
  it.each([
    ["retries without limit", { retries: { delay: 1000 } }, "retries.limit"],
    ["retries without delay", { retries: { limit: 3 } }, "retries.delay"],
    ["an extra top-level key", { retries: { limit: 1, delay: 1 }, foo: 1 }, "config.foo"],
    ["an extra retries key", { retries: { limit: 1, delay: 1, jitter: true } }, "retries.jitter"],
    ["an unparsable delay string", { retries: { limit: 1, delay: "soon" } }, "retries.delay"],
    ["an unknown delay unit", { retries: { limit: 1, delay: "1 min" } }, "retries.delay"],
    ["a negative delay", { retries: { limit: 1, delay: -1 } }, "retries.delay"],
    ["a negative limit", { retries: { limit: -1, delay: 1 } }, "retries.limit"],
    ["a fractional limit", { retries: { limit: 1.5, delay: 1 } }, "retries.limit"],
    ["a limit over 10,000", { retries: { limit: 10_001, delay: 1 } }, "retries.limit"],
    ["an Infinity limit", { retries: { limit: Number.POSITIVE_INFINITY, delay: 1 } }, "retries.limit"],
    ["a string limit", { retries: { limit: "3", delay: 1 } }, "retries.limit"],
    ["an unknown backoff", { retries: { limit: 1, delay: 1, backoff: "random" } }, "retries.backoff"],
    ["timeout 0", { timeout: 0 }, "timeout"],
    ['timeout "0 seconds"', { timeout: "0 seconds" }, "timeout"],
    ["an unparsable timeout", { timeout: "forever" }, "timeout"],
    ["sensitive other than output", { sensitive: "input" }, "sensitive"],
    ["sensitive true", { sensitive: true }, "sensitive"],
    ["retries that is not an object", { retries: 5 }, "retries"],
    ["a config that is not an object", "fast", "config"],
    ["a config that is an array", [], "config"],
    ["a config that is null", null, "config"],
  ])("rejects %s", (_label, config, key) => {
    const error = rejection(config);
    expect(error.message).toContain('step "charge"');
    expect(error.message).toContain(key);
  });

  it("names the offending value and the limit", () => {
    const error = rejection({ retries: { limit: 20_000, delay: 1 } });
    expect(error.message).toContain("20000");
    expect(error.message).toContain("10000");
  });

  it.each([
    ["no config", undefined],
    ["an empty config", {}],
    ["delay 0", { retries: { limit: 1, delay: 0 } }],
    ["a delay function", { retries: { limit: 1, delay: () => 5 } }],
    ["limit 0", { retries: { limit: 0, delay: 1 } }],
    ["limit 10,000", { retries: { limit: 10_000, delay: 1 } }],
    ['sensitive "output"', { sensitive: "output" }],
    [
      "a duration-string delay and timeout",
      { retries: { limit: 1, delay: "2 seconds" }, timeout: "1 minute" },
    ],
    ["explicitly undefined optional keys", { retries: undefined, timeout: undefined, sensitive: undefined }],
    ["a null-prototype object", Object.assign(Object.create(null), { timeout: 5 })],
  ])("accepts %s", (_label, config) => {
    expect(() => planStep("charge", config)).not.toThrow();
  });
});

describe("planStep: merge and resolved config", () => {
  it("uses every default when no config is given", () => {
    const plan = planStep("s", undefined);
    expect(plan).toEqual({
      resolved: { retries: { limit: 5, delay: 10_000, backoff: "exponential" }, timeout: "10 minutes" },
      limit: 5,
      delayMs: 10_000,
      delayFn: undefined,
      backoff: "exponential",
      timeoutMs: 600_000,
      sensitive: false,
    });
    expect(plan.resolved).not.toHaveProperty("sensitive");
  });

  it("keeps default retries when only the timeout is given, and keeps the timeout's form", () => {
    const plan = planStep("s", { timeout: "30 seconds" });
    expect(plan.resolved).toEqual({
      retries: { limit: 5, delay: 10_000, backoff: "exponential" },
      timeout: "30 seconds",
    });
    expect(plan.timeoutMs).toBe(30_000);
  });

  it("defaults backoff to exponential when retries is given without it", () => {
    const plan = planStep("s", { retries: { limit: 2, delay: "1 second" } });
    expect(plan.resolved.retries).toEqual({ limit: 2, delay: "1 second", backoff: "exponential" });
    expect(plan).toMatchObject({ limit: 2, delayMs: 1000, backoff: "exponential", timeoutMs: 600_000 });
  });

  it("takes the user's backoff, numeric timeout and sensitivity", () => {
    const plan = planStep("s", {
      retries: { limit: 0, delay: 0, backoff: "linear" },
      timeout: 250,
      sensitive: "output",
    });
    expect(plan.resolved).toEqual({
      retries: { limit: 0, delay: 0, backoff: "linear" },
      timeout: 250,
      sensitive: "output",
    });
    expect(plan).toMatchObject({ limit: 0, delayMs: 0, backoff: "linear", timeoutMs: 250, sensitive: true });
  });

  it("omits the delay key from ctx.config when delay is a function", () => {
    const delay: WorkflowDelayFunction = () => "1 second";
    const plan = planStep("s", { retries: { limit: 3, delay, backoff: "constant" } });
    expect(plan.resolved.retries).toEqual({ limit: 3, backoff: "constant" });
    expect(Object.keys(plan.resolved.retries)).not.toContain("delay");
    expect(plan.delayFn).toBe(delay);
    expect(plan.delayMs).toBeUndefined();
  });

  it("returns a fresh resolved config each call, so mutating one does not leak", () => {
    const config = { retries: { limit: 2, delay: 1000 } };
    const first = planStep("s", config);
    first.resolved.retries.limit = 99;
    first.resolved.timeout = 1;
    const second = planStep("s", config);
    expect(second.resolved).toEqual({
      retries: { limit: 2, delay: 1000, backoff: "exponential" },
      timeout: "10 minutes",
    });
    expect(config.retries).toEqual({ limit: 2, delay: 1000 });

    // Without a config the plan is shared, so it is frozen: nobody can change it for the others.
    const defaults = planStep("s", undefined);
    expect(() => {
      defaults.resolved.retries.limit = 0;
    }).toThrow(TypeError);
    expect(planStep("s", undefined).resolved.retries.limit).toBe(5);
    expect(DEFAULT_RETRIES.limit).toBe(5);
  });

  it("does not share objects with the user's config", () => {
    const retries = { limit: 1, delay: 5 };
    const plan = planStep("s", { retries });
    expect(plan.resolved.retries).not.toBe(retries);
  });
});

describe("backoffDelay and shouldRetry (2.2, 2.3)", () => {
  it("doubles exponentially: base 10 s waits 10, 20, 40, 80, 160 s", () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(10_000, "exponential", n))).toEqual([
      10_000, 20_000, 40_000, 80_000, 160_000,
    ]);
  });

  it("grows linearly", () => {
    expect([1, 2, 3].map((n) => backoffDelay(1000, "linear", n))).toEqual([1000, 2000, 3000]);
  });

  it("stays constant", () => {
    expect([1, 2, 7].map((n) => backoffDelay(1500, "constant", n))).toEqual([1500, 1500, 1500]);
  });

  it("clamps to MAX_SAFE_INTEGER and keeps a zero base at zero", () => {
    expect(backoffDelay(10_000, "exponential", 10_000)).toBe(Number.MAX_SAFE_INTEGER);
    expect(backoffDelay(Number.MAX_SAFE_INTEGER, "linear", 3)).toBe(Number.MAX_SAFE_INTEGER);
    expect(backoffDelay(0, "exponential", 10_000)).toBe(0);
  });

  it("retries while attempts made <= limit: limit 5 gives six attempts, limit 0 one", () => {
    const attempts = (limit: number) => {
      let made = 1;
      while (shouldRetry(made, limit)) made++;
      return made;
    };
    expect(attempts(5)).toBe(6);
    expect(attempts(0)).toBe(1);
    expect(shouldRetry(5, 5)).toBe(true);
    expect(shouldRetry(6, 5)).toBe(false);
  });
});

describe("evaluateDelayFunction", () => {
  const input = {
    ctx: {
      step: { name: "charge", count: 1 },
      attempt: 1,
      config: { retries: { limit: 1, backoff: "constant" }, timeout: 1000 },
    } satisfies WorkflowStepContext,
    error: new Error("boom"),
  };

  async function delayError(promise: Promise<unknown>): Promise<NonRetryableError> {
    const error = await promise.then(
      () => {
        throw new Error("expected the delay function to fail");
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NonRetryableError);
    expect((error as Error).name).toBe("NonRetryableDelayError");
    return error as NonRetryableError;
  }

  it("passes ctx and error to the function and parses a sync number", async () => {
    let seen: unknown;
    const ms = await evaluateDelayFunction(
      (arg) => {
        seen = arg;
        return 1234;
      },
      input,
      "charge-1",
    );
    expect(ms).toBe(1234);
    expect(seen).toBe(input);
  });

  it("parses an async duration string", async () => {
    expect(await evaluateDelayFunction(async () => "2 seconds" as const, input, "charge-1", 50)).toBe(2000);
  });

  it("fails non-retryably when the function throws", async () => {
    const error = await delayError(
      evaluateDelayFunction(
        () => {
          throw new Error("no idea");
        },
        input,
        "charge-1",
        50,
      ),
    );
    expect(error.message).toBe('The delay function for step "charge-1" threw: no idea');
  });

  it("fails non-retryably when the function rejects", async () => {
    const error = await delayError(
      evaluateDelayFunction(() => Promise.reject(new Error("nope")), input, "charge-1", 50),
    );
    expect(error.message).toBe('The delay function for step "charge-1" threw: nope');
  });

  it.each([
    ["a negative number", -5],
    ["an unknown unit", "3 min"],
    ["NaN", Number.NaN],
    ["undefined", undefined],
  ])("fails non-retryably when the function returns %s", async (_label, value) => {
    const fn = (() => value) as unknown as WorkflowDelayFunction;
    const error = await delayError(evaluateDelayFunction(fn, input, "charge-1", 50));
    expect(error.message).toMatch(/^The delay function for step "charge-1" returned an invalid value: /);
  });

  it("fails non-retryably when the function never settles", async () => {
    const started = Date.now();
    const error = await delayError(evaluateDelayFunction(() => new Promise(() => {}), input, "charge-1", 50));
    expect(error.message).toBe('The delay function for step "charge-1" did not answer within 50 ms');
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
  });

  it("clears its timer in every outcome", async () => {
    let started = 0;
    let cleared = 0;
    const schedule: Schedule = (ms, callback) => {
      started++;
      const timer = setTimeout(callback, ms);
      return () => {
        cleared++;
        clearTimeout(timer);
      };
    };
    await evaluateDelayFunction(async () => 5, input, "k", 50, schedule);
    await evaluateDelayFunction(
      (async () => "bad") as unknown as WorkflowDelayFunction,
      input,
      "k",
      50,
      schedule,
    ).catch(() => {});
    await evaluateDelayFunction(() => Promise.reject(new Error("x")), input, "k", 50, schedule).catch(
      () => {},
    );
    await evaluateDelayFunction(() => new Promise(() => {}), input, "k", 50, schedule).catch(() => {});
    expect(started).toBe(4);
    expect(cleared).toBe(4);
  });
});
