// Conformance cases for the lifecycle transitions a runner or an operator drives: suspend,
// pause/settle/resume (a pause takes effect only where nothing runs, timers shift by the paused
// time), terminate and restart, including that each bumps or checks the epoch so a runner that
// lost the instance cannot write.

import { expect } from "vitest";
import type { StepRecord } from "../../../src/storage/types.js";
import {
  bytes,
  claim,
  create,
  ERROR_RETENTION_MS,
  expectStale,
  expectStatus,
  fenceOf,
  finished,
  hibernate,
  mustGet,
  OWNER_A,
  runningStep,
  type StoreCase,
  snapshot,
  start,
  T0,
  takenOver,
  text,
  WF,
} from "./support.js";

export function controlCases(test: StoreCase): void {
  test("suspend releases the lease, sets the wake condition and logs WORKFLOW_WAITING", async (store) => {
    const { fence } = await start(store, "s");
    expect(await store.suspend(fence, { wakeAt: T0 + 500, waitTypes: ["a"] }, T0 + 1)).toBe("waiting");
    const record = await mustGet(store, "s");
    expectStatus(record, "waiting");
    expect(record).toMatchObject({ wakeAt: T0 + 500, waitTypes: ["a"], leaseOwner: null, updatedAt: T0 + 1 });
    expect((await store.readLog(fence.seq)).at(-1)).toMatchObject({ type: "WORKFLOW_WAITING", at: T0 + 1 });
  });

  test("requestPause on a queued instance pauses it at once and it is not claimed", async (store) => {
    const seq = await create(store, "q");
    expect(await store.requestPause(WF, "q", T0 + 5)).toEqual({ outcome: "paused", status: "paused" });
    const record = await mustGet(store, "q");
    expectStatus(record, "paused");
    expect(record.pausedAt).toBe(T0 + 5);
    expect(await claim(store, T0 + 10)).toEqual([]);
    expect((await store.readLog(seq)).map((e) => e.type)).toEqual(["WORKFLOW_QUEUED", "WORKFLOW_PAUSED"]);
  });

  test("requestPause on a waiting instance pauses it and its timer no longer wakes it", async (store) => {
    await hibernate(store, "w", T0, { wakeAt: T0 + 100, waitTypes: ["e"] });
    expect(await store.requestPause(WF, "w", T0 + 50)).toEqual({ outcome: "paused", status: "paused" });
    expectStatus(await mustGet(store, "w"), "paused");
    expect(await claim(store, T0 + 10_000)).toEqual([]);
    await store.sendEvent(WF, "w", { type: "e", payload: bytes("x") }, T0 + 10_001);
    expect(await claim(store, T0 + 10_002)).toEqual([]);
    expect(await store.nextWakeAt("someone", T0)).toBeNull();
  });

  test("requestPause on a running instance asks the runner to pause and keeps its lease", async (store) => {
    const { fence } = await start(store, "r");
    expect(await store.requestPause(WF, "r", T0 + 5)).toEqual({
      outcome: "pausing",
      status: "waitingForPause",
    });
    const record = await mustGet(store, "r");
    expect(record).toMatchObject({ status: "waitingForPause", leaseOwner: OWNER_A, epoch: fence.epoch });
    // The runner may still finish its in-flight step.
    await store.recordStep(fence, runningStep("inflight", T0), [], T0 + 6);
    expect(await claim(store, T0 + 7, { owner: "someone" })).toEqual([]);
  });

  test("requestPause on a paused, pausing or finished instance is a no-op", async (store) => {
    await create(store, "p");
    await store.requestPause(WF, "p", T0);
    await start(store, "wfp", T0 + 1);
    await store.requestPause(WF, "wfp", T0 + 2);
    await finished(store, "c", T0 + 3, { status: "complete", output: bytes("o") });
    for (const [id, status] of [
      ["p", "paused"],
      ["wfp", "waitingForPause"],
      ["c", "complete"],
    ] as const) {
      const before = await snapshot(store, id);
      expect(await store.requestPause(WF, id, T0 + 10)).toEqual({ outcome: "noop", status });
      expect(await snapshot(store, id)).toEqual(before);
    }
    expect(await store.requestPause(WF, "missing", T0)).toEqual({ outcome: "not_found" });
  });

  test("settlePause turns waitingForPause into paused and releases the lease", async (store) => {
    const { fence } = await start(store, "r");
    await store.requestPause(WF, "r", T0 + 1);
    await store.settlePause(fence, T0 + 2);
    const record = await mustGet(store, "r");
    expectStatus(record, "paused");
    expect(record.pausedAt).toBe(T0 + 2);
    expect(record.leaseOwner).toBeNull();
    expect(await claim(store, T0 + 3, { owner: "someone" })).toEqual([]);
    expect((await store.readLog(fence.seq)).at(-1)?.type).toBe("WORKFLOW_PAUSED");
  });

  test("settlePause after the pause was cancelled leaves the instance running", async (store) => {
    const { fence } = await start(store, "r");
    await store.requestPause(WF, "r", T0 + 1);
    expect(await store.resume(WF, "r", T0 + 2)).toEqual({ outcome: "unpaused", status: "running" });
    await store.settlePause(fence, T0 + 3);
    expect(await mustGet(store, "r")).toMatchObject({ status: "running", leaseOwner: OWNER_A });
  });

  test("suspend while waitingForPause pauses instead of waiting", async (store) => {
    const { fence } = await start(store, "r");
    await store.requestPause(WF, "r", T0 + 1);
    expect(await store.suspend(fence, { wakeAt: T0 + 10, waitTypes: ["e"] }, T0 + 2)).toBe("paused");
    const record = await mustGet(store, "r");
    expectStatus(record, "paused");
    expect(record.pausedAt).toBe(T0 + 2);
    expect(record.leaseOwner).toBeNull();
    expect(await claim(store, T0 + 1_000, { owner: "someone" })).toEqual([]);
  });

  test("resume of a paused instance queues it and shifts step timers by the paused time", async (store) => {
    const { fence } = await start(store, "r");
    const steps: StepRecord[] = [
      {
        ...runningStep("retry", T0),
        status: "retrying",
        attempts: 1,
        wakeAt: T0 + 2_000,
        error: { name: "E", message: "m" },
      },
      {
        key: "sleep:nap:1",
        kind: "sleep",
        name: "nap",
        count: 1,
        startedAt: T0,
        config: null,
        status: "waiting",
        wakeAt: T0 + 5_000,
        eventType: null,
      },
      {
        ...runningStep("done", T0),
        status: "succeeded",
        attempts: 1,
        value: bytes("v"),
        endedAt: T0 + 1,
        event: null,
      },
      runningStep("inflight", T0),
    ];
    for (const s of steps) await store.recordStep(fence, s, [], T0);
    await store.suspend(fence, { wakeAt: T0 + 2_000, waitTypes: [] }, T0 + 100);
    await store.requestPause(WF, "r", T0 + 1_000);

    expect(await store.resume(WF, "r", T0 + 4_000)).toEqual({ outcome: "resumed", status: "queued" });
    expectStatus(await mustGet(store, "r"), "queued");
    const journal = new Map((await store.loadJournal(fence.seq)).map((s) => [s.key, s]));
    expect(journal.get("do:retry:1")).toMatchObject({ status: "retrying", wakeAt: T0 + 5_000 });
    expect(journal.get("sleep:nap:1")).toMatchObject({ status: "waiting", wakeAt: T0 + 8_000 });
    expect(journal.get("do:done:1")).toMatchObject({ status: "succeeded", endedAt: T0 + 1 });
    expect(journal.get("do:inflight:1")).toMatchObject({ status: "running", startedAt: T0 });
    expect((await store.readLog(fence.seq)).at(-1)?.type).toBe("WORKFLOW_RESUMED");
    expect((await claim(store, T0 + 4_000)).map((c) => c.instance.id)).toEqual(["r"]);
  });

  test("resume of a waitingForPause instance cancels the pause and the runner keeps going", async (store) => {
    const { fence } = await start(store, "r");
    await store.requestPause(WF, "r", T0 + 1);
    expect(await store.resume(WF, "r", T0 + 2)).toEqual({ outcome: "unpaused", status: "running" });
    expect(await mustGet(store, "r")).toMatchObject({
      status: "running",
      epoch: fence.epoch,
      leaseOwner: OWNER_A,
    });
    await store.recordStep(fence, runningStep("next", T0 + 3), [], T0 + 3);
  });

  test("resume of an instance that is not paused is a no-op", async (store) => {
    await finished(store, "c", T0, { status: "complete", output: bytes("o") });
    await create(store, "q", T0 + 1);
    await start(store, "r", T0 + 2, { workflow: "other-flow" });
    for (const [id, status, workflow] of [
      ["q", "queued", WF],
      ["r", "running", "other-flow"],
      ["c", "complete", WF],
    ] as const) {
      const before = await snapshot(store, id, workflow);
      expect(await store.resume(workflow, id, T0 + 10)).toEqual({ outcome: "noop", status });
      expect(await snapshot(store, id, workflow)).toEqual(before);
    }
    expect(await store.resume(WF, "missing", T0)).toEqual({ outcome: "not_found" });
  });

  test("terminate of a running instance ends it and refuses the old runner's writes", async (store) => {
    const { fence } = await start(store, "r");
    expect(await store.terminate(WF, "r", T0 + 7)).toEqual({ outcome: "terminated", status: "terminated" });
    const record = await mustGet(store, "r");
    expectStatus(record, "terminated");
    expect(record.epoch).toBeGreaterThan(fence.epoch);
    // A terminated instance is kept as long as a failed one.
    expect(record).toMatchObject({
      endedAt: T0 + 7,
      expiresAt: T0 + 7 + ERROR_RETENTION_MS,
      leaseOwner: null,
    });
    const before = await snapshot(store, "r");
    await expectStale(store.recordStep(fence, runningStep("late", T0), [], T0 + 8));
    await expectStale(store.finish(fence, { status: "complete", output: bytes("late") }, T0 + 8));
    await expectStale(store.suspend(fence, { wakeAt: T0 + 9, waitTypes: [] }, T0 + 8));
    expect(await snapshot(store, "r")).toEqual(before);
    expect(before.log.at(-1)?.type).toBe("WORKFLOW_TERMINATED");
  });

  test("terminate of a queued, waiting or paused instance ends it and it is never claimed", async (store) => {
    await hibernate(store, "w", T0, { wakeAt: T0 + 10, waitTypes: [] });
    await create(store, "q", T0 + 1);
    await create(store, "p", T0 + 1);
    await store.requestPause(WF, "p", T0 + 2);
    for (const id of ["q", "w", "p"]) {
      expect(await store.terminate(WF, id, T0 + 3)).toEqual({ outcome: "terminated", status: "terminated" });
    }
    expect(await claim(store, T0 + 100)).toEqual([]);
    expect(await store.countByStatus(WF)).toEqual({ terminated: 3 });
  });

  test("terminate of a finished instance reports finished and changes nothing", async (store) => {
    await finished(store, "c", T0, { status: "complete", output: bytes("o") });
    await finished(store, "e", T0 + 1, { status: "errored", error: { name: "E", message: "m" } });
    await create(store, "t", T0 + 2);
    await store.terminate(WF, "t", T0 + 3);
    for (const [id, status] of [
      ["c", "complete"],
      ["e", "errored"],
      ["t", "terminated"],
    ] as const) {
      const before = await snapshot(store, id);
      expect(await store.terminate(WF, id, T0 + 10)).toEqual({ outcome: "finished", status });
      expect(await snapshot(store, id)).toEqual(before);
    }
    expect(await store.terminate(WF, "missing", T0)).toEqual({ outcome: "not_found" });
  });

  test("restart wipes journal, inbox and log, queues again with the same params and bumps the epoch", async (store) => {
    const { fence } = await start(store, "r");
    await store.recordStep(fence, runningStep("a", T0), [{ type: "STEP_START", stepKey: "do:a:1" }], T0 + 1);
    await store.sendEvent(WF, "r", { type: "t", payload: bytes("old event") }, T0 + 2);

    expect(await store.restart(WF, "r", T0 + 10)).toEqual({ outcome: "restarted", status: "queued" });
    const record = await mustGet(store, "r");
    expectStatus(record, "queued");
    expect(record.seq).toBe(fence.seq);
    expect(record.epoch).toBeGreaterThan(fence.epoch);
    expect(text(record.params)).toBe("params of r");
    expect(await store.loadJournal(fence.seq)).toEqual([]);
    const log = await store.readLog(fence.seq);
    expect(log.every((e) => e.at === T0 + 10)).toBe(true);
    expect(log.map((e) => e.type)).toContain("WORKFLOW_QUEUED");
    expect(log.map((e) => e.type)).not.toContain("STEP_START");
    await expectStale(store.appendLog(fence, [{ type: "STEP_START" }], T0 + 11));

    const [again] = await claim(store, T0 + 12);
    expect(again?.instance.id).toBe("r");
    const t = { key: "waitForEvent:w:1", name: "w", count: 1, startedAt: T0 + 12, type: "t" };
    expect(await store.consumeEvent(fenceOf(again!), t, T0 + 13)).toBeUndefined();
  });

  test("restart of a finished instance clears its result and its expiry", async (store) => {
    await finished(store, "c", T0, { status: "complete", output: bytes("o") });
    await finished(store, "e", T0 + 1, { status: "errored", error: { name: "E", message: "m" } });
    for (const id of ["c", "e"]) {
      expect(await store.restart(WF, id, T0 + 10)).toEqual({ outcome: "restarted", status: "queued" });
      const record = await mustGet(store, id);
      expect(record.status).toBe("queued");
      expect(record).not.toHaveProperty("output");
      expect(record).not.toHaveProperty("error");
    }
    expect(await store.deleteExpired(T0 + 10 * ERROR_RETENTION_MS, 100)).toHaveLength(0);
    expect((await claim(store, T0 + 11)).map((c) => c.instance.id).sort()).toEqual(["c", "e"]);
    expect(await store.restart(WF, "missing", T0)).toEqual({ outcome: "not_found" });
  });

  test("suspend and settlePause with a stale epoch are refused and write nothing", async (store) => {
    const { stale, now } = await takenOver(store, "r");
    await store.requestPause(WF, "r", now + 1);
    const before = await snapshot(store, "r");
    await expectStale(store.suspend(stale, { wakeAt: now + 10, waitTypes: [] }, now + 2));
    await expectStale(store.settlePause(stale, now + 2));
    expect(await snapshot(store, "r")).toEqual(before);
    expect(before.instance.status).toBe("waitingForPause");
  });
}
