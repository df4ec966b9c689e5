// Conformance cases for finishing and retention: finish sets the expiry from the instance's own
// success or error retention (so each workflow keeps its history as long as it was told);
// deleteExpired removes only what expired, with its journal, inbox and log, after which the id can
// be created again as a fresh instance.

import { expect } from "vitest";
import {
  bytes,
  claim,
  create,
  ERROR_RETENTION_MS,
  expectStale,
  expectStatus,
  fenceOf,
  finished,
  mustGet,
  newInstance,
  runningStep,
  type StoreCase,
  SUCCESS_RETENTION_MS,
  snapshot,
  start,
  T0,
  takenOver,
  text,
  WF,
} from "./support.js";

export function retentionCases(test: StoreCase): void {
  test("finish complete stores the output, releases the lease and expires after the success retention", async (store) => {
    const { fence } = await start(store, "ok", T0, { leaseMs: 10_000 });
    await store.finish(fence, { status: "complete", output: bytes("result") }, T0 + 30);
    const record = await mustGet(store, "ok");
    expectStatus(record, "complete");
    expect(text(record.output)).toBe("result");
    expect(record).toMatchObject({
      endedAt: T0 + 30,
      expiresAt: T0 + 30 + SUCCESS_RETENTION_MS,
      leaseOwner: null,
    });
    expect((await store.readLog(fence.seq)).at(-1)).toMatchObject({ type: "WORKFLOW_SUCCESS", at: T0 + 30 });
    expect(await claim(store, T0 + 20_000, { owner: "someone" })).toEqual([]);
  });

  test("finish errored stores the error and expires after the error retention", async (store) => {
    const { fence } = await start(store, "bad");
    await store.finish(
      fence,
      { status: "errored", error: { name: "RangeError", message: "too far" } },
      T0 + 30,
    );
    const record = await mustGet(store, "bad");
    expectStatus(record, "errored");
    expect(record.error).toEqual({ name: "RangeError", message: "too far" });
    expect(record.expiresAt).toBe(T0 + 30 + ERROR_RETENTION_MS);
    expect((await store.readLog(fence.seq)).at(-1)?.type).toBe("WORKFLOW_FAILURE");
  });

  test("retention is per instance", async (store) => {
    await store.createInstances(
      [
        newInstance("short", { successRetentionMs: 1_000, errorRetentionMs: 2_000 }),
        newInstance("long", { successRetentionMs: 50_000, errorRetentionMs: 90_000 }),
        newInstance("short-err", { successRetentionMs: 1_000, errorRetentionMs: 2_000 }),
      ],
      T0,
    );
    const claims = await claim(store, T0);
    const fence = (id: string) => fenceOf(claims.find((c) => c.instance.id === id)!);
    await store.finish(fence("short"), { status: "complete", output: bytes("") }, T0 + 10);
    await store.finish(fence("long"), { status: "complete", output: bytes("") }, T0 + 10);
    await store.finish(fence("short-err"), { status: "errored", error: { name: "E", message: "" } }, T0 + 10);
    expect((await mustGet(store, "short")) as { expiresAt?: number }).toMatchObject({
      expiresAt: T0 + 1_010,
    });
    expect((await mustGet(store, "long")) as { expiresAt?: number }).toMatchObject({
      expiresAt: T0 + 50_010,
    });
    expect((await mustGet(store, "short-err")) as { expiresAt?: number }).toMatchObject({
      expiresAt: T0 + 2_010,
    });
  });

  test("finish with a stale epoch is refused and writes nothing", async (store) => {
    const { stale, now } = await takenOver(store, "f");
    const before = await snapshot(store, "f");
    await expectStale(store.finish(stale, { status: "complete", output: bytes("x") }, now));
    await expectStale(store.finish(stale, { status: "errored", error: { name: "E", message: "m" } }, now));
    expect(await snapshot(store, "f")).toEqual(before);
  });

  test("deleteExpired deletes only instances whose retention ended, with their journal and log", async (store) => {
    const { fence: doneFence } = await start(store, "old");
    await store.recordStep(doneFence, runningStep("a", T0), [{ type: "STEP_START" }], T0);
    await store.finish(doneFence, { status: "complete", output: bytes("o") }, T0);
    await finished(store, "young", T0 + 5_000, { status: "complete", output: bytes("o") });
    await finished(store, "failed", T0, { status: "errored", error: { name: "E", message: "m" } });
    await create(store, "queued", T0);
    await start(store, "running", T0, { workflow: "other-flow" });

    const at = T0 + SUCCESS_RETENTION_MS;
    expect(await store.deleteExpired(at - 1, 100)).toHaveLength(0);
    expect(await store.deleteExpired(at, 100)).toEqual([{ workflow: WF, id: "old" }]);
    expect(await store.getInstance(WF, "old")).toBeUndefined();
    expect(await store.loadJournal(doneFence.seq)).toEqual([]);
    expect(await store.readLog(doneFence.seq)).toEqual([]);
    for (const id of ["young", "failed", "queued"]) expect(await store.getInstance(WF, id)).toBeDefined();
    expect(await store.getInstance("other-flow", "running")).toBeDefined();
    expect((await store.listInstances({ workflow: WF, limit: 10 })).items.map((i) => i.id)).not.toContain(
      "old",
    );

    expect(await store.deleteExpired(T0 + ERROR_RETENTION_MS, 100)).toHaveLength(2);
    expect((await store.listInstances({ workflow: WF, limit: 10 })).items.map((i) => i.id)).toEqual([
      "queued",
    ]);
  });

  test("deleteExpired deletes at most `limit` instances per call", async (store) => {
    for (const id of ["a", "b", "c"])
      await finished(store, id, T0, { status: "complete", output: bytes("") });
    const later = T0 + SUCCESS_RETENTION_MS;
    expect(await store.deleteExpired(later, 2)).toHaveLength(2);
    expect(await store.deleteExpired(later, 2)).toHaveLength(1);
    expect(await store.deleteExpired(later, 2)).toHaveLength(0);
  });

  test("terminated instances expire too", async (store) => {
    await create(store, "t");
    await store.terminate(WF, "t", T0);
    expect(await store.deleteExpired(T0 + 1, 10)).toHaveLength(0);
    expect(await store.deleteExpired(T0 + ERROR_RETENTION_MS * 2, 10)).toHaveLength(1);
    expect(await store.getInstance(WF, "t")).toBeUndefined();
  });

  test("a finished instance keeps its id taken until it is deleted", async (store) => {
    await finished(store, "again", T0, { status: "complete", output: bytes("first run") });
    expect(await store.createInstances([newInstance("again")], T0 + 1)).toEqual([
      { id: "again", created: false },
    ]);
  });

  test("after deletion the id can be created again as a fresh instance", async (store) => {
    const { fence } = await start(store, "again");
    await store.recordStep(fence, runningStep("a", T0), [], T0);
    await store.sendEvent(WF, "again", { type: "t", payload: bytes("old event") }, T0);
    await store.finish(fence, { status: "complete", output: bytes("first run") }, T0);
    await store.deleteExpired(T0 + SUCCESS_RETENTION_MS, 10);

    const later = T0 + SUCCESS_RETENTION_MS + 1;
    const [result] = await store.createInstances([newInstance("again", { params: bytes("second") })], later);
    expect(result).toEqual({ id: "again", created: true, seq: expect.any(Number) });
    const seq = (result as { seq: number }).seq;
    expect(seq).not.toBe(fence.seq);
    const record = await mustGet(store, "again");
    expect(record).toMatchObject({ status: "queued", createdAt: later, seq });
    expect(text(record.params)).toBe("second");
    expect(await store.loadJournal(seq)).toEqual([]);
    expect((await store.readLog(seq)).map((e) => e.type)).toEqual(["WORKFLOW_QUEUED"]);
    const [c] = await claim(store, later);
    const wait = { key: "waitForEvent:w:1", name: "w", count: 1, startedAt: later, type: "t" };
    expect(await store.consumeEvent(fenceOf(c!), wait, later)).toBeUndefined();
  });
}
