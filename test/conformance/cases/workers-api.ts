// Conformance cases for the transitions behind the newer Workers API (instance control and cron):
// terminate with rollback, restart from a step (records kept or erased by start order, events of
// erased waits buffered again), deleting instances, stream result chunks with the per-instance
// byte count, and cron schedule marks that move forward only and create their instance atomically.

import { expect } from "vitest";
import { journalStateBytes } from "../../../src/engine/activation/state-budget.js";
import type { Fence, StepKind, StepRecord, Store } from "../../../src/storage/types.js";
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
  newInstance,
  OTHER_WF,
  runningStep,
  type StoreCase,
  snapshot,
  start,
  T0,
  takenOver,
  text,
  WF,
} from "./support.js";

type StepShape = { kind: StepKind; name: string; count?: number; startOrder: number; startedAt?: number };

const keyOf = (s: StepShape) => `${s.kind}:${s.count ?? 1}:${s.name}`;

/** A finished step of any kind, with a start order. */
function doneStep(s: StepShape, value = `${s.name} value`): StepRecord {
  return {
    key: keyOf(s),
    kind: s.kind,
    name: s.name,
    count: s.count ?? 1,
    startedAt: s.startedAt ?? T0,
    startOrder: s.startOrder,
    config: null,
    status: "succeeded",
    attempts: 1,
    value: bytes(value),
    endedAt: (s.startedAt ?? T0) + 1,
    event: null,
  };
}

/** A wait for `type` that is about to take an event (the engine records it before consuming). */
function waitingFor(s: StepShape, type: string): StepRecord {
  return {
    key: keyOf(s),
    kind: "waitForEvent",
    name: s.name,
    count: s.count ?? 1,
    startedAt: s.startedAt ?? T0,
    startOrder: s.startOrder,
    config: null,
    status: "waiting",
    wakeAt: T0 + 3_600_000,
    eventType: type,
  };
}

const keys = async (store: Store, seq: number) => (await store.loadJournal(seq)).map((r) => r.key).sort();
const chunkText = async (store: Store, seq: number, key: string) =>
  (await store.loadStreamChunks(seq, key)).map(text);

