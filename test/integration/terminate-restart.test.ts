// Terminate and restart through the binding: terminate stops an instance in any non-finished
// state and throws on a finished one; restart erases the journal, log and inbox and runs the
// instance again from the top with its original params, from every state.

import { NonRetryableError, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus } from "cairn/testing";
import { describe, expect, it } from "vitest";
import { gates } from "../helpers/lifecycle-gates.js";
import { countOf, expectCode, logTypes, useLifecycleHarness } from "../helpers/lifecycle-harness.js";

type Params = { failOnce?: boolean; tag?: string };

/**
 * "a" blocks on the instance's gate and returns how many times it has been called; "b" fails
 * once when asked to. A re-run shows as a higher count for "a".
 */
class Restartable extends WorkflowEntrypoint<unknown, Params> {
  async run(event: WorkflowEvent<Params>, step: WorkflowStep) {
    const id = event.instanceId;
    const a = await step.do("a", async () => {
      gates.mark(`${id}:a`);
      await gates.get(id).wait();
      return gates.marks(`${id}:a`);
    });
    const b = await step.do("b", async () => {
      gates.mark(`${id}:b`);
      if (event.payload.failOnce && gates.marks(`${id}:b`) === 1)
        throw new NonRetryableError("first run fails");
      return "b";
    });
    return { a, b, tag: event.payload.tag ?? null };
  }
}

class Waiter extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    return (await step.waitForEvent("never", { type: "never" })).payload;
  }
}

const workflows = {
  RESTARTABLE: { name: "restartable", class: Restartable },
  WAITER: { name: "waiter", class: Waiter },
};

/** The log of a freshly restarted run that completed: one start, two steps, one success. */
async function expectFreshRun(cairn: Parameters<typeof logTypes>[0], id: string) {
  const log = await logTypes(cairn, "restartable", id);
  expect(log.slice(0, 3)).toEqual(["WORKFLOW_RESTARTED", "WORKFLOW_QUEUED", "WORKFLOW_START"]);
  expect(countOf(log, "WORKFLOW_START")).toBe(1);
  expect(countOf(log, "STEP_START")).toBe(2);
  expect(countOf(log, "STEP_SUCCESS")).toBe(2);
  expect(log.at(-1)).toBe("WORKFLOW_SUCCESS");
  expect(log).not.toContain("WORKFLOW_TERMINATED");
  expect(log).not.toContain("WORKFLOW_FAILURE");
}

describe("terminate", () => {
  const h = useLifecycleHarness();

  it("stops a running instance at once; its in-flight step records nothing", async () => {
    const cairn = await h.open({ workflows });
    const instance = await cairn.env.RESTARTABLE.create({ id: "t-running" });
    await gates.get("t-running").reached();
    await instance.terminate();
    expect(await instance.status()).toEqual({ status: "terminated" });

    gates.get("t-running").open();
    // Another instance's full run goes through the same writer after the old attempt's write.
    gates.get("witness").open();
    await waitForStatus(await cairn.env.RESTARTABLE.create({ id: "witness" }), "complete");
    const log = await logTypes(cairn, "restartable", "t-running");
    expect(log.at(-1)).toBe("WORKFLOW_TERMINATED");
    expect(log).not.toContain("STEP_SUCCESS");
    expect(gates.marks("t-running:b")).toBe(0);
    expect(await instance.status()).toEqual({ status: "terminated" });
  });

  it("terminates waiting, queued and paused instances", async () => {
    const cairn = await h.open({ workflows, maxRunning: 1 });
    const waiting = await cairn.env.WAITER.create({ id: "t-waiting" });
    await waitForStatus(waiting, "waiting");
    await waiting.terminate();
    expect(await waiting.status()).toEqual({ status: "terminated" });
    await expectCode(waiting.sendEvent({ type: "never", payload: 1 }), "instance.not_running");

    const holder = await cairn.env.RESTARTABLE.create({ id: "t-holder" });
    await gates.get("t-holder").reached();
    const queued = await cairn.env.RESTARTABLE.create({ id: "t-queued" });
    const paused = await cairn.env.RESTARTABLE.create({ id: "t-paused" });
    await paused.pause();
    expect(await paused.status()).toEqual({ status: "paused" });
    await queued.terminate();
    await paused.terminate();
    expect(await queued.status()).toEqual({ status: "terminated" });
    expect(await paused.status()).toEqual({ status: "terminated" });

    // Once the slot frees, neither runs: a later instance gets it.
    gates.get("t-holder").open();
    gates.get("t-after").open();
    await waitForStatus(holder, "complete");
    await waitForStatus(await cairn.env.RESTARTABLE.create({ id: "t-after" }), "complete");
    expect(gates.marks("t-queued:a")).toBe(0);
    expect(gates.marks("t-paused:a")).toBe(0);
    await paused.resume();
    expect(await paused.status()).toEqual({ status: "terminated" });
  });

  it("throws instance.cannot_terminate on complete, errored and terminated instances", async () => {
    const cairn = await h.open({ workflows });
    gates.get("t-complete").open();
    const complete = await cairn.env.RESTARTABLE.create({ id: "t-complete" });
    await waitForStatus(complete, "complete");
    gates.get("t-errored").open();
    const errored = await cairn.env.RESTARTABLE.create({ id: "t-errored", params: { failOnce: true } });
    await waitForStatus(errored, "errored");
    const terminated = await cairn.env.WAITER.create({ id: "t-terminated" });
    await terminated.terminate();

    for (const instance of [complete, errored, terminated]) {
      const before = await instance.status();
      await expectCode(instance.terminate(), "instance.cannot_terminate");
      expect(await instance.status()).toEqual(before);
    }
  });
});

