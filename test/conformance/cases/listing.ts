// Conformance cases for listing instances, as the HTTP API, CLI and dashboard page through them:
// filter by status, newest or oldest first, cursors that neither repeat nor skip an instance
// (even when instances are created between pages), and counts by status.

import { expect } from "vitest";
import type { ListQuery, Store, StoredStatus } from "../../../src/storage/types.js";
import { bytes, claim, create, finished, hibernate, OTHER_WF, type StoreCase, T0, WF } from "./support.js";

/** Follows cursors to the end and returns the ids of every page. */
async function allPages(store: Store, query: ListQuery): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor = query.cursor;
  for (let guard = 0; guard < 100; guard++) {
    const page = await store.listInstances({ ...query, cursor });
    pages.push(page.items.map((i) => i.id));
    if (page.nextCursor === null) return pages;
    cursor = page.nextCursor;
  }
  throw new Error("pagination did not end");
}

async function createMany(store: Store, count: number, workflow = WF): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `i${String(i).padStart(2, "0")}`;
    await create(store, id, T0 + i, { workflow });
    ids.push(id);
  }
  return ids;
}

/** Counts without the statuses an adapter reports as zero (the contract allows either). */
const nonZero = (counts: Partial<Record<StoredStatus, number>>) =>
  Object.fromEntries(Object.entries(counts).filter(([, n]) => n !== 0));

export function listingCases(test: StoreCase): void {
  test("listInstances is newest first by default and oldest first with order asc", async (store) => {
    const ids = await createMany(store, 5);
    const desc = await store.listInstances({ workflow: WF, limit: 10 });
    expect(desc.items.map((i) => i.id)).toEqual([...ids].reverse());
    expect(desc.nextCursor).toBeNull();
    const asc = await store.listInstances({ workflow: WF, limit: 10, order: "asc" });
    expect(asc.items.map((i) => i.id)).toEqual(ids);
  });

  test("listInstances lists one workflow only", async (store) => {
    await createMany(store, 2);
    await create(store, "elsewhere", T0, { workflow: OTHER_WF });
    const page = await store.listInstances({ workflow: OTHER_WF, limit: 10 });
    expect(page.items.map((i) => [i.workflow, i.id])).toEqual([[OTHER_WF, "elsewhere"]]);
    expect((await store.listInstances({ workflow: "nothing-here", limit: 10 })).items).toEqual([]);
  });

  test("listInstances filters by status", async (store) => {
    await hibernate(store, "sleeping", T0, { wakeAt: T0 + 1_000, waitTypes: ["e"] });
    await finished(store, "done", T0 + 1, { status: "complete", output: bytes("o") });
    await create(store, "q1", T0 + 2);
    await create(store, "q2", T0 + 3);
    const queued = await store.listInstances({ workflow: WF, status: "queued", limit: 10 });
    expect(queued.items.map((i) => i.id)).toEqual(["q2", "q1"]);
    const waiting = await store.listInstances({ workflow: WF, status: "waiting", limit: 10 });
    expect(waiting.items).toHaveLength(1);
    expect(waiting.items[0]).toMatchObject({
      id: "sleeping",
      status: "waiting",
      wakeAt: T0 + 1_000,
      waitTypes: ["e"],
    });
    const paused = await store.listInstances({ workflow: WF, status: "paused", limit: 10 });
    expect(paused).toEqual({ items: [], nextCursor: null });
  });

  test("cursor pagination covers every instance once, in both orders", async (store) => {
    const ids = await createMany(store, 7);
    const desc = await allPages(store, { workflow: WF, limit: 3 });
    expect(desc.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(desc.flat()).toEqual([...ids].reverse());
    const asc = await allPages(store, { workflow: WF, limit: 3, order: "asc" });
    expect(asc.flat()).toEqual(ids);
  });

  test("the last full page has no next cursor when nothing follows it", async (store) => {
    await createMany(store, 6);
    const pages = await allPages(store, { workflow: WF, limit: 3 });
    expect(pages.map((p) => p.length)).toEqual([3, 3]);
  });

  test("cursor pagination with a status filter skips other statuses without gaps", async (store) => {
    const ids = await createMany(store, 8);
    for (const id of ids.filter((_, i) => i % 2 === 1)) await store.terminate(WF, id, T0 + 100);
    const queued = ids.filter((_, i) => i % 2 === 0);
    const pages = await allPages(store, { workflow: WF, status: "queued", limit: 3, order: "asc" });
    expect(pages.flat()).toEqual(queued);
    const terminated = await allPages(store, { workflow: WF, status: "terminated", limit: 2 });
    expect(terminated.flat()).toEqual(ids.filter((_, i) => i % 2 === 1).reverse());
  });

  test("instances created between pages neither repeat nor shift what follows", async (store) => {
    const ids = await createMany(store, 6);
    const first = await store.listInstances({ workflow: WF, limit: 2 });
    for (let i = 0; i < 3; i++) await create(store, `new${i}`, T0 + 50 + i);
    const rest = await allPages(store, { workflow: WF, limit: 2, cursor: first.nextCursor! });
    const seen = [...first.items.map((i) => i.id), ...rest.flat()];
    expect(seen).toEqual([...ids].reverse());
  });

  test("countByStatus counts the instances of one workflow by status", async (store) => {
    expect(nonZero(await store.countByStatus(WF))).toEqual({});
    await hibernate(store, "w", T0, { wakeAt: T0 + 10, waitTypes: [] });
    await finished(store, "c", T0, { status: "complete", output: bytes("o") });
    await finished(store, "e", T0, { status: "errored", error: { name: "E", message: "m" } });
    await createMany(store, 3);
    await claim(store, T0 + 1, { total: 1, slots: { [WF]: 1 } });
    await create(store, "p", T0 + 2);
    await store.requestPause(WF, "p", T0 + 3);
    await create(store, "elsewhere", T0, { workflow: OTHER_WF });
    expect(nonZero(await store.countByStatus(WF))).toEqual({
      waiting: 1,
      complete: 1,
      errored: 1,
      queued: 2,
      running: 1,
      paused: 1,
    });
    expect(nonZero(await store.countByStatus(OTHER_WF))).toEqual({ queued: 1 });
  });
}
