// Cron `schedules` of a workflow definition (no compatibility flag needed): on a FakeClock, an
// instance is created at each matching time with `event.schedule` and the id
// "<cron>-<scheduledTime>"; the first start does not fire for past times; firings missed while
// Cairn was closed are created once at the next open, not once per missed minute; an invalid cron
// expression makes `Cairn.open` throw `workflow.invalid_definition`.

import {
  type Cairn,
  FakeClock,
  type WorkflowDefinitionInput,
  WorkflowEntrypoint,
  type WorkflowEvent,
  type WorkflowStep,
} from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";
import { describe, expect, it } from "vitest";
import { expectCode, useLifecycleHarness } from "../helpers/lifecycle-harness.js";

const MINUTE = 60_000;
/** Midnight, 2026-01-01 UTC: every "* * * * *" firing is BASE + n minutes. */
const BASE = Date.UTC(2026, 0, 1);

/** A FakeClock that remembers the times timers were armed for, so a test knows a firing is armed. */
class WatchedClock extends FakeClock {
  readonly armed: number[] = [];

  override setTimer(at: number, callback: () => void) {
    this.armed.push(at);
    return super.setTimer(at, callback);
  }

  /** Waits until `times` timers were armed for `at` (cron firings: nothing else in these tests uses such times). */
  async armedFor(at: number, times = 1): Promise<void> {
    await waitUntil(
      () => this.armed.filter((t) => t === at).length,
      (n) => n >= times,
      { what: `${times} timer(s) armed for ${new Date(at).toISOString()}` },
    );
  }
}

/** Returns what it saw of its event. */
class Ticker extends WorkflowEntrypoint {
  async run(event: WorkflowEvent<unknown>, step: WorkflowStep) {
    return step.do("tick", async () => ({
      schedule: event.schedule,
      payload: event.payload,
      instanceId: event.instanceId,
      workflowName: event.workflowName,
      timestamp: event.timestamp.getTime(),
    }));
  }
}

const idOf = (cron: string, at: number) => `${cron}-${at}`;

async function instanceIds(cairn: Cairn<any>): Promise<string[]> {
  const page = await cairn.engine.store.listInstances({ workflow: "ticker", limit: 100, order: "asc" });
  return page.items.map((r) => r.id);
}