describe("restart", () => {
  const h = useLifecycleHarness();

  it("re-runs a complete instance from the top with the same params", async () => {
    const cairn = await h.open({ workflows });
    gates.get("r-complete").open();
    const instance = await cairn.env.RESTARTABLE.create({ id: "r-complete", params: { tag: "same" } });
    expect(await waitForStatus(instance, "complete")).toEqual({
      status: "complete",
      output: { a: 1, b: "b", tag: "same" },
    });
    await instance.restart();
    expect(await waitForStatus(instance, "complete")).toEqual({
      status: "complete",
      output: { a: 2, b: "b", tag: "same" },
    });
    await expectFreshRun(cairn, "r-complete");
  });

  it("re-runs an errored instance", async () => {
    const cairn = await h.open({ workflows });
    gates.get("r-errored").open();
    const instance = await cairn.env.RESTARTABLE.create({ id: "r-errored", params: { failOnce: true } });
    expect(await waitForStatus(instance, "errored")).toEqual({
      status: "errored",
      error: { name: "NonRetryableError", message: "first run fails" },
    });
    await instance.restart();
    expect(await waitForStatus(instance, "complete")).toMatchObject({ output: { a: 2, b: "b" } });
    await expectFreshRun(cairn, "r-errored");
  });

  it("re-runs a terminated instance", async () => {
    const cairn = await h.open({ workflows });
    const instance = await cairn.env.RESTARTABLE.create({ id: "r-terminated" });
    await gates.get("r-terminated").reached();
    await instance.terminate();
    gates.get("r-terminated").open();
    await instance.restart();
    expect(await waitForStatus(instance, "complete")).toMatchObject({ output: { a: 2, b: "b" } });
    await expectFreshRun(cairn, "r-terminated");
  });

  it("re-runs a running instance, dropping its in-flight attempt", async () => {
    const cairn = await h.open({ workflows });
    const instance = await cairn.env.RESTARTABLE.create({ id: "r-running" });
    await gates.get("r-running").reached();
    await instance.restart();
    // The new run calls "a" again; the old attempt's result is never recorded.
    await gates.get("r-running").reached(2);
    gates.get("r-running").open();
    expect(await waitForStatus(instance, "complete")).toMatchObject({ output: { a: 2, b: "b" } });
    await expectFreshRun(cairn, "r-running");
    const journal = await cairn.engine.readJournal("restartable", "r-running");
    expect(journal.find((r) => r.name === "a")).toMatchObject({ status: "succeeded", attempts: 1 });
  });

  it("re-runs a paused instance", async () => {
    const cairn = await h.open({ workflows });
    const instance = await cairn.env.RESTARTABLE.create({ id: "r-paused" });
    await gates.get("r-paused").reached();
    await instance.pause();
    gates.get("r-paused").open();
    await waitForStatus(instance, "paused");
    await instance.restart();
    expect(await waitForStatus(instance, "complete")).toMatchObject({ output: { a: 2, b: "b" } });
    await expectFreshRun(cairn, "r-paused");
  });

  it("clears buffered events on restart", async () => {
    const cairn = await h.open({ workflows });
    const instance = await cairn.env.WAITER.create({ id: "r-events" });
    await waitForStatus(instance, "waiting");
    await instance.pause();
    await instance.sendEvent({ type: "never", payload: "old" });
    await instance.restart();
    await waitForStatus(instance, "waiting");
    await instance.sendEvent({ type: "never", payload: "new" });
    expect(await waitForStatus(instance, "complete")).toEqual({ status: "complete", output: "new" });
  });
});
