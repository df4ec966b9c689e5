// Bad step names, bad step configs and over-long sleeps, as a running workflow meets them end to
// end: the instance ends `errored` with a message that carries the stable code and names the
// offending value, and the step's callback never runs. An unknown duration unit is an error, not
// 1 ms as in the local engine.
// Valid edge cases next to each rule run to completion.

import { type WorkflowStep, type WorkflowStepConfig, WorkflowsError } from "cairn";
import { describe, expect, it } from "vitest";
import { ofType, sharedStepsRig } from "../helpers/steps-harness.js";

// Every case is its own instance on one shared Cairn: opening a file costs far more than a case.
const shared = sharedStepsRig();
const runCase = shared.run;

describe("step names", () => {
  it.each([
    ["a control character", "charge\u0001card", "control characters"],
    ["a newline", "line\nbreak", "control characters"],
    ["257 characters", "n".repeat(257), "257 characters"],
    ["an empty name", "", "1 to 256 characters"],
  ])("errors the instance for %s (step.invalid_name)", async (_what, name, detail) => {
    let calls = 0;
    const { status, log } = await runCase(async (_event, step) =>
      step.do(name, async () => {
        calls += 1;
      }),
    );
    expect(status.status).toBe("errored");
    expect(status.error?.message).toContain("(step.invalid_name)");
    expect(status.error?.message).toContain(detail);
    expect(calls).toBe(0);
    expect(ofType(log, "STEP_START")).toHaveLength(0);
  });

  it("accepts 256 characters, spaces and punctuation", async () => {
    const { status } = await runCase(async (_event, step) => {
      await step.do("n".repeat(256), async () => 1);
      return step.do("charge card #1 (retry: ok?)", async () => "fine");
    });
    expect(status).toEqual({ status: "complete", output: "fine" });
  });
});

describe("step configs", () => {
  it.each<[string, unknown, string]>([
    ["retries without limit", { retries: { delay: 1 } }, "retries.limit"],
    ["retries without delay", { retries: { limit: 1 } }, "retries.delay"],
    ["an unknown top-level key", { retries: { limit: 1, delay: 1 }, retry: 3 }, "config.retry"],
    ["an unknown retries key", { retries: { limit: 1, delay: 1, jitter: true } }, "retries.jitter"],
    ['the unit "min"', { retries: { limit: 1, delay: "1 min" } }, '"1 min"'],
    ["a delay that is not a duration", { retries: { limit: 1, delay: "soon" } }, '"soon"'],
    ["a negative delay", { retries: { limit: 1, delay: -5 } }, "-5"],
    ["a negative limit", { retries: { limit: -1, delay: 1 } }, "-1"],
    ["a limit over 10,000", { retries: { limit: 10_001, delay: 1 } }, "10001"],
    ["an unknown backoff", { retries: { limit: 1, delay: 1, backoff: "fibonacci" } }, '"fibonacci"'],
    ["timeout 0", { timeout: 0 }, "timeout"],
    ["a timeout that is not a duration", { timeout: "forever" }, '"forever"'],
    ['sensitive: "input"', { sensitive: "input" }, '"input"'],
  ])("errors the instance for %s (step.invalid_config)", async (_what, config, detail) => {
    let calls = 0;
    const { status, log } = await runCase(async (_event, step) =>
      step.do("configured", config as WorkflowStepConfig, async () => {
        calls += 1;
      }),
    );
    expect(status.status).toBe("errored");
    expect(status.error?.message).toContain("(step.invalid_config)");
    expect(status.error?.message).toContain('"configured"');
    expect(status.error?.message).toContain(detail);
    expect(calls).toBe(0);
    expect(ofType(log, "STEP_START")).toHaveLength(0);
  });

  it("rejects a bad config with a WorkflowsError the workflow can catch by code", async () => {
    const { status } = await runCase(async (_event, step) => {
      try {
        await step.do("configured", { timeout: 0 }, async () => "ran");
        return "no error";
      } catch (error) {
        return WorkflowsError.is(error) ? error.code : "not a WorkflowsError";
      }
    });
    expect(status).toEqual({ status: "complete", output: "step.invalid_config" });
  });

  it.each<[string, WorkflowStepConfig]>([
    ["delay 0", { retries: { limit: 2, delay: 0 } }],
    ["limit 0", { retries: { limit: 0, delay: 1 } }],
    ["limit 10,000", { retries: { limit: 10_000, delay: 1 } }],
    ["a delay function", { retries: { limit: 1, delay: () => 1 } }],
    ["decimals and plural units", { retries: { limit: 1, delay: "0.5 seconds" }, timeout: "2.5 minutes" }],
    // Cloudflare's types leave out "ms"; Cairn's parser takes it, as Cloudflare's engine does.
    ['a "ms" delay and numeric timeout', { retries: { limit: 1, delay: "5 ms" as never }, timeout: 60_000 }],
    ['sensitive: "output"', { sensitive: "output" }],
  ])("accepts %s", async (_what, config) => {
    const { status } = await runCase(async (_event, step) =>
      step.do("configured", config, async () => "ran"),
    );
    expect(status).toEqual({ status: "complete", output: "ran" });
  });
});

describe("sleep durations", () => {
  it.each<[string, (step: WorkflowStep) => Promise<void>, string]>([
    ["sleep for 366 days", (step) => step.sleep("nap", "366 days"), "365 days"],
    ["sleep for 2 years", (step) => step.sleep("nap", "2 years"), "365 days"],
    [
      "sleepUntil 400 days ahead",
      (step) => step.sleepUntil("nap", Date.now() + 400 * 86_400_000),
      "365 days",
    ],
    ['sleep for "1 min"', (step) => step.sleep("nap", "1 min" as never), '"1 min"'],
  ])("errors the instance for %s (step.invalid_config)", async (_what, sleep, detail) => {
    const { status, log } = await runCase(async (_event, step) => sleep(step));
    expect(status.status).toBe("errored");
    expect(status.error?.message).toContain("(step.invalid_config)");
    expect(status.error?.message).toContain('"nap"');
    expect(status.error?.message).toContain(detail);
    expect(ofType(log, "SLEEP_START")).toHaveLength(0);
  });

  it("accepts a sleep of exactly 365 days and hibernates through it", async () => {
    const { status, log } = await runCase(async (_event, step) => step.sleep("nap", "365 days"), {
      until: ["waiting"],
    });
    expect(status.status).toBe("waiting");
    expect(ofType(log, "SLEEP_START")).toHaveLength(1);
  });
});
