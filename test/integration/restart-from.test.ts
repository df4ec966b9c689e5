// `instance.restart({ from: { name, count?, type? } })`: steps started before the target keep their
// cached results, the target and every step started after it run again, an event taken by an erased
// wait is delivered again, and a target that is not in the journal throws `instance.cannot_restart`
// without touching the instance.

import { NonRetryableError, type WorkflowStep } from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";
import { describe, expect, it } from "vitest";
import { type LogEntry, ofType, stepsRigs, WORKFLOW } from "../helpers/steps-harness.js";

/** Counts calls per step name, so a re-run shows as a higher number in the step's result. */
function counters() {
  const calls = new Map<string, number>();
  return {
    next(name: string): string {
      const n = (calls.get(name) ?? 0) + 1;
      calls.set(name, n);
      return `${name}${n}`;
    },
    of: (name: string) => calls.get(name) ?? 0,
  };
}

const restarted = (log: LogEntry[]) => ofType(log, "WORKFLOW_RESTARTED").map((e) => e.data);

describe("restart({ from })", () => {
  const rigs = stepsRigs();

  it("keeps the results of earlier steps and runs the target and later ones again", async () => {
    const c = counters();
    const rig = await rigs.open(async (_event, step) => [
      await step.do("a", async () => c.next("a")),
      await step.do("b", async () => c.next("b")),
      await step.do("c", async () => c.next("c")),
    ]);
    const instance = await rig.create();
    expect(await waitForStatus(instance, "complete")).toEqual({
      status: "complete",
      output: ["a1", "b1", "c1"],
    });
    await instance.restart({ from: { name: "b" } });
    expect(await waitForStatus(instance, "complete")).toEqual({
      status: "complete",
      output: ["a1", "b2", "c2"],
    });
    expect(c.of("a")).toBe(1);
    const log = await rig.log();
    expect(restarted(log)).toEqual([{ from: { kind: "do", name: "b", count: 1 } }]);
    // The log is kept: the first run's entries come before the restart.
    expect(ofType(log, "WORKFLOW_SUCCESS")).toHaveLength(2);
    const journal = await rig.cairn.engine.readJournal(WORKFLOW, "i1");
    expect(journal.map((r) => r.key)).toEqual(["do:1:a", "do:1:b", "do:1:c"]);

    // Again from the same step: start order stays consistent across restarts.
    await instance.restart({ from: { name: "b" } });
    expect(await waitForStatus(instance, "complete")).toEqual({
      status: "complete",
      output: ["a1", "b3", "c3"],
    });
  });

  it('defaults to type "do" and count 1: a sleep of the same name is not the target', async () => {
    const c = counters();
    const rig = await rigs.open(async (_event, step) => {
      const a = await step.do("a", async () => c.next("a"));
      await step.sleepUntil("b", 0);
      const b = await step.do("b", async () => c.next("b"));
      const x1 = await step.do("x", async () => c.next("x"));
      const x2 = await step.do("x", async () => c.next("x"));
      return [a, b, x1, x2];
    });
    const instance = await rig.create();
    expect((await waitForStatus(instance, "complete")).output).toEqual(["a1", "b1", "x1", "x2"]);

    await instance.restart({ from: { name: "b" } });
    expect((await waitForStatus(instance, "complete")).output).toEqual(["a1", "b2", "x3", "x4"]);
    // The sleep named "b" started before the step "b" and was kept.
    expect(ofType(await rig.log(), "SLEEP_START")).toHaveLength(1);

    // `count` picks the second "x": the first keeps its result.
    await instance.restart({ from: { name: "x", count: 2 } });
    expect((await waitForStatus(instance, "complete")).output).toEqual(["a1", "b2", "x3", "x5"]);

    // `type: "sleep"` targets the sleep: it and everything after it run again.
    await instance.restart({ from: { name: "b", type: "sleep" } });
    expect((await waitForStatus(instance, "complete")).output).toEqual(["a1", "b3", "x6", "x7"]);
    expect(ofType(await rig.log(), "SLEEP_START")).toHaveLength(2);
    expect(restarted(await rig.log())).toEqual([
      { from: { kind: "do", name: "b", count: 1 } },
      { from: { kind: "do", name: "x", count: 2 } },
      { from: { kind: "sleep", name: "b", count: 1 } },
    ]);
  });

  it("throws instance.cannot_restart for a step not in the journal and changes nothing", async () => {
    const c = counters();
    const rig = await rigs.open(async (_event, step) => step.do("a", async () => c.next("a")));
    const instance = await rig.create();
    await waitForStatus(instance, "complete");
    const before = await rig.log();
    for (const from of [
      { name: "missing" },
      { name: "a", count: 2 },
      { name: "a", type: "sleep" as const },
      { name: "a", type: "waitForEvent" as const },
    ]) {
      const error = await instance.restart({ from }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ name: "WorkflowsError", code: "instance.cannot_restart" });
      expect((error as Error).message).toContain("not found in execution history");
      expect((error as Error).message).toContain(`"${from.name}"`);
    }
    expect(await instance.status()).toEqual({ status: "complete", output: "a1" });
    expect(await rig.log()).toEqual(before);
    expect(c.of("a")).toBe(1);
  });

  it("rejects a malformed target with instance.invalid_options, and an unknown instance", async () => {
    const rig = await rigs.open(async (_event, step) => step.do("a", async () => "a"));
    const instance = await rig.create();
    await waitForStatus(instance, "complete");
    for (const from of [
      {},
      { name: "" },
      { name: "a", count: 0 },
      { name: "a", count: 1.5 },
      { name: "a", type: "bogus" },
      "a",
    ]) {
      await expect(instance.restart({ from: from as never })).rejects.toMatchObject({
        code: "instance.invalid_options",
      });
    }
    await expect(rig.cairn.engine.restartFrom(WORKFLOW, "nope", { name: "a" })).rejects.toMatchObject({
      code: "instance.not_found",
    });
  });

  it("re-runs a failed step of an errored instance and completes", async () => {
    const c = counters();
    const rig = await rigs.open(async (_event, step) => {
      const a = await step.do("a", async () => c.next("a"));
      const b = await step.do("b", async () => {
        const value = c.next("b");
        if (value === "b1") throw new NonRetryableError("first run fails");
        return value;
      });
      return [a, b];
    });
    const instance = await rig.create();
    await waitForStatus(instance, "errored");
    await instance.restart({ from: { name: "b" } });
    expect(await waitForStatus(instance, "complete")).toEqual({ status: "complete", output: ["a1", "b2"] });
  });

  it("stops a running instance and runs it again from the target", async () => {
    const c = counters();
    const rig = await rigs.open(async (_event, step) => {
      const a = await step.do("a", async () => c.next("a"));
      const b = await step.do("b", async () => {
        const value = c.next("b");
        // The first run's "b" never finishes.
        if (value === "b1") await new Promise(() => {});
        return value;
      });
      return [a, b];
    });
    const instance = await rig.create();
    await waitUntil(
      () => c.of("b"),
      (n) => n === 1,
      { what: 'step "b" to start' },
    );
    await instance.restart({ from: { name: "a" } });
    expect(await waitForStatus(instance, "complete")).toEqual({ status: "complete", output: ["a2", "b2"] });
  });

  it("delivers again the event that an erased wait had taken", async () => {
    const rig = await rigs.open(async (_event, step: WorkflowStep) => {
      const first = await step.waitForEvent<number>("w", { type: "go", timeout: "1 hour" });
      return first.payload;
    });
    const instance = await rig.create();
    await instance.sendEvent({ type: "go", payload: 1 });
    expect(await waitForStatus(instance, "complete")).toEqual({ status: "complete", output: 1 });
    await instance.restart({ from: { name: "w", type: "waitForEvent" } });
    // No new event was sent: the wait takes the same one again.
    expect(await waitForStatus(instance, "complete")).toEqual({ status: "complete", output: 1 });
    expect(ofType(await rig.log(), "EVENT_SENT")).toHaveLength(1);
  });

  it("restarts a terminated or a paused instance from a step", async () => {
    const c = counters();
    const rig = await rigs.open(async (_event, step) => {
      const a = await step.do("a", async () => c.next("a"));
      const e = await step.waitForEvent<string>("approval", { type: "approve", timeout: "1 hour" });
      return [a, e.payload];
    });
    const instance = await rig.create();
    await waitForStatus(instance, "waiting");
    await instance.terminate();
    await instance.restart({ from: { name: "approval", type: "waitForEvent" } });
    await waitForStatus(instance, "waiting");
    await instance.pause();
    await waitForStatus(instance, "paused");
    await instance.restart({ from: { name: "a" } });
    await waitForStatus(instance, "waiting");
    await instance.sendEvent({ type: "approve", payload: "yes" });
    expect(await waitForStatus(instance, "complete")).toEqual({ status: "complete", output: ["a2", "yes"] });
  });
});
