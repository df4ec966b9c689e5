// Conformance cases for instance affinity and wake-ups on request: an instance whose affinity
// names an owner is claimed by that owner alone (queued, waking or orphaned) and counts in no
// other owner's nextWakeAt; setAffinity pins or frees an instance and takes it away from another
// holder at once; wake makes a waiting instance due now and leaves any other as it is.

import { expect } from "vitest";
import {
  claim,
  create,
  expectStale,
  fenceOf,
  hibernate,
  mustGet,
  OWNER_A,
  OWNER_B,
  runningStep,
  type StoreCase,
  start,
  T0,
  WF,
} from "./support.js";

const ids = (claims: { instance: { id: string } }[]) => claims.map((c) => c.instance.id);

export function affinityCases(test: StoreCase): void {
  test("an instance created with an affinity is claimed by that owner alone", async (store) => {
    await create(store, "pinned", T0, { affinity: OWNER_B });
    await create(store, "free", T0 + 1);
    expect((await mustGet(store, "pinned")).affinity).toBe(OWNER_B);
    expect((await mustGet(store, "free")).affinity).toBeNull();
    expect(ids(await claim(store, T0 + 10, { owner: OWNER_A }))).toEqual(["free"]);
    expect(await claim(store, T0 + 10, { owner: OWNER_A })).toEqual([]);
    const taken = await claim(store, T0 + 10, { owner: OWNER_B });
    expect(ids(taken)).toEqual(["pinned"]);
    expect(taken[0]?.instance).toMatchObject({ status: "running", leaseOwner: OWNER_B, affinity: OWNER_B });
  });

  test("a due waiting instance with an affinity wakes for that owner alone and is in no other's nextWakeAt", async (store) => {
    await hibernate(store, "sleeper", T0, { wakeAt: T0 + 100, waitTypes: [] });
    expect(await store.setAffinity(WF, "sleeper", OWNER_B, T0)).toEqual({
      outcome: "set",
      status: "waiting",
    });
    expect(await store.nextWakeAt(OWNER_A, T0)).toBeNull();
    expect(await store.nextWakeAt(OWNER_B, T0)).toBe(T0 + 100);
    expect(await claim(store, T0 + 200, { owner: OWNER_A })).toEqual([]);
    expect(ids(await claim(store, T0 + 200, { owner: OWNER_B }))).toEqual(["sleeper"]);
  });

  test("setAffinity pins and frees a queued instance; an unknown id is not_found", async (store) => {
    await create(store, "q", T0);
    expect(await store.setAffinity(WF, "q", OWNER_B, T0)).toEqual({ outcome: "set", status: "queued" });
    expect(await claim(store, T0, { owner: OWNER_A })).toEqual([]);
    expect(await store.setAffinity(WF, "q", null, T0)).toEqual({ outcome: "set", status: "queued" });
    expect((await mustGet(store, "q")).affinity).toBeNull();
    expect(ids(await claim(store, T0, { owner: OWNER_A }))).toEqual(["q"]);
    expect(await store.setAffinity(WF, "nope", OWNER_A, T0)).toEqual({ outcome: "not_found" });
  });

  test("setAffinity takes a running instance away from another holder: its writes are stale, the pinned owner takes it over", async (store) => {
    const { fence } = await start(store, "held", T0, { owner: OWNER_A, leaseMs: 60_000 });
    const now = T0 + 5;
    expect(await store.setAffinity(WF, "held", OWNER_B, now)).toEqual({
      outcome: "revoked",
      status: "running",
    });
    await expectStale(store.recordStep(fence, runningStep("charge", now), [], now));
    // The lease ran out at once, and only OWNER_B may take the instance over.
    expect(await store.nextWakeAt(OWNER_A, T0)).toBeNull();
    expect(await store.nextWakeAt(OWNER_B, T0)).toBe(now);
    expect(await claim(store, now, { owner: OWNER_A })).toEqual([]);
    const [taken] = await claim(store, now, { owner: OWNER_B });
    expect(taken).toMatchObject({ instance: { id: "held", leaseOwner: OWNER_B }, recovered: true });
    expect(taken!.instance.epoch).toBeGreaterThan(fence.epoch + 1);
  });

  test("setAffinity by the holder itself keeps its lease and its fence", async (store) => {
    const { fence } = await start(store, "mine", T0, { owner: OWNER_A });
    expect(await store.setAffinity(WF, "mine", OWNER_A, T0)).toEqual({ outcome: "set", status: "running" });
    await store.recordStep(fence, runningStep("charge", T0), [], T0);
    expect(await mustGet(store, "mine")).toMatchObject({ leaseOwner: OWNER_A, epoch: fence.epoch });
  });

  test("wake makes a waiting instance due now and leaves other statuses alone", async (store) => {
    await hibernate(store, "far", T0, { wakeAt: T0 + 86_400_000, waitTypes: ["go"] });
    expect(await claim(store, T0 + 10)).toEqual([]);
    expect(await store.wake(WF, "far", T0 + 10)).toEqual({ outcome: "woken", status: "waiting" });
    expect(await store.nextWakeAt(OWNER_A, T0)).toBe(T0 + 10);
    const [woken] = await claim(store, T0 + 10);
    expect(woken).toMatchObject({ instance: { id: "far", status: "running" }, waking: true });
    const running = fenceOf(woken!);
    expect(await store.wake(WF, "far", T0 + 20)).toEqual({ outcome: "noop", status: "running" });
    expect((await mustGet(store, "far")).epoch).toBe(running.epoch);
    await create(store, "queued", T0);
    expect(await store.wake(WF, "queued", T0 + 20)).toEqual({ outcome: "noop", status: "queued" });
    expect(await store.wake(WF, "nope", T0 + 20)).toEqual({ outcome: "not_found" });
  });
}
