// `sendEvent` and `waitForEvent` end to end through the binding: delivery to a live or a
// hibernated instance, across a close and re-open of the store, FIFO buffering per type, timed-out
// waits that must not swallow later events, and the 24-hour default timeout. `sendEvent` is
// accepted until the instance finishes (the event is buffered per type until a wait takes it) and
// throws `instance.not_running` afterwards, when no wait could ever take it.

import { FakeClock, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";
import { describe, expect, it } from "vitest";
import { gates } from "../helpers/lifecycle-gates.js";
import {
  countOf,
  expectCode,
  type LogType,
  useLifecycleHarness,
  waitForLog,
} from "../helpers/lifecycle-harness.js";

const HOUR = 3_600_000;

/** One wait for "approve"; returns what it received. */
class Approval extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    const got = await step.waitForEvent<{ by: string }>("approval", { type: "approve" });
    return { payload: got.payload, type: got.type, timestampIsDate: got.timestamp instanceof Date };
  }
}

/** A wait that runs beside a step still in flight, so the activation stays live. */
class LiveWait extends WorkflowEntrypoint {
  async run(event: WorkflowEvent<unknown>, step: WorkflowStep) {
    const [got] = await Promise.all([
      step.waitForEvent<string>("signal", { type: "signal" }),
      step.do("busy", async () => gates.get(event.instanceId).wait()),
    ]);
    return got.payload;
  }
}

/** Optionally blocks on a gate first (so events arrive before the waits), then takes three "tick"s. */
class Ticks extends WorkflowEntrypoint<unknown, { gated: boolean }> {
  async run(event: WorkflowEvent<{ gated: boolean }>, step: WorkflowStep) {
    if (event.payload.gated) await step.do("first", async () => gates.get(event.instanceId).wait());
    const out: unknown[] = [];
    for (let i = 0; i < 3; i++) out.push((await step.waitForEvent("tick", { type: "tick" })).payload);
    return out;
  }
}

/** Three waits for "ping"; the second has a short timeout and its failure is caught. */
class PingPing extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    const first = await step.waitForEvent<string>("first", { type: "ping", timeout: "1 hour" });
    let second: string;
    try {
      second = (await step.waitForEvent<string>("second", { type: "ping", timeout: "1 hour" })).payload;
    } catch (error) {
      second = `timed out: ${(error as Error).name}`;
    }
    const third = await step.waitForEvent<string>("third", { type: "ping", timeout: "1 hour" });
    return [first.payload, second, third.payload];
  }
}

/** A step gated by the test, then done: used to send events in every non-finished state. */
class Gated extends WorkflowEntrypoint {
  async run(event: WorkflowEvent<unknown>, step: WorkflowStep) {
    await step.do("work", async () => gates.get(event.instanceId).wait());
    return (await step.waitForEvent<number>("late", { type: "late" })).payload;
  }
}

const workflows = {
  APPROVAL: { name: "approval", class: Approval },
  LIVE: { name: "live", class: LiveWait },
  TICKS: { name: "ticks", class: Ticks },
  PING: { name: "ping", class: PingPing },
  GATED: { name: "gated", class: Gated },
};