describe("cron schedules", () => {
  const h = useLifecycleHarness();
  const open = (clock: FakeClock, schedules: unknown, dbPath?: string) =>
    h.open({
      workflows: { TICKER: { name: "ticker", class: Ticker, schedules } as WorkflowDefinitionInput },
      clock,
      // Far from any firing time, so that every armed minute belongs to a schedule.
      sweepIntervalMs: 7 * 3_600_000 + 1,
      ...(dbPath ? { dbPath } : {}),
    });

  it("creates an instance at each matching time, with event.schedule and the cron id", async () => {
    const clock = new WatchedClock(BASE + 30_000);
    const cairn = await open(clock, ["* * * * *", "*/2 * * * *"]);
    await clock.armedFor(BASE + MINUTE);
    await clock.armedFor(BASE + 2 * MINUTE);
    // The first start records the latest past time (midnight) without firing it.
    expect(await instanceIds(cairn)).toEqual([]);
    expect(await cairn.engine.store.scheduleMark("ticker", "* * * * *")).toBe(BASE);

    clock.set(BASE + MINUTE);
    const first = idOf("* * * * *", BASE + MINUTE);
    const one = await waitUntil(
      () => cairn.env.TICKER.get(first).catch(() => undefined),
      (i) => i !== undefined,
      { what: "the first cron instance" },
    );
    expect((await waitForStatus(one!, "complete")).output).toEqual({
      schedule: { cron: "* * * * *", scheduledTime: BASE + MINUTE },
      payload: {},
      instanceId: first,
      workflowName: "ticker",
      timestamp: BASE + MINUTE,
    });
    expect((await cairn.engine.store.getInstance("ticker", first))?.trigger).toBe("cron");

    // Each schedule re-armed: "* * * * *" for the next minute, beside "*/2 * * * *".
    await clock.armedFor(BASE + 2 * MINUTE, 2);
    clock.set(BASE + 2 * MINUTE);
    const both = [idOf("* * * * *", BASE + 2 * MINUTE), idOf("*/2 * * * *", BASE + 2 * MINUTE)];
    for (const id of both) {
      const instance = await waitUntil(
        () => cairn.env.TICKER.get(id).catch(() => undefined),
        (i) => i !== undefined,
        { what: `instance ${id}` },
      );
      const { output } = await waitForStatus(instance!, "complete");
      expect((output as { schedule: unknown }).schedule).toEqual({
        cron: id.slice(0, id.lastIndexOf("-")),
        scheduledTime: BASE + 2 * MINUTE,
      });
    }
    expect((await instanceIds(cairn)).sort()).toEqual([first, ...both].sort());

    // A cron id is an addressable id: get and delete work on it.
    await (await cairn.env.TICKER.get(first)).delete();
    await expectCode(cairn.env.TICKER.get(first), "instance.not_found");
  });

  it("creates a firing missed while Cairn was closed once at the next open, not once per minute", async () => {
    const clock = new WatchedClock(BASE + 30_000);
    const cairn = await open(clock, ["* * * * *"]);
    await clock.armedFor(BASE + MINUTE);
    await cairn.close();

    clock.set(BASE + 5 * MINUTE + 30_000);
    const reopened = await open(clock, ["* * * * *"], cairn.dbPath);
    // Armed for the next minute only after the catch-up.
    await clock.armedFor(BASE + 6 * MINUTE);
    const missed = idOf("* * * * *", BASE + 5 * MINUTE);
    expect(await instanceIds(reopened)).toEqual([missed]);
    const { output } = await waitForStatus(await reopened.env.TICKER.get(missed), "complete");
    expect(output).toMatchObject({
      schedule: { cron: "* * * * *", scheduledTime: BASE + 5 * MINUTE },
      timestamp: BASE + 5 * MINUTE + 30_000,
    });

    // Opening again in the same minute fires nothing more.
    await reopened.close();
    const again = await open(clock, ["* * * * *"], cairn.dbPath);
    await clock.armedFor(BASE + 6 * MINUTE, 2);
    expect(await instanceIds(again)).toEqual([missed]);
  });

  it("fires a matching time that is exactly the time of opening", async () => {
    const clock = new WatchedClock(BASE + 30_000);
    const cairn = await open(clock, ["* * * * *"]);
    await clock.armedFor(BASE + MINUTE);
    await cairn.close();
    clock.set(BASE + 3 * MINUTE);
    const reopened = await open(clock, ["* * * * *"], cairn.dbPath);
    await clock.armedFor(BASE + 4 * MINUTE);
    expect(await instanceIds(reopened)).toEqual([idOf("* * * * *", BASE + 3 * MINUTE)]);
  });

  it("fires a matching time that passes while the schedule is being set up at open", async () => {
    const clock = new WatchedClock(BASE + MINUTE - 1);
    const cairn = await open(clock, ["* * * * *"]);
    // The start-up catch-up read the time before this; the minute passes before it is armed.
    clock.set(BASE + MINUTE + 500);
    await waitUntil(
      () => instanceIds(cairn),
      (ids) => ids.length > 0,
      { what: "the firing of the first minute" },
    );
    expect(await instanceIds(cairn)).toEqual([idOf("* * * * *", BASE + MINUTE)]);
  });

  it.each([
    ["a malformed expression", ["not a cron"]],
    ["too few fields", ["* * *"]],
    ["a minute out of range", ["61 * * * *"]],
    ["an empty expression", [""]],
    ["an expression over 256 characters", [`${"0,".repeat(128)}0 * * * *`]],
    ["a string instead of an array", "* * * * *"],
    ["a number in the array", [5]],
  ])("rejects %s at open with workflow.invalid_definition", async (_label, schedules) => {
    await expectCode(open(new FakeClock(BASE), schedules), "workflow.invalid_definition");
  });
});
