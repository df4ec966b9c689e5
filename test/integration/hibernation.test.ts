// Hibernation and re-opening: a sleeping or waiting instance is only a row on disk (no live
// activation, no slot), and closing and re-opening Cairn on the same file keeps each instance's
// status, output, error and event log, then carries on from there. Sleeping instances report
// `waiting` and hold no memory, so idle instances cost nothing but their rows.

import {
  FakeClock,
  NonRetryableError,
  WorkflowEntrypoint,
  type WorkflowEvent,
  type WorkflowStep,
} from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";
import { describe, expect, it } from "vitest";
import { gates } from "../helpers/lifecycle-gates.js";
import { countOf, logTypes, useLifecycleHarness } from "../helpers/lifecycle-harness.js";

const HOUR = 3_600_000;

class Napper extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    const before = await step.do("before", async () => "before");
    await step.sleep("nap", "1 hour");
    return [before, await step.do("after", async () => "after")];
  }
}

/** Completes or fails at once, by params. */
class Settled extends WorkflowEntrypoint<unknown, { fail: boolean }> {
  async run(event: WorkflowEvent<{ fail: boolean }>, step: WorkflowStep) {
    return step.do("only", async () => {
      if (event.payload.fail) throw new NonRetryableError("kept on disk");
      return { kept: new Date(5) };
    });
  }
}

/** A step in flight when the process goes away; it may be retried at once. */
class InFlight extends WorkflowEntrypoint {
  async run(event: WorkflowEvent<unknown>, step: WorkflowStep) {
    return step.do("work", { retries: { limit: 1, delay: 0 } }, async () => {
      await gates.get(event.instanceId).wait();
      return "worked";
    });
  }
}

const workflows = {
  NAPPER: { name: "napper", class: Napper },
  SETTLED: { name: "settled", class: Settled },
  INFLIGHT: { name: "in-flight", class: InFlight },
};

describe("hibernation and re-opening", () => {
  const h = useLifecycleHarness();

  it("keeps no live activation for sleeping instances, so they hold no slot", async () => {
    const clock = new FakeClock();
    const cairn = await h.open({ workflows, clock, maxRunning: 2 });
    const nappers = [];
    for (let i = 0; i < 5; i++) nappers.push(await cairn.env.NAPPER.create({ id: `nap-${i}` }));
    // Five instances get through two slots because each gives its slot up when it sleeps.
    for (const n of nappers) expect(await waitForStatus(n, "waiting")).toEqual({ status: "waiting" });
    await waitUntil(
      () => cairn.engine.freeSlots().total,
      (free) => free === 2,
      { what: "every sleeping instance to leave memory" },
    );
    clock.advance(HOUR);
    for (const n of nappers) {
      expect(await waitForStatus(n, "complete")).toEqual({ status: "complete", output: ["before", "after"] });
    }
  });

  it("re-opens a sleeping instance with its status and log intact, then wakes it", async () => {
    const clock = new FakeClock();
    const first = await h.open({ workflows, clock });
    const instance = await first.env.NAPPER.create({ id: "reopen-sleep" });
    await waitForStatus(instance, "waiting");
    const logBefore = await first.engine.readLog("napper", "reopen-sleep");
    const journalBefore = await first.engine.readJournal("napper", "reopen-sleep");
    await first.close();

    const resumedClock = new FakeClock(clock.now());
    const second = await h.open({ workflows, clock: resumedClock, dbPath: first.dbPath });
    const again = await second.env.NAPPER.get("reopen-sleep");
    expect(await again.status()).toEqual({ status: "waiting" });
    expect(await second.engine.readLog("napper", "reopen-sleep")).toEqual(logBefore);
    expect(await second.engine.readJournal("napper", "reopen-sleep")).toEqual(journalBefore);
    expect(logBefore.map((e) => e.type)).toEqual(
      expect.arrayContaining(["WORKFLOW_QUEUED", "WORKFLOW_START", "STEP_SUCCESS", "SLEEP_START"]),
    );

    resumedClock.advance(HOUR);
    expect(await waitForStatus(again, "complete")).toEqual({
      status: "complete",
      output: ["before", "after"],
    });
    const logAfter = await second.engine.readLog("napper", "reopen-sleep");
    expect(logAfter.slice(0, logBefore.length)).toEqual(logBefore);
    expect(logAfter.at(-1)?.type).toBe("WORKFLOW_SUCCESS");
  });

  it("wakes a sleeper whose time passed while Cairn was closed, replaying its finished steps", async () => {
    const clock = new FakeClock();
    const first = await h.open({ workflows, clock });
    const instance = await first.env.NAPPER.create({ id: "overslept" });
    await waitForStatus(instance, "waiting");
    await first.close();

    const later = new FakeClock(clock.now() + 2 * HOUR);
    const second = await h.open({ workflows, clock: later, dbPath: first.dbPath });
    const again = await second.env.NAPPER.get("overslept");
    expect(await waitForStatus(again, "complete")).toEqual({
      status: "complete",
      output: ["before", "after"],
    });
    const log = await logTypes(second, "napper", "overslept");
    // "before" ran once, in the first process; the replay took it from the journal.
    expect(countOf(log, "STEP_START")).toBe(2);
    expect(countOf(log, "SLEEP_COMPLETE")).toBe(1);
    expect(countOf(log, "WORKFLOW_START")).toBe(1);
  });

  it("re-opens finished instances with their output, error and log", async () => {
    const first = await h.open({ workflows });
    const ok = await first.env.SETTLED.create({ id: "ok", params: { fail: false } });
    const bad = await first.env.SETTLED.create({ id: "bad", params: { fail: true } });
    await waitForStatus(ok, "complete");
    await waitForStatus(bad, "errored");
    const logs = {
      ok: await first.engine.readLog("settled", "ok"),
      bad: await first.engine.readLog("settled", "bad"),
    };
    await first.close();

    const second = await h.open({ workflows, dbPath: first.dbPath });
    expect(await (await second.env.SETTLED.get("ok")).status()).toEqual({
      status: "complete",
      output: { kept: new Date(5) },
    });
    expect(await (await second.env.SETTLED.get("bad")).status()).toEqual({
      status: "errored",
      error: { name: "NonRetryableError", message: "kept on disk" },
    });
    expect(await second.engine.readLog("settled", "ok")).toEqual(logs.ok);
    expect(await second.engine.readLog("settled", "bad")).toEqual(logs.bad);
  });

  it("re-opens an instance that was running as running and finishes it, log kept, its cut-short attempt counted as failed", async () => {
    const first = await h.open({ workflows, shutdownGraceMs: 0 });
    await first.env.INFLIGHT.create({ id: "interrupted" });
    await gates.get("interrupted").reached();
    const logBefore = await first.engine.readLog("in-flight", "interrupted");
    await first.close();

    const second = await h.open({ workflows, dbPath: first.dbPath });
    const again = await second.env.INFLIGHT.get("interrupted");
    // The new process picks the instance up again: its step is attempted a second time.
    await gates.get("interrupted").reached(2);
    expect(await again.status()).toEqual({ status: "running" });
    gates.get("interrupted").open();
    expect(await waitForStatus(again, "complete")).toEqual({ status: "complete", output: "worked" });

    const logAfter = await second.engine.readLog("in-flight", "interrupted");
    expect(logAfter.slice(0, logBefore.length)).toEqual(logBefore);
    const types = logAfter.map((e) => e.type);
    expect(countOf(types, "ATTEMPT_START")).toBe(2);
    expect(countOf(types, "ATTEMPT_FAILURE")).toBe(1);
    expect(types.at(-1)).toBe("WORKFLOW_SUCCESS");
  });
});