export function workersApiCases(test: StoreCase): void {
  test("terminate with rollback hands a running instance to a new runner with rollbackPending", async (store) => {
    const { fence } = await start(store, "r");
    expect((await mustGet(store, "r")).rollbackPending).toBe(false);
    expect(await store.terminate(WF, "r", T0 + 5, { rollback: true })).toEqual({
      outcome: "rolling_back",
      status: "running",
    });
    const record = await mustGet(store, "r");
    expect(record).toMatchObject({ status: "running", rollbackPending: true, leaseOwner: null });
    expect(record.epoch).toBeGreaterThan(fence.epoch);
    await expectStale(store.recordStep(fence, runningStep("late", T0), [], T0 + 6));
    expect((await store.readLog(fence.seq)).at(-1)).toMatchObject({
      type: "ROLLBACK_START",
      at: T0 + 5,
      data: { reason: "terminate" },
    });

    // Claimable at once, by any owner.
    expect(await store.nextWakeAt("someone", T0)).toBeLessThanOrEqual(T0 + 6);
    const claims = await claim(store, T0 + 6, { owner: "someone" });
    expect(claims.map((c) => [c.instance.id, c.instance.status, c.instance.rollbackPending])).toEqual([
      ["r", "running", true],
    ]);
    const runner = fenceOf(claims[0]!);
    await store.recordStep(runner, { ...runningStep("undo", T0 + 7), kind: "rollback" }, [], T0 + 7);
    await store.finish(runner, { status: "terminated" }, T0 + 8);
    const ended = await mustGet(store, "r");
    expectStatus(ended, "terminated");
    expect(ended).toMatchObject({
      rollbackPending: false,
      endedAt: T0 + 8,
      expiresAt: T0 + 8 + ERROR_RETENTION_MS,
    });
    expect((await store.readLog(fence.seq)).at(-1)?.type).toBe("WORKFLOW_TERMINATED");
  });

  test("terminate with rollback takes queued, waiting and paused instances, clearing their waits", async (store) => {
    await hibernate(store, "w", T0, { wakeAt: T0 + 50_000, waitTypes: ["e"] });
    await create(store, "q", T0);
    await create(store, "p", T0);
    await store.requestPause(WF, "p", T0 + 1);
    for (const id of ["q", "w", "p"]) {
      expect(await store.terminate(WF, id, T0 + 2, { rollback: true })).toEqual({
        outcome: "rolling_back",
        status: "running",
      });
      expect(await mustGet(store, id)).toMatchObject({ status: "running", rollbackPending: true });
    }
    const claimed = await claim(store, T0 + 3);
    expect(claimed.map((c) => c.instance.id).sort()).toEqual(["p", "q", "w"]);
    for (const c of claimed) await store.finish(fenceOf(c), { status: "terminated" }, T0 + 4);
    // The old wake time is gone with the wait: nothing wakes the terminated instance.
    expect(await claim(store, T0 + 100_000)).toEqual([]);
    expect(await store.nextWakeAt("someone", T0)).toBeNull();
  });

  test("restart of an instance rolling back clears rollbackPending", async (store) => {
    await start(store, "r");
    await store.terminate(WF, "r", T0 + 1, { rollback: true });
    expect(await store.restart(WF, "r", T0 + 2)).toEqual({ outcome: "restarted", status: "queued" });
    expect(await mustGet(store, "r")).toMatchObject({ status: "queued", rollbackPending: false });
    const [claimed] = await claim(store, T0 + 3);
    expect(claimed?.instance.rollbackPending).toBe(false);
  });

  test("terminate with rollback of a finished or missing instance changes nothing", async (store) => {
    await finished(store, "c", T0, { status: "complete", output: bytes("o") });
    const before = await snapshot(store, "c");
    expect(await store.terminate(WF, "c", T0 + 1, { rollback: true })).toEqual({
      outcome: "finished",
      status: "complete",
    });
    expect(await snapshot(store, "c")).toEqual(before);
    expect(await store.terminate(WF, "missing", T0 + 1, { rollback: true })).toEqual({
      outcome: "not_found",
    });
  });

  test("a journal record keeps the start order of its first write, also when an event is consumed", async (store) => {
    const { fence } = await start(store, "r");
    await store.recordStep(fence, { ...runningStep("a", T0), startOrder: 3 }, [], T0);
    await store.recordStep(fence, { ...runningStep("a", T0), attempts: 2 }, [], T0 + 1);
    await store.recordStep(
      fence,
      waitingFor({ kind: "waitForEvent", name: "w", startOrder: 4 }, "go"),
      [],
      T0,
    );
    await store.sendEvent(WF, "r", { type: "go", payload: bytes("p") }, T0 + 2);
    const step = { key: "waitForEvent:1:w", name: "w", count: 1, startedAt: T0, type: "go" };
    expect(await store.consumeEvent(fence, step, T0 + 3)).toBeDefined();
    const journal = new Map((await store.loadJournal(fence.seq)).map((r) => [r.key, r]));
    expect(journal.get("do:a:1")).toMatchObject({ startOrder: 3, attempts: 2 });
    expect(journal.get("waitForEvent:1:w")).toMatchObject({ startOrder: 4, status: "succeeded" });
  });

  test("restartFrom keeps records started before the target and erases the target and later ones", async (store) => {
    const { fence } = await start(store, "r");
    // Start order differs from key order and from startedAt order, so only start order decides.
    await store.recordStep(
      fence,
      doneStep({ kind: "do", name: "a", startOrder: 1, startedAt: T0 + 50 }),
      [],
      T0,
    );
    await store.recordStep(
      fence,
      doneStep({ kind: "sleep", name: "b", startOrder: 2, startedAt: T0 + 40 }),
      [],
      T0,
    );
    await store.recordStep(
      fence,
      doneStep({ kind: "do", name: "b", startOrder: 3, startedAt: T0 + 10 }),
      [],
      T0,
    );
    await store.recordStep(
      fence,
      waitingFor({ kind: "waitForEvent", name: "w", startOrder: 4 }, "go"),
      [],
      T0,
    );
    await store.recordStep(fence, { ...runningStep("c", T0), key: "do:1:c", startOrder: 5 }, [], T0);
    await store.appendStreamChunks(fence, "do:1:a", [bytes("kept")], T0);
    await store.appendStreamChunks(fence, "do:1:b", [bytes("erased")], T0);
    await store.sendEvent(WF, "r", { type: "go", payload: bytes("first") }, T0 + 1);
    await store.sendEvent(WF, "r", { type: "go", payload: bytes("second") }, T0 + 2);
    const wait = { key: "waitForEvent:1:w", name: "w", count: 1, startedAt: T0, type: "go" };
    expect(text((await store.consumeEvent(fence, wait, T0 + 3))!.payload)).toBe("first");
    const logBefore = await store.readLog(fence.seq);

    const target = { kind: "do" as const, name: "b", count: 1 };
    expect(await store.restartFrom(WF, "r", target, T0 + 10)).toEqual({
      outcome: "restarted",
      status: "queued",
    });
    const record = await mustGet(store, "r");
    expectStatus(record, "queued");
    expect(record.epoch).toBeGreaterThan(fence.epoch);
    await expectStale(store.recordStep(fence, runningStep("late", T0), [], T0 + 11));
    expect(await keys(store, fence.seq)).toEqual(["do:1:a", "sleep:1:b"]);
    expect(await chunkText(store, fence.seq, "do:1:a")).toEqual(["kept"]);
    expect(await chunkText(store, fence.seq, "do:1:b")).toEqual([]);
    const log = await store.readLog(fence.seq);
    expect(log.slice(0, logBefore.length)).toEqual(logBefore);
    expect(log.slice(logBefore.length).map((e) => [e.type, e.data])).toEqual([
      ["WORKFLOW_RESTARTED", { from: target }],
      ["WORKFLOW_QUEUED", null],
    ]);

    // The event the erased wait took is buffered again, ahead of the later one.
    const [again] = await claim(store, T0 + 12);
    const runner = fenceOf(again!);
    expect(text((await store.consumeEvent(runner, wait, T0 + 13))!.payload)).toBe("first");
    const next = { ...wait, key: "waitForEvent:2:w", count: 2 };
    expect(text((await store.consumeEvent(runner, next, T0 + 14))!.payload)).toBe("second");
  });

  test("restartFrom of a finished instance clears its result and expiry, and its pending rollback", async (store) => {
    const { fence } = await start(store, "c");
    await store.recordStep(fence, doneStep({ kind: "do", name: "a", startOrder: 1 }), [], T0);
    await store.recordStep(fence, doneStep({ kind: "do", name: "b", startOrder: 2 }), [], T0);
    await store.finish(fence, { status: "complete", output: bytes("out") }, T0 + 1);
    await store.restartFrom(WF, "c", { kind: "do", name: "b", count: 1 }, T0 + 2);
    const record = await mustGet(store, "c");
    expect(record.status).toBe("queued");
    expect(record).not.toHaveProperty("output");
    expect(await store.deleteExpired(T0 + 10 * ERROR_RETENTION_MS, 10)).toHaveLength(0);

    await store.terminate(WF, "c", T0 + 3, { rollback: true });
    await store.restartFrom(WF, "c", { kind: "do", name: "a", count: 1 }, T0 + 4);
    expect(await mustGet(store, "c")).toMatchObject({ status: "queued", rollbackPending: false });
    expect(await keys(store, fence.seq)).toEqual([]);
  });

  test("restartFrom with no such step, kind or count changes nothing", async (store) => {
    const { fence } = await start(store, "r");
    await store.recordStep(fence, doneStep({ kind: "do", name: "a", startOrder: 1 }), [], T0);
    await store.recordStep(fence, doneStep({ kind: "sleep", name: "s", startOrder: 2 }), [], T0);
    const before = await snapshot(store, "r");
    for (const target of [
      { kind: "do" as const, name: "missing", count: 1 },
      { kind: "do" as const, name: "a", count: 2 },
      { kind: "sleep" as const, name: "a", count: 1 },
      { kind: "do" as const, name: "s", count: 1 },
    ]) {
      expect(await store.restartFrom(WF, "r", target, T0 + 1)).toEqual({
        outcome: "step_not_found",
        status: "running",
      });
    }
    expect(await snapshot(store, "r")).toEqual(before);
    await store.recordStep(fence, runningStep("still mine", T0), [], T0 + 2);
    expect(await store.restartFrom(WF, "missing", { kind: "do", name: "a", count: 1 }, T0)).toEqual({
      outcome: "not_found",
    });
  });

  test("deleteInstances removes instances of any status with everything stored for them", async (store) => {
    const { fence } = await start(store, "r");
    await store.recordStep(fence, doneStep({ kind: "do", name: "a", startOrder: 1 }), [], T0);
    await store.appendStreamChunks(fence, "do:1:a", [bytes("chunk")], T0);
    await store.sendEvent(WF, "r", { type: "spare", payload: bytes("buffered") }, T0);
    await hibernate(store, "w", T0, { wakeAt: T0 + 1_000, waitTypes: ["e"] });
    await create(store, "p", T0);
    await store.requestPause(WF, "p", T0);
    await finished(store, "c", T0, { status: "complete", output: bytes("o") });
    await create(store, "r", T0, { workflow: OTHER_WF });
    const seqs = new Map<string, number>();
    for (const id of ["r", "w", "p", "c"]) seqs.set(id, (await mustGet(store, id)).seq);

    expect(await store.deleteInstances(WF, ["r", "missing", "w", "p", "c"], T0 + 1)).toEqual([
      { id: "r", outcome: "deleted" },
      { id: "missing", outcome: "not_found" },
      { id: "w", outcome: "deleted" },
      { id: "p", outcome: "deleted" },
      { id: "c", outcome: "deleted" },
    ]);
    for (const [id, seq] of seqs) {
      expect(await store.getInstance(WF, id)).toBeUndefined();
      expect(await store.loadJournal(seq)).toEqual([]);
      expect(await store.readLog(seq)).toEqual([]);
      expect(await store.stateBytes(seq)).toBe(0);
    }
    expect(await store.loadStreamChunks(seqs.get("r")!, "do:1:a")).toEqual([]);
    await expectStale(store.recordStep(fence, runningStep("late", T0), [], T0 + 2));
    expect(await store.countByStatus(WF)).toEqual({});
    expect(await store.nextWakeAt("someone", T0)).toBeNull();
    expect(await claim(store, T0 + 10_000, { slots: { [WF]: 100 } })).toEqual([]);
    // The same id in another workflow is untouched.
    expect((await mustGet(store, "r", OTHER_WF)).status).toBe("queued");

    // The id is free: a new instance starts empty, without the old inbox.
    const seq = await create(store, "r", T0 + 3);
    expect(seq).not.toBe(seqs.get("r"));
    expect(await store.loadJournal(seq)).toEqual([]);
    expect((await store.readLog(seq)).map((e) => e.type)).toEqual(["WORKFLOW_QUEUED"]);
    const [fresh] = await claim(store, T0 + 4, { slots: { [WF]: 100 } });
    const spare = { key: "waitForEvent:1:s", name: "s", count: 1, startedAt: T0, type: "spare" };
    expect(await store.consumeEvent(fenceOf(fresh!), spare, T0 + 5)).toBeUndefined();
    expect(await store.deleteInstances(WF, [], T0 + 6)).toEqual([]);
  });

  test("stream chunks append in order per step, load back exactly, and discard per step", async (store) => {
    const { fence } = await start(store, "r");
    const other = (await start(store, "o", T0)).fence;
    await store.appendStreamChunks(fence, "do:1:s", [bytes("ab"), bytes("c")], T0);
    await store.appendStreamChunks(fence, "do:1:s", [], T0);
    await store.appendStreamChunks(fence, "do:1:s", [new Uint8Array([0, 255, 10])], T0);
    await store.appendStreamChunks(fence, "do:1:t", [bytes("t")], T0);
    await store.appendStreamChunks(other, "do:1:s", [bytes("other")], T0);
    const loaded = await store.loadStreamChunks(fence.seq, "do:1:s");
    expect(loaded.map((c) => Array.from(c))).toEqual([[97, 98], [99], [0, 255, 10]]);
    expect(await chunkText(store, other.seq, "do:1:s")).toEqual(["other"]);
    expect(await store.loadStreamChunks(fence.seq, "do:1:none")).toEqual([]);

    await store.discardStreamChunks(fence, "do:1:s", T0 + 1);
    expect(await store.loadStreamChunks(fence.seq, "do:1:s")).toEqual([]);
    expect(await chunkText(store, fence.seq, "do:1:t")).toEqual(["t"]);
    expect(await chunkText(store, other.seq, "do:1:s")).toEqual(["other"]);
    await store.appendStreamChunks(fence, "do:1:s", [bytes("again")], T0 + 2);
    expect(await chunkText(store, fence.seq, "do:1:s")).toEqual(["again"]);
  });

  test("stream chunk writes are fenced", async (store) => {
    const { stale, current, now } = await takenOver(store, "r");
    await store.appendStreamChunks(current, "do:1:s", [bytes("mine")], now);
    await expectStale(store.appendStreamChunks(stale, "do:1:s", [bytes("late")], now));
    await expectStale(store.discardStreamChunks(stale, "do:1:s", now));
    expect(await chunkText(store, current.seq, "do:1:s")).toEqual(["mine"]);
  });

  test("stateBytes counts an instance's step values and stream chunks, and only its own", async (store) => {
    const { fence } = await start(store, "r");
    const other: Fence = (await start(store, "o", T0)).fence;
    expect(await store.stateBytes(fence.seq)).toBe(0);
    await store.recordStep(fence, doneStep({ kind: "do", name: "a", startOrder: 1 }, "12345"), [], T0);
    await store.appendStreamChunks(fence, "do:1:s", [bytes("abc"), bytes("defg")], T0);
    await store.appendStreamChunks(other, "do:1:s", [bytes("not counted")], T0);
    expect(await store.stateBytes(fence.seq)).toBe(12);
    await store.discardStreamChunks(fence, "do:1:s", T0);
    expect(await store.stateBytes(fence.seq)).toBe(5);
  });

  test("without stream results, the loaded journal's step values add up to stateBytes", async (store) => {
    // The engine takes an instance's stored bytes from its journal as loaded instead of asking.
    const { fence } = await start(store, "r");
    await store.recordStep(fence, doneStep({ kind: "do", name: "a", startOrder: 1 }, "12345"), [], T0);
    await store.recordStep(fence, doneStep({ kind: "do", name: "b", startOrder: 2 }, "héllo wörld"), [], T0);
    const failed: StepRecord = {
      ...doneStep({ kind: "do", name: "c", startOrder: 3 }),
      status: "failed",
      error: { name: "Error", message: "no" },
    } as StepRecord;
    await store.recordStep(fence, failed, [], T0);
    await store.recordStep(
      fence,
      waitingFor({ kind: "waitForEvent", name: "w", startOrder: 4 }, "go"),
      [],
      T0,
    );
    const journal = await store.loadJournal(fence.seq);
    expect(journal).toHaveLength(4);
    expect(journalStateBytes(journal)).toBe(await store.stateBytes(fence.seq));
    expect(journalStateBytes(journal)).toBe(5 + bytes("héllo wörld").byteLength);
    // A stream result's bytes are chunks the journal does not hold: the engine must ask.
    await store.recordStep(
      fence,
      { ...doneStep({ kind: "do", name: "s", startOrder: 5 }, ""), stream: true } as StepRecord,
      [],
      T0,
    );
    expect(journalStateBytes(await store.loadJournal(fence.seq))).toBeUndefined();
  });

  test("advanceSchedule moves a mark forward only and creates its instance with it", async (store) => {
    const cron = "*/5 * * * *";
    expect(await store.scheduleMark(WF, cron)).toBeNull();
    expect(await store.advanceSchedule(WF, cron, T0, null, T0)).toBe(true);
    expect(await store.scheduleMark(WF, cron)).toBe(T0);
    expect((await store.listInstances({ workflow: WF, limit: 10 })).items).toEqual([]);

    const at = (t: number) => newInstance(`${cron}-${t}`, { trigger: "cron" });
    expect(await store.advanceSchedule(WF, cron, T0, at(T0), T0 + 1)).toBe(false);
    expect(await store.advanceSchedule(WF, cron, T0 - 300_000, at(T0 - 300_000), T0 + 1)).toBe(false);
    expect((await store.listInstances({ workflow: WF, limit: 10 })).items).toEqual([]);
    expect(await store.scheduleMark(WF, cron)).toBe(T0);

    const t1 = T0 + 300_000;
    expect(await store.advanceSchedule(WF, cron, t1, at(t1), t1 + 7)).toBe(true);
    expect(await store.scheduleMark(WF, cron)).toBe(t1);
    const created = await mustGet(store, `${cron}-${t1}`);
    expect(created).toMatchObject({ status: "queued", trigger: "cron", createdAt: t1 + 7 });
    expect(text(created.params)).toBe(`params of ${cron}-${t1}`);
    expect((await store.readLog(created.seq)).map((e) => e.type)).toEqual(["WORKFLOW_QUEUED"]);

    // Marks are per workflow and per cron.
    expect(await store.scheduleMark(OTHER_WF, cron)).toBeNull();
    expect(await store.scheduleMark(WF, "0 * * * *")).toBeNull();
    expect(await store.advanceSchedule(OTHER_WF, cron, T0, null, T0)).toBe(true);
    expect(await store.scheduleMark(WF, cron)).toBe(t1);
  });

  test("advanceSchedule moves the mark but keeps an instance whose id already exists", async (store) => {
    const cron = "0 * * * *";
    const id = `${cron}-${T0}`;
    await create(store, id, T0 - 10, { params: bytes("original") });
    const before = await snapshot(store, id);
    expect(await store.advanceSchedule(WF, cron, T0, newInstance(id, { params: bytes("new") }), T0)).toBe(
      true,
    );
    expect(await store.scheduleMark(WF, cron)).toBe(T0);
    expect(await snapshot(store, id)).toEqual(before);
  });

  test("concurrent advanceSchedule calls for one time: exactly one wins and one instance exists", async (store) => {
    const cron = "* * * * *";
    const t = T0 + 60_000;
    const id = `${cron}-${t}`;
    const results = await Promise.all(
      Array.from({ length: 8 }, () => store.advanceSchedule(WF, cron, t, newInstance(id), t)),
    );
    expect(results.filter((won) => won)).toHaveLength(1);
    expect((await store.listInstances({ workflow: WF, limit: 10 })).items.map((r) => r.id)).toEqual([id]);
    expect(await store.scheduleMark(WF, cron)).toBe(t);
  });
}
