// Sleeps on a FakeClock: a long sleep (and a long retry delay) reports `waiting` and ends only
// once the clock passes its wake time; the sleep's key is its name and occurrence, not its
// duration, so editing a duration in code does not redo a finished sleep; `sleepUntil` a past
// time completes at once, so a replay that runs late does not fail the workflow.

import {
  FakeClock,
  WorkflowEntrypoint,
  type WorkflowEvent,
  type WorkflowSleepDuration,
  type WorkflowStep,
} from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";
import { describe, expect, it } from "vitest";
import { gates } from "../helpers/lifecycle-gates.js";
import { countOf, logTypes, useLifecycleHarness, waitForLog } from "../helpers/lifecycle-harness.js";

const HOUR = 3_600_000;
const MINUTE = 60_000;

class HourNap extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    await step.sleep("x", "1 hour");
    return "rested";
  }
}

/** The sleep's duration comes from code that a test changes between two opens. */
let napDuration: WorkflowSleepDuration = "1 hour";
class Tunable extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    await step.sleep("nap", napDuration);
    const go = await step.waitForEvent<string>("go", { type: "go" });
    return go.payload;
  }
}

class Until extends WorkflowEntrypoint<unknown, { at: number; asDate: boolean }> {
  async run(event: WorkflowEvent<{ at: number; asDate: boolean }>, step: WorkflowStep) {
    const { at, asDate } = event.payload;
    await step.sleepUntil("until", asDate ? new Date(at) : at);
    return "woke";
  }
}

/** The same sleep name twice: two sleeps, one after the other. */
class Twice extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    await step.sleep("tick", "1 minute");
    await step.sleep("tick", "1 minute");
    return "two";
  }
}

/** Fails its first attempt, then waits one hour before the retry. */
class SlowRetry extends WorkflowEntrypoint {
  async run(event: WorkflowEvent<unknown>, step: WorkflowStep) {
    return step.do("flaky", { retries: { limit: 1, delay: "1 hour" } }, async () => {
      gates.mark(event.instanceId);
      if (gates.marks(event.instanceId) === 1) throw new Error("first try fails");
      return "second try";
    });
  }
}

const workflows = {
  HOUR: { name: "hour-nap", class: HourNap },
  TUNABLE: { name: "tunable", class: Tunable },
  UNTIL: { name: "until", class: Until },
  TWICE: { name: "twice", class: Twice },
  RETRY: { name: "slow-retry", class: SlowRetry },
};

