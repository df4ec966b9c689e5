// The per-instance step limit: only `step.do` calls count, exactly `limits.steps` of them succeed,
// one more errors the instance with `step.limit_exceeded`, the default is 10,000, and replayed
// steps are not counted twice.

import { waitForStatus } from "cairn/testing";
import { describe, expect, it } from "vitest";
import { ofType, stepsRigs } from "../helpers/steps-harness.js";

function steps(n: number, step: { do: (name: string, cb: () => Promise<number>) => Promise<number> }) {
  return Array.from({ length: n }, (_, i) => step.do(`step ${i}`, async () => i));
}

describe("the step limit", () => {
  const rigs = stepsRigs();

  it("errors the instance on the step past the limit, which never runs", async () => {
    const ran: string[] = [];
    const rig = await rigs.open(
      async (_event, step) => {
        for (const name of ["a", "b", "c", "d"]) {
          await step.do(name, async () => {
            ran.push(name);
          });
        }
      },
      { stepLimit: 3 },
    );
    const { error } = await waitForStatus(await rig.create(), "errored");
    expect(error?.message).toContain("(step.limit_exceeded)");
    expect(error?.message).toContain("3 steps");
    expect(ran).toEqual(["a", "b", "c"]);
    expect(ofType(await rig.log(), "STEP_SUCCESS")).toHaveLength(3);
  });

  it("lets exactly `limits.steps` steps succeed", async () => {
    const rig = await rigs.open(async (_event, step) => Promise.all(steps(3, step)), { stepLimit: 3 });
    expect(await waitForStatus(await rig.create(), "complete")).toEqual({
      status: "complete",
      output: [0, 1, 2],
    });
  });

  it("defaults to 10,000 steps", async () => {
    const rig = await rigs.open(async (event, step) => {
      const results = await Promise.all(steps((event.payload as { n: number }).n, step));
      return results.length;
    });
    const atLimit = await rig.create("at-limit", { n: 10_000 });
    const overLimit = await rig.create("over-limit", { n: 10_001 });
    expect(await waitForStatus(atLimit, "complete")).toEqual({ status: "complete", output: 10_000 });
    const { error } = await waitForStatus(overLimit, "errored");
    expect(error?.message).toContain("(step.limit_exceeded)");
    expect(error?.message).toContain("10000 steps");
  });

  it("does not count sleeps and waits for events", async () => {
    const rig = await rigs.open(
      async (_event, step) => {
        await step.do("first", async () => 1);
        await step.sleep("pause", 1);
        await step.sleepUntil("pause again", 0);
        const event = await step.waitForEvent<string>("wait", { type: "go" });
        await step.do("second", async () => 2);
        return event.payload;
      },
      { stepLimit: 2 },
    );
    const instance = await rig.create();
    await instance.sendEvent({ type: "go", payload: "went" });
    expect(await waitForStatus(instance, "complete")).toEqual({ status: "complete", output: "went" });
  });

  it("counts each step once when the instance replays after a re-open", async () => {
    const rig = await rigs.open(
      async (_event, step) => {
        await step.do("one", async () => 1);
        await step.do("two", async () => 2);
        await step.waitForEvent("wait", { type: "go" });
        return step.do("three", async () => 3);
      },
      { stepLimit: 3 },
    );
    await rig.create();
    await waitForStatus(await rig.get(), "waiting");
    await rig.reopen();
    await (await rig.get()).sendEvent({ type: "go", payload: null });
    expect(await waitForStatus(await rig.get(), "complete")).toEqual({ status: "complete", output: 3 });
  });
});