describe("events", () => {
  const h = useLifecycleHarness();

  it("delivers an event to a wait while the activation is live", async () => {
    const cairn = await h.open({ workflows });
    const instance = await cairn.env.LIVE.create({ id: "live-1" });
    await gates.get("live-1").reached();
    await waitForLog(cairn, "live", "live-1", (t) => t.includes("WAIT_START"), "the wait to start");
    expect(await instance.status()).toEqual({ status: "running" });
    await instance.sendEvent({ type: "signal", payload: "hello" });
    await waitForLog(cairn, "live", "live-1", (t) => t.includes("WAIT_COMPLETE"), "the wait to complete");
    gates.get("live-1").open();
    expect(await waitForStatus(instance, "complete")).toEqual({ status: "complete", output: "hello" });
  });

  it("wakes a hibernated instance that holds no memory", async () => {
    const cairn = await h.open({ workflows, maxRunning: 3 });
    const instance = await cairn.env.APPROVAL.create({ id: "sleepy" });
    expect(await waitForStatus(instance, "waiting")).toEqual({ status: "waiting" });
    await waitUntil(
      () => cairn.engine.freeSlots().total,
      (free) => free === 3,
      { what: "the waiting instance to leave memory" },
    );
    await instance.sendEvent({ type: "approve", payload: { by: "alice" } });
    expect(await waitForStatus(instance, "complete")).toEqual({
      status: "complete",
      output: { payload: { by: "alice" }, type: "approve", timestampIsDate: true },
    });
    const log = await cairn.engine.readLog("approval", "sleepy");
    expect(
      countOf(
        log.map((e) => e.type),
        "WAIT_COMPLETE",
      ),
    ).toBe(1);
  });

  it("delivers an event sent after closing and re-opening Cairn on the same file", async () => {
    const first = await h.open({ workflows });
    const instance = await first.env.APPROVAL.create({ id: "across" });
    await waitForStatus(instance, "waiting");
    await first.close();

    const second = await h.open({ workflows, dbPath: first.dbPath });
    const again = await second.env.APPROVAL.get("across");
    expect(await again.status()).toEqual({ status: "waiting" });
    await again.sendEvent({ type: "approve", payload: { by: "bob" } });
    expect(await waitForStatus(again, "complete")).toMatchObject({
      status: "complete",
      output: { payload: { by: "bob" } },
    });
  });

  it("delivers an event buffered before a close once the store is re-opened", async () => {
    const first = await h.open({ workflows });
    const instance = await first.env.APPROVAL.create({ id: "buffered-across" });
    await waitForStatus(instance, "waiting");
    await instance.pause();
    await instance.sendEvent({ type: "approve", payload: { by: "carol" } });
    expect(await instance.status()).toEqual({ status: "paused" });
    await first.close();

    const second = await h.open({ workflows, dbPath: first.dbPath });
    const again = await second.env.APPROVAL.get("buffered-across");
    await again.resume();
    expect(await waitForStatus(again, "complete")).toMatchObject({ output: { payload: { by: "carol" } } });
  });

  it("delivers several sequential events of one type in FIFO order", async () => {
    const cairn = await h.open({ workflows });
    const instance = await cairn.env.TICKS.create({ params: { gated: false } });
    await waitForStatus(instance, "waiting");
    for (const n of [1, 2, 3]) await instance.sendEvent({ type: "tick", payload: n });
    expect(await waitForStatus(instance, "complete")).toEqual({ status: "complete", output: [1, 2, 3] });
  });

  it("buffers events sent before the wait and hands them out oldest first", async () => {
    const cairn = await h.open({ workflows });
    const instance = await cairn.env.TICKS.create({ id: "early", params: { gated: true } });
    await gates.get("early").reached();
    await instance.sendEvent({ type: "other", payload: "not for tick" });
    for (const n of ["a", "b", "c", "d"]) await instance.sendEvent({ type: "tick", payload: n });
    gates.get("early").open();
    expect(await waitForStatus(instance, "complete")).toEqual({
      status: "complete",
      output: ["a", "b", "c"],
    });
    const log = (await cairn.engine.readLog("ticks", "early")).map((e) => e.type);
    expect(countOf(log, "WAIT_COMPLETE")).toBe(3);
    expect(countOf(log, "EVENT_SENT")).toBe(5);
  });

  it("a timed-out wait does not swallow a later event of its type", async () => {
    const clock = new FakeClock();
    const cairn = await h.open({ workflows, clock });
    const instance = await cairn.env.PING.create({ id: "ping" });
    const starts = (n: number) => (t: LogType[]) => countOf(t, "WAIT_START") >= n;

    await waitForLog(cairn, "ping", "ping", starts(1), "the first wait");
    await instance.sendEvent({ type: "ping", payload: "one" });
    await waitForLog(cairn, "ping", "ping", starts(2), "the second wait");
    await waitForStatus(instance, "waiting");

    clock.advance(HOUR + 1000);
    await waitForLog(cairn, "ping", "ping", starts(3), "the third wait");
    await waitForStatus(instance, "waiting");
    await instance.sendEvent({ type: "ping", payload: "three" });

    expect(await waitForStatus(instance, "complete")).toEqual({
      status: "complete",
      output: ["one", "timed out: WorkflowTimeoutError", "three"],
    });
    const log = (await cairn.engine.readLog("ping", "ping")).map((e) => e.type);
    expect(countOf(log, "WAIT_COMPLETE")).toBe(2);
    expect(countOf(log, "WAIT_TIMED_OUT")).toBe(1);
  });

  it("waitForEvent times out after 24 hours by default, not before", async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const cairn = await h.open({ workflows, clock });
    const answered = await cairn.env.APPROVAL.create({ id: "answered" });
    const ignored = await cairn.env.APPROVAL.create({ id: "ignored" });
    await waitForStatus(answered, "waiting");
    await waitForStatus(ignored, "waiting");
    const [wait] = await cairn.engine.readJournal("approval", "ignored");
    expect(wait).toMatchObject({ kind: "waitForEvent", status: "waiting", wakeAt: start + 24 * HOUR });

    clock.advance(23 * HOUR);
    await answered.sendEvent({ type: "approve", payload: { by: "late but in time" } });
    expect(await waitForStatus(answered, "complete")).toMatchObject({
      output: { payload: { by: "late but in time" } },
    });
    expect(await ignored.status()).toEqual({ status: "waiting" });

    clock.advance(HOUR);
    expect(await waitForStatus(ignored, "errored")).toEqual({
      status: "errored",
      error: { name: "WorkflowTimeoutError", message: expect.stringContaining("approve") },
    });
    const log = (await cairn.engine.readLog("approval", "ignored")).map((e) => e.type);
    expect(countOf(log, "WAIT_TIMED_OUT")).toBe(1);
  });

  it("accepts events while queued, running, waiting and paused, for a later wait to take", async () => {
    const cairn = await h.open({ workflows, maxRunning: 1 });
    const running = await cairn.env.GATED.create({ id: "running" });
    await gates.get("running").reached();
    const queued = await cairn.env.GATED.create({ id: "queued" });
    expect(await queued.status()).toEqual({ status: "queued" });
    await running.sendEvent({ type: "late", payload: 1 });
    await queued.sendEvent({ type: "late", payload: 2 });

    await running.pause();
    gates.get("running").open();
    await waitForStatus(running, "paused");
    await running.sendEvent({ type: "late", payload: 3 });
    await running.resume();
    // The paused instance gave its slot to the queued one; let that one finish first.
    gates.get("queued").open();
    expect(await waitForStatus(queued, "complete")).toEqual({ status: "complete", output: 2 });
    // The first event sent wins; the one sent while paused stays buffered.
    expect(await waitForStatus(running, "complete")).toEqual({ status: "complete", output: 1 });

    const waiting = await cairn.env.APPROVAL.create({ id: "waiting" });
    await waitForStatus(waiting, "waiting");
    await waiting.sendEvent({ type: "approve", payload: { by: "w" } });
    expect(await waitForStatus(waiting, "complete")).toMatchObject({ output: { payload: { by: "w" } } });
  });

  it("rejects events for finished instances with instance.not_running, since no wait could take them", async () => {
    const cairn = await h.open({ workflows });
    const done = await cairn.env.APPROVAL.create({ id: "done" });
    await waitForStatus(done, "waiting");
    await done.sendEvent({ type: "approve", payload: { by: "x" } });
    await waitForStatus(done, "complete");
    await expectCode(done.sendEvent({ type: "approve", payload: null }), "instance.not_running");

    const ended = await cairn.env.APPROVAL.create({ id: "ended" });
    await waitForStatus(ended, "waiting");
    await ended.terminate();
    await expectCode(ended.sendEvent({ type: "approve", payload: null }), "instance.not_running");
  });

  it("rejects bad event types with workflow.invalid_event_type and huge payloads", async () => {
    const cairn = await h.open({ workflows });
    const instance = await cairn.env.APPROVAL.create({ id: "picky" });
    await waitForStatus(instance, "waiting");
    for (const type of ["has.dot", "a".repeat(101), "", "sp ace", "-dash"]) {
      await expectCode(instance.sendEvent({ type, payload: null }), "workflow.invalid_event_type");
    }
    await expectCode(
      instance.sendEvent({ type: "approve", payload: new Uint8Array(1024 * 1024 + 1) }),
      "event.payload_too_large",
    );
    // A 100-character type is fine; it is buffered (nothing waits for it).
    await instance.sendEvent({ type: "t".repeat(100), payload: null });
    expect(await instance.status()).toEqual({ status: "waiting" });
    const log = (await cairn.engine.readLog("approval", "picky")).map((e) => e.type);
    expect(countOf(log, "EVENT_SENT")).toBe(1);
  });
});
