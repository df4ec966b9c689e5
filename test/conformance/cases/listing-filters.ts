// Conformance cases for what the operating tools need beyond plain pages: filters by creation
// time and id prefix, numbered pages (offset), counts of a filter, counts by status that follow
// every transition and deletion, and the reads a change feed catches up with.

import { expect } from "vitest";
import { WorkflowsError } from "../../../src/errors.js";
import type { StoredStatus } from "../../../src/storage/types.js";
import { bytes, claim, create, finished, OTHER_WF, type StoreCase, start, T0, WF } from "./support.js";

const ids = (page: { items: { id: string }[] }) => page.items.map((i) => i.id);
const nonZero = (counts: Partial<Record<StoredStatus, number>>) =>
  Object.fromEntries(Object.entries(counts).filter(([, n]) => n !== 0));

export function listingFilterCases(test: StoreCase): void {
  test("listInstances filters by creation time, both bounds inclusive", async (store) => {
    for (let i = 0; i < 6; i++) await create(store, `t${i}`, T0 + i * 10);
    const page = await store.listInstances({
      workflow: WF,
      limit: 10,
      createdFrom: T0 + 10,
      createdTo: T0 + 30,
    });
    expect(ids(page)).toEqual(["t3", "t2", "t1"]);
    expect(await store.countInstances({ workflow: WF, createdFrom: T0 + 10, createdTo: T0 + 30 })).toBe(3);
    expect(ids(await store.listInstances({ workflow: WF, limit: 10, createdFrom: T0 + 41 }))).toEqual(["t5"]);
  });

  test("listInstances filters by id prefix, alone or with a status", async (store) => {
    for (const id of ["order-1", "order-2", "orders", "other", "ord"]) await create(store, id, T0);
    await store.terminate(WF, "order-2", T0 + 1);
    const page = await store.listInstances({ workflow: WF, limit: 10, idPrefix: "order" });
    expect(ids(page).sort()).toEqual(["order-1", "order-2", "orders"]);
    expect(await store.countInstances({ workflow: WF, idPrefix: "order-" })).toBe(2);
    const queued = await store.listInstances({
      workflow: WF,
      limit: 10,
      idPrefix: "order-",
      status: "queued",
    });
    expect(ids(queued)).toEqual(["order-1"]);
  });

  test("offset pages number the same order as cursors", async (store) => {
    for (let i = 0; i < 7; i++) await create(store, `p${i}`, T0 + i);
    const second = await store.listInstances({ workflow: WF, limit: 3, offset: 3 });
    expect(ids(second)).toEqual(["p3", "p2", "p1"]);
    const last = await store.listInstances({ workflow: WF, limit: 3, offset: 6 });
    expect(ids(last)).toEqual(["p0"]);
    expect(last.nextCursor).toBeNull();
  });

  test("a cursor this store did not make is refused with query.invalid", async (store) => {
    const bad = store.listInstances({ workflow: WF, limit: 3, cursor: "not-a-cursor" });
    await expect(bad).rejects.toSatisfy((e) => WorkflowsError.is(e) && e.code === "query.invalid");
  });

  test("countInstances counts one workflow, by status or in all", async (store) => {
    for (let i = 0; i < 4; i++) await create(store, `c${i}`, T0 + i);
    await create(store, "elsewhere", T0, { workflow: OTHER_WF });
    await store.terminate(WF, "c0", T0 + 10);
    expect(await store.countInstances({ workflow: WF })).toBe(4);
    expect(await store.countInstances({ workflow: WF, status: "queued" })).toBe(3);
    expect(await store.countInstances({ workflow: WF, status: "terminated" })).toBe(1);
    expect(await store.countInstances({ workflow: "nothing-here" })).toBe(0);
  });

  test("counts by status follow claims, finishes, restarts and deletions", async (store) => {
    await finished(store, "done", T0, { status: "complete", output: bytes("o") });
    for (let i = 0; i < 3; i++) await create(store, `k${i}`, T0 + i);
    await claim(store, T0 + 5, { total: 2, slots: { [WF]: 2 } });
    expect(nonZero(await store.countByStatus(WF))).toEqual({ running: 2, queued: 1, complete: 1 });
    await store.restart(WF, "done", T0 + 7);
    await store.deleteInstances(WF, ["k2"], T0 + 8);
    const counts = nonZero(await store.countByStatus(WF));
    expect(counts).toEqual({ running: 2, queued: 1 });
    expect(await store.countInstances({ workflow: WF })).toBe(3);
  });

  test("changedSince returns rows changed at or after a time, and every running instance", async (store) => {
    await start(store, "busy", T0);
    await create(store, "old", T0);
    await create(store, "new", T0 + 100);
    await store.terminate(WF, "old", T0 + 200);
    const changed = await store.changedSince(T0 + 100, 100);
    expect(changed.map((c) => [c.id, c.status]).sort()).toEqual([
      ["busy", "running"],
      ["new", "queued"],
      ["old", "terminated"],
    ]);
    expect((await store.changedSince(T0 + 201, 100)).map((c) => c.id)).toEqual(["busy"]);
  });

  test("deletedSince remembers deletions with their time", async (store) => {
    await create(store, "a", T0);
    await create(store, "b", T0);
    await store.deleteInstances(WF, ["a"], T0 + 10);
    await store.deleteInstances(WF, ["b"], T0 + 20);
    const all = await store.deletedSince(T0, 10);
    expect(all).toEqual([
      { workflow: WF, id: "a", deletedAt: T0 + 10 },
      { workflow: WF, id: "b", deletedAt: T0 + 20 },
    ]);
    expect((await store.deletedSince(T0 + 11, 10)).map((d) => d.id)).toEqual(["b"]);
  });
}
