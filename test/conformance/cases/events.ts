// Conformance cases for the inbox: events are buffered FIFO per type and each is consumed by at
// most one wait (an event is delivered exactly once, to exactly one waiter); sending to a missing
// or finished instance is refused; an event a waiting instance waits for makes it due at once,
// whether it arrives before or after.

import { expect } from "vitest";
import {
  bytes,
  claim,
  create,
  expectStale,
  fenceOf,
  finished,
  hibernate,
  mustGet,
  OTHER_WF,
  type StoreCase,
  snapshot,
  start,
  T0,
  takenOver,
  text,
  WF,
} from "./support.js";

const waitStep = (name: string, type: string, count = 1) => ({
  key: `waitForEvent:${name}:${count}`,
  name,
  count,
  startedAt: T0,
  type,
});

export function eventCases(test: StoreCase): void {
  test("consumeEvent takes events of one type oldest first and leaves other types alone", async (store) => {
    const { fence } = await start(store, "inbox");
    const send = (type: string, body: string, at: number) =>
      store.sendEvent(WF, "inbox", { type, payload: bytes(body) }, at);
    expect(await send("a", "a1", T0 + 1)).toEqual({ outcome: "sent", status: "running" });
    await send("b", "b1", T0 + 2);
    await send("a", "a2", T0 + 3);

    const first = await store.consumeEvent(fence, waitStep("w", "a", 1), T0 + 10);
    expect(first && { type: first.type, payload: text(first.payload), sentAt: first.sentAt }).toEqual({
      type: "a",
      payload: "a1",
      sentAt: T0 + 1,
    });
    const second = await store.consumeEvent(fence, waitStep("w", "a", 2), T0 + 11);
    expect(second && [text(second.payload), second.sentAt]).toEqual(["a2", T0 + 3]);
    expect(await store.consumeEvent(fence, waitStep("w", "a", 3), T0 + 12)).toBeUndefined();
    const other = await store.consumeEvent(fence, waitStep("v", "b"), T0 + 13);
    expect(other && text(other.payload)).toBe("b1");
  });

  test("consumeEvent returns undefined and records nothing when no event of the type is buffered", async (store) => {
    const { fence } = await start(store, "inbox");
    await store.sendEvent(WF, "inbox", { type: "other", payload: bytes("x") }, T0 + 1);
    const before = await snapshot(store, "inbox");
    expect(await store.consumeEvent(fence, waitStep("w", "wanted"), T0 + 2)).toBeUndefined();
    expect(await snapshot(store, "inbox")).toEqual(before);
  });

  test("consumeEvent records the wait as succeeded with the event and logs WAIT_COMPLETE", async (store) => {
    const { fence } = await start(store, "inbox");
    await store.sendEvent(WF, "inbox", { type: "approval", payload: bytes("ok") }, T0 + 5);
    const event = await store.consumeEvent(fence, waitStep("approve", "approval"), T0 + 9);
    expect(event?.seq).toEqual(expect.any(Number));
    const [record] = await store.loadJournal(fence.seq);
    expect(record).toMatchObject({
      key: "waitForEvent:approve:1",
      kind: "waitForEvent",
      name: "approve",
      count: 1,
      startedAt: T0,
      status: "succeeded",
      endedAt: T0 + 9,
      event: { type: "approval", sentAt: T0 + 5 },
    });
    expect(record?.status === "succeeded" && text(record.value)).toBe("ok");
    const log = await store.readLog(fence.seq);
    expect(log.at(-1)).toMatchObject({
      type: "WAIT_COMPLETE",
      stepKey: "waitForEvent:approve:1",
      at: T0 + 9,
    });
  });

  test("consumeEvent keeps the config a waiting record of the same key had", async (store) => {
    const { fence } = await start(store, "inbox");
    const step = waitStep("approve", "approval");
    await store.recordStep(
      fence,
      {
        key: step.key,
        kind: "waitForEvent",
        name: step.name,
        count: 1,
        startedAt: T0,
        config: { timeout: 1_000 },
        status: "waiting",
        wakeAt: T0 + 1_000,
        eventType: "approval",
      },
      [],
      T0,
    );
    await store.sendEvent(WF, "inbox", { type: "approval", payload: bytes("ok") }, T0 + 1);
    await store.consumeEvent(fence, step, T0 + 2);
    const [record] = await store.loadJournal(fence.seq);
    expect(record).toMatchObject({ status: "succeeded", config: { timeout: 1_000 } });
  });

  test("one event is consumed by one wait only, even when two waits ask for it", async (store) => {
    const { fence } = await start(store, "inbox");
    await store.sendEvent(WF, "inbox", { type: "go", payload: bytes("once") }, T0 + 1);
    const [a, b] = await Promise.all([
      store.consumeEvent(fence, waitStep("first", "go"), T0 + 2),
      store.consumeEvent(fence, waitStep("second", "go"), T0 + 2),
    ]);
    expect([a, b].filter((e) => e !== undefined)).toHaveLength(1);
    expect(await store.consumeEvent(fence, waitStep("third", "go"), T0 + 3)).toBeUndefined();
    expect((await store.loadJournal(fence.seq)).filter((r) => r.status === "succeeded")).toHaveLength(1);
  });

  test("events belong to one instance", async (store) => {
    await create(store, "left");
    await create(store, "right");
    await create(store, "left", T0, { workflow: OTHER_WF });
    const claims = await claim(store, T0);
    const fence = (id: string, workflow = WF) =>
      fenceOf(claims.find((c) => c.instance.id === id && c.instance.workflow === workflow)!);
    await store.sendEvent(WF, "left", { type: "t", payload: bytes("for left") }, T0 + 1);
    expect(await store.consumeEvent(fence("right"), waitStep("w", "t"), T0 + 2)).toBeUndefined();
    expect(await store.consumeEvent(fence("left", OTHER_WF), waitStep("w", "t"), T0 + 2)).toBeUndefined();
    const got = await store.consumeEvent(fence("left"), waitStep("w", "t"), T0 + 2);
    expect(got && text(got.payload)).toBe("for left");
  });

  test("events sent while queued, waiting or paused are buffered for later", async (store) => {
    await create(store, "q");
    expect(await store.sendEvent(WF, "q", { type: "t", payload: bytes("1") }, T0 + 1)).toEqual({
      outcome: "sent",
      status: "queued",
    });
    await store.requestPause(WF, "q", T0 + 2);
    expect(await store.sendEvent(WF, "q", { type: "t", payload: bytes("2") }, T0 + 3)).toEqual({
      outcome: "sent",
      status: "paused",
    });
    await store.resume(WF, "q", T0 + 4);
    const [c] = await claim(store, T0 + 5);
    const fence = fenceOf(c!);
    await store.suspend(fence, { wakeAt: T0 + 100, waitTypes: ["other"] }, T0 + 6);
    expect(await store.sendEvent(WF, "q", { type: "t", payload: bytes("3") }, T0 + 7)).toEqual({
      outcome: "sent",
      status: "waiting",
    });
    const [again] = await claim(store, T0 + 100);
    const f2 = fenceOf(again!);
    const got: string[] = [];
    for (let i = 1; i <= 4; i++) {
      const e = await store.consumeEvent(f2, waitStep("w", "t", i), T0 + 101);
      if (e) got.push(text(e.payload));
    }
    expect(got).toEqual(["1", "2", "3"]);
    const log = await store.readLog(fence.seq);
    expect(log.filter((e) => e.type === "EVENT_SENT").map((e) => e.data)).toEqual([
      { type: "t" },
      { type: "t" },
      { type: "t" },
    ]);
  });

  test("sendEvent to an unknown instance reports not_found", async (store) => {
    await create(store, "exists");
    const payload = { type: "t", payload: bytes("x") };
    expect(await store.sendEvent(WF, "missing", payload, T0)).toEqual({ outcome: "not_found" });
    expect(await store.sendEvent(OTHER_WF, "exists", payload, T0)).toEqual({ outcome: "not_found" });
  });

  test("sendEvent to a finished instance reports finished and buffers nothing", async (store) => {
    await finished(store, "done", T0, { status: "complete", output: bytes("out") });
    await finished(store, "failed", T0 + 1, { status: "errored", error: { name: "Error", message: "x" } });
    await create(store, "stopped", T0 + 2);
    await store.terminate(WF, "stopped", T0 + 3);
    for (const [id, status] of [
      ["done", "complete"],
      ["failed", "errored"],
      ["stopped", "terminated"],
    ] as const) {
      const before = await snapshot(store, id);
      expect(await store.sendEvent(WF, id, { type: "t", payload: bytes("late") }, T0 + 10)).toEqual({
        outcome: "finished",
        status,
      });
      expect(await snapshot(store, id)).toEqual(before);
    }
  });

  test("an event a waiting instance waits for makes it due at once", async (store) => {
    await hibernate(store, "w", T0, { wakeAt: T0 + 3_600_000, waitTypes: ["approval", "cancel"] });
    await hibernate(store, "forever", T0 + 1, { wakeAt: null, waitTypes: ["approval"] });
    expect(await claim(store, T0 + 10)).toEqual([]);
    await store.sendEvent(WF, "w", { type: "cancel", payload: bytes("c") }, T0 + 20);
    await store.sendEvent(WF, "forever", { type: "approval", payload: bytes("a") }, T0 + 21);
    expect(await store.nextWakeAt("someone", T0)).toBeLessThanOrEqual(T0 + 21);
    const claims = await claim(store, T0 + 21);
    expect(claims.map((c) => [c.instance.id, c.waking]).sort()).toEqual([
      ["forever", true],
      ["w", true],
    ]);
  });

  test("an event of a type the instance does not wait for leaves it asleep", async (store) => {
    await hibernate(store, "w", T0, { wakeAt: T0 + 3_600_000, waitTypes: ["approval"] });
    await store.sendEvent(WF, "w", { type: "unrelated", payload: bytes("u") }, T0 + 20);
    expect(await claim(store, T0 + 21)).toEqual([]);
    const record = await mustGet(store, "w");
    expect(record.status === "waiting" && record.wakeAt).toBe(T0 + 3_600_000);
  });

  test("suspending while a matching event is already buffered makes the instance due at once", async (store) => {
    const { fence } = await start(store, "w");
    await store.sendEvent(WF, "w", { type: "approval", payload: bytes("early") }, T0 + 1);
    await store.suspend(fence, { wakeAt: T0 + 3_600_000, waitTypes: ["approval"] }, T0 + 2);
    expect((await mustGet(store, "w")).status).toBe("waiting");
    expect(await store.nextWakeAt("someone", T0)).toBeLessThanOrEqual(T0 + 2);
    expect((await claim(store, T0 + 2)).map((c) => c.instance.id)).toEqual(["w"]);
  });

  test("suspending with only other types buffered, or already consumed ones, does not wake", async (store) => {
    const { fence } = await start(store, "w");
    await store.sendEvent(WF, "w", { type: "approval", payload: bytes("used") }, T0 + 1);
    await store.sendEvent(WF, "w", { type: "noise", payload: bytes("n") }, T0 + 1);
    await store.consumeEvent(fence, waitStep("first", "approval"), T0 + 2);
    await store.suspend(fence, { wakeAt: T0 + 3_600_000, waitTypes: ["approval"] }, T0 + 3);
    expect(await claim(store, T0 + 4)).toEqual([]);
  });

  test("consumeEvent with a stale epoch is refused and leaves the event buffered", async (store) => {
    const { stale, current, now } = await takenOver(store, "w");
    await store.sendEvent(WF, "w", { type: "t", payload: bytes("keep") }, now);
    const before = await snapshot(store, "w");
    await expectStale(store.consumeEvent(stale, waitStep("w", "t"), now + 1));
    expect(await snapshot(store, "w")).toEqual(before);
    const got = await store.consumeEvent(current, waitStep("w", "t"), now + 2);
    expect(got && text(got.payload)).toBe("keep");
  });
}
