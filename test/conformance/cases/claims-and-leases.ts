// Conformance cases for claiming work and holding it: queued instances start oldest first within
// per-workflow and total slots (a busy workflow cannot starve the others), waking instances go
// first, expired leases move to a new owner with a higher epoch, and lease renewal, release and
// nextWakeAt behave as the contract says.

import { expect } from "vitest";
import {
  bytes,
  claim,
  create,
  expectStale,
  expectStatus,
  fenceOf,
  hibernate,
  mustGet,
  newInstance,
  OTHER_WF,
  OWNER_A,
  OWNER_B,
  plain,
  runningStep,
  type StoreCase,
  start,
  T0,
  WF,
} from "./support.js";

const ids = (claims: { instance: { id: string } }[]) => claims.map((c) => c.instance.id);

export function claimCases(test: StoreCase): void {
  test("queued instances are claimed oldest first", async (store) => {
    await create(store, "first", T0);
    await create(store, "second", T0 + 1);
    await create(store, "third", T0 + 2);
    expect(ids(await claim(store, T0 + 10, { total: 2 }))).toEqual(["first", "second"]);
    expect(ids(await claim(store, T0 + 10, { total: 2 }))).toEqual(["third"]);
    expect(await claim(store, T0 + 10)).toEqual([]);
  });

  test("under the total cap the oldest queued instance starts first, whatever its workflow", async (store) => {
    await create(store, "other-oldest", T0, { workflow: OTHER_WF });
    await create(store, "mine", T0 + 1);
    await create(store, "other-newest", T0 + 2, { workflow: OTHER_WF });
    const slots = { [WF]: 5, [OTHER_WF]: 5 };
    expect(ids(await claim(store, T0 + 10, { slots, total: 1 }))).toEqual(["other-oldest"]);
    expect(ids(await claim(store, T0 + 10, { slots, total: 1 }))).toEqual(["mine"]);
    expect(ids(await claim(store, T0 + 10, { slots, total: 1 }))).toEqual(["other-newest"]);
  });

  test("under the total cap the instance due earliest wakes first, whatever its workflow", async (store) => {
    await hibernate(store, "mine", T0, { wakeAt: T0 + 200, waitTypes: [] });
    const { fence } = await start(store, "other", T0, { workflow: OTHER_WF });
    await store.suspend(fence, { wakeAt: T0 + 100, waitTypes: [] }, T0);
    const slots = { [WF]: 5, [OTHER_WF]: 5 };
    expect(ids(await claim(store, T0 + 300, { slots, total: 1 }))).toEqual(["other"]);
    expect(ids(await claim(store, T0 + 300, { slots, total: 1 }))).toEqual(["mine"]);
  });

  test("a claim respects each workflow's free slots and leaves out workflows without slots", async (store) => {
    for (const id of ["a1", "a2", "a3"]) await create(store, id, T0);
    for (const id of ["b1", "b2", "b3"]) await create(store, id, T0, { workflow: OTHER_WF });
    await create(store, "c1", T0, { workflow: "unlisted" });
    const claims = await claim(store, T0, { slots: { [WF]: 1, [OTHER_WF]: 2 }, total: 10 });
    expect(ids(claims).sort()).toEqual(["a1", "b1", "b2"]);
    expect((await mustGet(store, "c1", "unlisted")).status).toBe("queued");
    expect((await mustGet(store, "a2")).status).toBe("queued");
  });

  test("a claim respects the total number of free slots", async (store) => {
    for (const id of ["a1", "a2", "a3"]) await create(store, id, T0);
    for (const id of ["b1", "b2", "b3"]) await create(store, id, T0, { workflow: OTHER_WF });
    const claims = await claim(store, T0, { slots: { [WF]: 5, [OTHER_WF]: 5 }, total: 2 });
    expect(claims).toHaveLength(2);
    const counts = await store.countByStatus(WF);
    const other = await store.countByStatus(OTHER_WF);
    expect((counts.running ?? 0) + (other.running ?? 0)).toBe(2);
    expect((counts.queued ?? 0) + (other.queued ?? 0)).toBe(4);
  });

  test("a claimed instance is running with a new epoch, the lease and a WORKFLOW_START entry", async (store) => {
    const seq = await create(store, "go", T0);
    const before = await mustGet(store, "go");
    const [c] = await claim(store, T0 + 50, { owner: OWNER_B, leaseMs: 3_000 });
    expect(c).toMatchObject({ waking: false, instance: { seq, id: "go", workflow: WF, status: "running" } });
    expect(c!.recovered).toBeFalsy();
    expect(c!.instance.epoch).toBeGreaterThan(before.epoch);
    expect(c!.instance).toMatchObject({
      leaseOwner: OWNER_B,
      leaseExpiresAt: T0 + 3_050,
      startedAt: T0 + 50,
    });
    expect(plain(await mustGet(store, "go"))).toEqual(plain(c!.instance));
    const log = await store.readLog(seq);
    expect(log.map((e) => e.type)).toEqual(["WORKFLOW_QUEUED", "WORKFLOW_START"]);
    expect(log[1]!.at).toBe(T0 + 50);
  });

  test("a claim of just-created instances takes them running, fresh, leased and logged", async (store) => {
    const seqs = [await create(store, "made-1", T0), await create(store, "made-2", T0)];
    const claims = await claim(store, T0 + 5, {
      owner: OWNER_B,
      leaseMs: 3_000,
      created: { workflow: WF, seqs },
    });
    expect(ids(claims)).toEqual(["made-1", "made-2"]);
    for (const c of claims) {
      expect(c).toMatchObject({
        waking: false,
        fresh: true,
        instance: { status: "running", leaseOwner: OWNER_B },
      });
      expect(c.instance.leaseExpiresAt).toBe(T0 + 3_005);
      expect(plain(await mustGet(store, c.instance.id))).toEqual(plain(c.instance));
      expect((await store.readLog(c.instance.seq)).map((e) => e.type)).toEqual([
        "WORKFLOW_QUEUED",
        "WORKFLOW_START",
      ]);
    }
    expect(await claim(store, T0 + 10)).toEqual([]);
  });

  test("a claim of just-created instances keeps the queue's order and the slots", async (store) => {
    await create(store, "older", T0);
    const newer = await create(store, "newer", T0 + 1);
    const first = await claim(store, T0 + 5, { total: 1, created: { workflow: WF, seqs: [newer] } });
    // A store may take the older one instead (a full claim), never the newer one ahead of it.
    expect(ids(first)).not.toContain("newer");
    const rest = await claim(store, T0 + 5);
    expect([...ids(first), ...ids(rest)]).toEqual(["older", "newer"]);

    const made = [await create(store, "s1", T0 + 2), await create(store, "s2", T0 + 2)];
    const one = await claim(store, T0 + 6, {
      slots: { [WF]: 1 },
      total: 5,
      created: { workflow: WF, seqs: made },
    });
    expect(ids(one)).toEqual(["s1"]);
    expect((await mustGet(store, "s2")).status).toBe("queued");
  });

  test("an event that wakes a waiter is claimed with the woken seq, running, waking and leased", async (store) => {
    const { seq } = await hibernate(store, "inbox", T0, { wakeAt: null, waitTypes: ["go"] });
    const sent = await store.sendEvent(WF, "inbox", { type: "go", payload: bytes("1") }, T0 + 5);
    expect(sent.outcome).toBe("sent");
    // A store whose claim does not share the event's commit tells which instance it made due.
    if (!store.capabilities.claimSharesCreateCommit) expect(sent).toMatchObject({ woken: seq });
    const claims = await claim(store, T0 + 6, {
      owner: OWNER_B,
      leaseMs: 3_000,
      woken: { workflow: WF, seqs: [seq] },
    });
    expect(ids(claims)).toEqual(["inbox"]);
    const [c] = claims;
    expect(c).toMatchObject({ waking: true, instance: { status: "running", leaseOwner: OWNER_B } });
    expect(c!.fresh).toBeFalsy();
    expect(c!.instance.leaseExpiresAt).toBe(T0 + 3_006);
    expect(plain(await mustGet(store, "inbox"))).toEqual(plain(c!.instance));
    expect(await claim(store, T0 + 10)).toEqual([]);
  });

  test("an event that does not wake its instance reports no seq, and a woken claim leaves the instance", async (store) => {
    const { seq } = await hibernate(store, "inbox", T0, { wakeAt: null, waitTypes: ["go"] });
    const sent = await store.sendEvent(WF, "inbox", { type: "other", payload: bytes("1") }, T0 + 5);
    expect(sent).toMatchObject({ outcome: "sent", status: "waiting" });
    expect(sent).not.toHaveProperty("woken");
    expect(await claim(store, T0 + 6, { woken: { workflow: WF, seqs: [seq] } })).toEqual([]);
    expect((await mustGet(store, "inbox")).status).toBe("waiting");
  });

  test("a claim of just-woken instances never takes one ahead of an instance due earlier", async (store) => {
    await hibernate(store, "early", T0, { wakeAt: T0 + 10, waitTypes: [] });
    const { seq } = await hibernate(store, "inbox", T0, { wakeAt: null, waitTypes: ["go"] });
    await store.sendEvent(WF, "inbox", { type: "go", payload: bytes("1") }, T0 + 20);
    const first = await claim(store, T0 + 21, { total: 1, woken: { workflow: WF, seqs: [seq] } });
    // A store may take the earlier one instead (a full claim), never the woken one ahead of it.
    expect(ids(first)).not.toContain("inbox");
    const rest = await claim(store, T0 + 21);
    expect([...ids(first), ...ids(rest)]).toEqual(["early", "inbox"]);
  });

  test("a due waiting instance is claimed before an older queued one, with waking true", async (store) => {
    // `old` gets the lower seq but is queued again (restart) after `sleeper` went to sleep.
    await create(store, "old", T0);
    await create(store, "sleeper", T0);
    const both = await claim(store, T0);
    const sleeper = both.find((c) => c.instance.id === "sleeper")!;
    await store.suspend(fenceOf(sleeper), { wakeAt: T0 + 100, waitTypes: [] }, T0 + 1);
    await store.restart(WF, "old", T0 + 2);

    const first = await claim(store, T0 + 100, { total: 1 });
    expect(first.map((c) => [c.instance.id, c.waking])).toEqual([["sleeper", true]]);
    expect(first[0]!.instance.epoch).toBeGreaterThan(sleeper.instance.epoch);
    expect(first[0]!.instance.startedAt).toBe(T0);
    const second = await claim(store, T0 + 100, { total: 1 });
    expect(second.map((c) => [c.instance.id, c.waking])).toEqual([["old", false]]);
  });

  test("a waiting instance is not claimed before its wakeAt and is claimed at it", async (store) => {
    await hibernate(store, "nap", T0, { wakeAt: T0 + 1_000, waitTypes: [] });
    expect(await claim(store, T0 + 999)).toEqual([]);
    expect((await mustGet(store, "nap")).status).toBe("waiting");
    const claims = await claim(store, T0 + 1_000);
    expect(claims.map((c) => [c.instance.id, c.waking])).toEqual([["nap", true]]);
  });

  test("an instance waiting for an event without deadline is never claimed by time alone", async (store) => {
    await hibernate(store, "inbox", T0, { wakeAt: null, waitTypes: ["approval"] });
    expect(await claim(store, T0 + 365 * 24 * 3_600_000)).toEqual([]);
  });

  test("a waking instance needs a free slot of its workflow", async (store) => {
    await hibernate(store, "nap", T0, { wakeAt: T0 + 10, waitTypes: [] });
    expect(await claim(store, T0 + 10, { slots: { [OTHER_WF]: 5 } })).toEqual([]);
    expect(await claim(store, T0 + 10, { total: 0 })).toEqual([]);
    expect(ids(await claim(store, T0 + 10, { slots: { [WF]: 1 }, total: 1 }))).toEqual(["nap"]);
  });

  test("an expired lease is claimed by another owner with a higher epoch", async (store) => {
    const { claim: first, fence } = await start(store, "orphan", T0, { owner: OWNER_A, leaseMs: 1_000 });
    expect(await claim(store, T0 + 500, { owner: OWNER_B })).toEqual([]);
    const taken = await claim(store, T0 + 1_001, { owner: OWNER_B, leaseMs: 2_000 });
    expect(taken.map((c) => [c.instance.id, c.waking])).toEqual([["orphan", true]]);
    // Taken over from a holder that stopped mid-run: the runner commits attempt starts first.
    expect(taken[0]!.recovered).toBe(true);
    expect(first.recovered).toBeFalsy();
    const instance = taken[0]!.instance;
    expect(instance.epoch).toBeGreaterThan(first.instance.epoch);
    expect(instance).toMatchObject({ leaseOwner: OWNER_B, leaseExpiresAt: T0 + 3_001, status: "running" });
    await expectStale(store.appendLog(fence, [{ type: "STEP_START" }], T0 + 1_002));
  });

  test("expired leases of workflows not asked for do not hide those of the ones asked for", async (store) => {
    // Forty orphans of another workflow expire first; the window of orphans a claim looks at
    // must not fill up with them while this workflow's orphan waits behind.
    await store.createInstances(
      Array.from({ length: 40 }, (_, i) => newInstance(`other-${i}`, { workflow: OTHER_WF })),
      T0,
    );
    const others = await claim(store, T0, {
      owner: OWNER_A,
      leaseMs: 1_000,
      slots: { [OTHER_WF]: 40 },
      total: 40,
    });
    expect(others).toHaveLength(40);
    await start(store, "mine", T0 + 1, { owner: OWNER_A, leaseMs: 5_000 });
    const taken = await claim(store, T0 + 10_000, { owner: OWNER_B, slots: { [WF]: 1 }, total: 1 });
    expect(taken.map((c) => [c.instance.id, c.waking])).toEqual([["mine", true]]);
  });

  test("marks a claim fresh only when the instance never started: no journal to read", async (store) => {
    const { claim: first, fence } = await start(store, "once");
    expect(first.fresh).toBe(true);
    await store.recordStep(fence, runningStep("a", T0), [], T0);

    // Restarted from a step: it ran before and keeps journal rows, so it is not fresh.
    const target = { kind: "do" as const, name: "a", count: 1 };
    expect((await store.restartFrom(WF, "once", target, T0 + 1)).outcome).toBe("restarted");
    const [again] = await claim(store, T0 + 2, { slots: { [WF]: 10 } });
    expect(again?.fresh).toBe(false);

    // Restarted from the top: everything is wiped, so it is fresh again.
    expect((await store.restart(WF, "once", T0 + 3)).outcome).toBe("restarted");
    const [third] = await claim(store, T0 + 4, { slots: { [WF]: 10 } });
    expect(third?.fresh).toBe(true);
    expect(await store.loadJournal(fence.seq)).toEqual([]);
  });

  test("a waitingForPause instance whose lease expired becomes paused instead of being claimed", async (store) => {
    const { fence } = await start(store, "pausing", T0, { owner: OWNER_A, leaseMs: 1_000 });
    expect(await store.requestPause(WF, "pausing", T0 + 10)).toEqual({
      outcome: "pausing",
      status: "waitingForPause",
    });
    expect(await claim(store, T0 + 2_000, { owner: OWNER_B })).toEqual([]);
    const record = await mustGet(store, "pausing");
    expectStatus(record, "paused");
    expect(record.pausedAt).toBe(T0 + 2_000);
    expect(record.leaseOwner).toBeNull();
    // Nothing may run it now, and the dead owner's fence no longer writes.
    expect(await claim(store, T0 + 9_000, { owner: OWNER_B })).toEqual([]);
    await expectStale(store.recordStep(fence, runningStep("late", T0), [], T0 + 2_001));
    const log = await store.readLog(record.seq);
    expect(log.map((e) => e.type)).toContain("WORKFLOW_PAUSED");
  });

  test("renewLeases extends only the leases matching owner and epoch", async (store) => {
    await create(store, "mine", T0);
    await create(store, "other", T0);
    const claims = await claim(store, T0, { leaseMs: 1_000 });
    const mine = fenceOf(claims.find((c) => c.instance.id === "mine")!);
    const other = fenceOf(claims.find((c) => c.instance.id === "other")!);
    await store.renewLeases(OWNER_A, [mine, { seq: other.seq, epoch: other.epoch + 1 }], T0, 50_000);
    expect((await mustGet(store, "mine")).leaseExpiresAt).toBe(T0 + 50_000);
    expect((await mustGet(store, "other")).leaseExpiresAt).toBe(T0 + 1_000);
    await store.renewLeases(OWNER_B, [mine, other], T0, 90_000);
    expect((await mustGet(store, "mine")).leaseExpiresAt).toBe(T0 + 50_000);
    expect((await mustGet(store, "other")).leaseExpiresAt).toBe(T0 + 1_000);
    // The renewed lease really holds: at T0 + 2_000 only `other` has expired.
    expect(ids(await claim(store, T0 + 2_000, { owner: OWNER_B }))).toEqual(["other"]);
  });

  test("releaseLease keeps the status and makes the instance claimable at once", async (store) => {
    const { claim: first, fence } = await start(store, "handoff", T0, { leaseMs: 600_000 });
    await store.releaseLease(fence, T0 + 5);
    const record = await mustGet(store, "handoff");
    expect(record.status).toBe("running");
    expect(record.leaseOwner).toBeNull();
    const taken = await claim(store, T0 + 5, { owner: OWNER_B });
    expect(taken.map((c) => [c.instance.id, c.waking])).toEqual([["handoff", true]]);
    expect(taken[0]!.instance.epoch).toBeGreaterThan(first.instance.epoch);
  });

  test("releaseLease with a stale fence leaves the current holder's lease alone", async (store) => {
    const { fence: stale } = await start(store, "held", T0, { owner: OWNER_A, leaseMs: 1_000 });
    expect(ids(await claim(store, T0 + 2_000, { owner: OWNER_B, leaseMs: 60_000 }))).toEqual(["held"]);
    await store.releaseLease(stale, T0 + 2_001);
    expect(await mustGet(store, "held")).toMatchObject({ leaseOwner: OWNER_B, leaseExpiresAt: T0 + 62_000 });
    expect(await claim(store, T0 + 2_002, { owner: OWNER_A })).toEqual([]);
  });

  test("nextWakeAt is null when nothing waits", async (store) => {
    expect(await store.nextWakeAt(OWNER_A, T0)).toBeNull();
    await hibernate(store, "forever", T0, { wakeAt: null, waitTypes: ["approval"] });
    expect(await store.nextWakeAt(OWNER_A, T0)).toBeNull();
  });

  test("nextWakeAt is the earliest wakeAt of a waiting instance", async (store) => {
    await hibernate(store, "late", T0, { wakeAt: T0 + 9_000, waitTypes: [] });
    await hibernate(store, "early", T0, { wakeAt: T0 + 3_000, waitTypes: ["x"] });
    await hibernate(store, "middle", T0, { wakeAt: T0 + 5_000, waitTypes: [] });
    expect(await store.nextWakeAt(OWNER_A, T0)).toBe(T0 + 3_000);
    expect(ids(await claim(store, T0 + 3_000))).toEqual(["early"]);
    expect(await store.nextWakeAt(OWNER_A, T0)).toBe(T0 + 5_000);
  });

  test("nextWakeAt counts another owner's lease expiry but not the caller's own", async (store) => {
    await start(store, "held", T0, { owner: OWNER_A, leaseMs: 4_000 });
    expect(await store.nextWakeAt(OWNER_B, T0)).toBe(T0 + 4_000);
    expect(await store.nextWakeAt(OWNER_A, T0)).toBeNull();
    // With a timer too, the earlier of the two wins, whichever it is.
    await hibernate(store, "later", T0 + 1, { wakeAt: T0 + 9_000, waitTypes: [] });
    expect(await store.nextWakeAt(OWNER_B, T0)).toBe(T0 + 4_000);
    expect(await store.nextWakeAt(OWNER_A, T0)).toBe(T0 + 9_000);
    await hibernate(store, "sooner", T0 + 2, { wakeAt: T0 + 2_500, waitTypes: [] });
    expect(await store.nextWakeAt(OWNER_B, T0)).toBe(T0 + 2_500);
  });
}