describe("sleep", () => {
  const h = useLifecycleHarness();

  it("reports `waiting` during a long sleep and ends only after the clock passes it", async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const cairn = await h.open({ workflows, clock });
    const instance = await cairn.env.HOUR.create({ id: "hour" });
    expect(await waitForStatus(instance, "waiting")).toEqual({ status: "waiting" });
    expect(await cairn.engine.get("hour-nap", "hour")).toMatchObject({
      status: "waiting",
      wakeAt: start + HOUR,
    });

    clock.advance(59 * MINUTE);
    expect(await instance.status()).toEqual({ status: "waiting" });
    expect(await logTypes(cairn, "hour-nap", "hour")).not.toContain("SLEEP_COMPLETE");

    clock.advance(MINUTE);
    expect(await waitForStatus(instance, "complete")).toEqual({ status: "complete", output: "rested" });
    const log = await cairn.engine.readLog("hour-nap", "hour");
    expect(log.find((e) => e.type === "SLEEP_COMPLETE")?.at).toBe(start + HOUR);
  });

  it("does not redo a finished sleep after its duration changed in code: the key is name and occurrence", async () => {
    napDuration = "1 hour";
    const clock = new FakeClock();
    const first = await h.open({ workflows, clock });
    const instance = await first.env.TUNABLE.create({ id: "tuned" });
    await waitForStatus(instance, "waiting");
    clock.advance(HOUR);
    await waitForLog(first, "tunable", "tuned", (t) => t.includes("WAIT_START"), "the wait after the sleep");
    await waitForStatus(instance, "waiting");
    await first.close();

    napDuration = "2 hours";
    const second = await h.open({ workflows, clock: new FakeClock(clock.now()), dbPath: first.dbPath });
    const again = await second.env.TUNABLE.get("tuned");
    await again.sendEvent({ type: "go", payload: "no second nap" });
    expect(await waitForStatus(again, "complete")).toEqual({ status: "complete", output: "no second nap" });
    expect(countOf(await logTypes(second, "tunable", "tuned"), "SLEEP_START")).toBe(1);
  });

  it("keeps the wake time of a sleep in progress when the duration changes in code", async () => {
    napDuration = "1 hour";
    const clock = new FakeClock();
    const first = await h.open({ workflows, clock });
    const instance = await first.env.TUNABLE.create({ id: "in-progress" });
    await waitForStatus(instance, "waiting");
    await first.close();

    napDuration = "5 hours";
    const later = new FakeClock(clock.now());
    const second = await h.open({ workflows, clock: later, dbPath: first.dbPath });
    later.advance(HOUR);
    await waitForLog(second, "tunable", "in-progress", (t) => t.includes("WAIT_START"), "the sleep to end");
    const log = await logTypes(second, "tunable", "in-progress");
    expect(countOf(log, "SLEEP_START")).toBe(1);
    expect(countOf(log, "SLEEP_COMPLETE")).toBe(1);
  });

  it("completes sleepUntil a past time at once, given a Date or a number, so a late replay does not fail", async () => {
    const clock = new FakeClock();
    const cairn = await h.open({ workflows, clock });
    const past = clock.now() - 5 * MINUTE;
    const asDate = await cairn.env.UNTIL.create({ id: "past-date", params: { at: past, asDate: true } });
    const asNumber = await cairn.env.UNTIL.create({ id: "past-number", params: { at: past, asDate: false } });
    // The clock never moves in this test, so only an immediate completion can finish these.
    expect(await waitForStatus(asDate, "complete")).toEqual({ status: "complete", output: "woke" });
    expect(await waitForStatus(asNumber, "complete")).toEqual({ status: "complete", output: "woke" });
    for (const id of ["past-date", "past-number"]) {
      const log = await logTypes(cairn, "until", id);
      expect(countOf(log, "SLEEP_START")).toBe(1);
      expect(countOf(log, "SLEEP_COMPLETE")).toBe(1);
      expect(log).not.toContain("WORKFLOW_WAITING");
    }
  });

  it("wakes sleepUntil at its target time", async () => {
    const clock = new FakeClock();
    const target = clock.now() + 2 * HOUR;
    const cairn = await h.open({ workflows, clock });
    const instance = await cairn.env.UNTIL.create({ id: "future", params: { at: target, asDate: true } });
    await waitForStatus(instance, "waiting");
    expect(await cairn.engine.get("until", "future")).toMatchObject({ wakeAt: target });
    clock.advance(2 * HOUR - 1);
    expect(await instance.status()).toEqual({ status: "waiting" });
    clock.advance(1);
    expect(await waitForStatus(instance, "complete")).toEqual({ status: "complete", output: "woke" });
  });

  it("treats two sleeps with the same name as two sleeps", async () => {
    const clock = new FakeClock();
    const cairn = await h.open({ workflows, clock });
    const instance = await cairn.env.TWICE.create({ id: "twice" });
    await waitForStatus(instance, "waiting");
    clock.advance(MINUTE);
    await waitForLog(cairn, "twice", "twice", (t) => countOf(t, "SLEEP_START") === 2, "the second sleep");
    await waitForStatus(instance, "waiting");
    clock.advance(MINUTE);
    expect(await waitForStatus(instance, "complete")).toEqual({ status: "complete", output: "two" });
    const journal = await cairn.engine.readJournal("twice", "twice");
    expect(journal.filter((r) => r.kind === "sleep").map((r) => r.count)).toEqual([1, 2]);
  });

  it("reports `waiting` during a long retry delay too", async () => {
    const clock = new FakeClock();
    const cairn = await h.open({ workflows, clock, maxRunning: 1 });
    const instance = await cairn.env.RETRY.create({ id: "retry" });
    expect(await waitForStatus(instance, "waiting")).toEqual({ status: "waiting" });
    await waitUntil(
      () => cairn.engine.freeSlots().total,
      (free) => free === 1,
      { what: "the retrying instance to leave memory" },
    );
    const failure = (await cairn.engine.readLog("slow-retry", "retry")).find(
      (e) => e.type === "ATTEMPT_FAILURE",
    );
    expect(failure?.data).toMatchObject({ retryDelayMs: HOUR });
    clock.advance(HOUR);
    expect(await waitForStatus(instance, "complete")).toEqual({ status: "complete", output: "second try" });
  });
});
