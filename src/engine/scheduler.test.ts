// The scheduler's choices about when to look for work, against a scripted store (a unit test of
// the scheduler alone; the stores' own claims are tested in the conformance suite): a finished
// run frees its slot without a pass unless the last pass left work for want of slots; a slot
// freed during a pass asks for another; on a shared store a pass follows a second later; and
// instances created during a pass are claimed by the one-statement claim once it is over,
// leaving out what the pass took.

import { describe, expect, it } from "vitest";
import type { Claim, ClaimRequest, InstanceRecord, Store } from "../storage/types.js";
import { FakeClock } from "./clock.js";
import { Scheduler, type SchedulerHost } from "./scheduler.js";

function claimOf(seq: number, workflow = "wf"): Claim {
  return {
    instance: { seq, workflow, status: "running" } as InstanceRecord & { status: "running" },
    waking: false,
  };
}

/** A store whose claims answer what the test queues, and that records every request. */
function scriptedHost(options: { singleProcess: boolean; slots: number }) {
  const requests: ClaimRequest[] = [];
  const answers: Claim[][] = [];
  let release: (() => void) | null = null;
  let holdNext = false;
  const live = new Set<number>();
  const clock = new FakeClock(1_000_000);
  const store = {
    capabilities: { singleProcess: options.singleProcess, claimSharesCreateCommit: options.singleProcess },
    async claim(request: ClaimRequest): Promise<Claim[]> {
      requests.push(request);
      if (holdNext) {
        holdNext = false;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      }
      return answers.shift() ?? [];
    },
    async nextWakeAt(): Promise<number | null> {
      return null;
    },
  } as unknown as Store;
  const host: SchedulerHost = {
    store,
    clock,
    owner: "me",
    leaseMs: 30_000,
    freeSlots: () => {
      const free = Math.max(0, options.slots - live.size);
      return { slots: { wf: free }, total: free };
    },
    activate: (claim) => {
      live.add(claim.instance.seq);
    },
    release: () => {},
    isLive: (seq) => live.has(seq),
    report: (error) => {
      throw error;
    },
  };
  return {
    host,
    clock,
    requests,
    live,
    answer: (claims: Claim[]) => answers.push(claims),
    /** The next claim waits until `proceed` is called. */
    holdNextClaim: () => {
      holdNext = true;
    },
    proceed: () => release?.(),
  };
}

/** Lets setImmediate callbacks and the promise chains they start run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe("the scheduler", () => {
  it("passes again when a run ends only if the last pass left work for want of slots", async () => {
    const t = scriptedHost({ singleProcess: true, slots: 2 });
    const scheduler = new Scheduler(t.host);
    // The first pass fills both slots: work may be left.
    t.answer([claimOf(1), claimOf(2)]);
    scheduler.kick();
    await settle();
    expect(t.requests).toHaveLength(1);
    t.live.delete(1);
    scheduler.slotFreed();
    await settle();
    expect(t.requests).toHaveLength(2);
    // That pass found nothing with a slot free: a run ending now asks for no pass.
    t.live.delete(2);
    scheduler.slotFreed();
    await settle();
    expect(t.requests).toHaveLength(2);
    await scheduler.stop();
  });

  it("asks for another pass when a slot frees while a pass is under way", async () => {
    const t = scriptedHost({ singleProcess: true, slots: 2 });
    const scheduler = new Scheduler(t.host);
    scheduler.kick();
    await settle();
    expect(t.requests).toHaveLength(1);
    // Nothing was left for want of slots; now a pass is held at its claim while a run ends.
    t.holdNextClaim();
    scheduler.kick();
    await settle();
    expect(t.requests).toHaveLength(2);
    scheduler.slotFreed();
    t.proceed();
    await settle();
    expect(t.requests).toHaveLength(3);
    await scheduler.stop();
  });

  it("on a shared store, looks again a second after a run ends", async () => {
    const t = scriptedHost({ singleProcess: false, slots: 5 });
    const scheduler = new Scheduler(t.host);
    scheduler.kick();
    await settle();
    expect(t.requests).toHaveLength(1);
    scheduler.slotFreed();
    await settle();
    expect(t.requests).toHaveLength(1);
    t.clock.advance(999);
    await settle();
    expect(t.requests).toHaveLength(1);
    t.clock.advance(1);
    await settle();
    expect(t.requests).toHaveLength(2);
    await scheduler.stop();
  });

  it("claims what was created during a pass once it is over, leaving out what the pass took", async () => {
    const t = scriptedHost({ singleProcess: false, slots: 5 });
    const scheduler = new Scheduler(t.host);
    t.holdNextClaim();
    t.answer([claimOf(7)]);
    scheduler.kick();
    await settle();
    scheduler.claimCreated("wf", [7, 8]);
    scheduler.claimCreated("wf", [9]);
    expect(t.requests).toHaveLength(1);
    t.answer([claimOf(8), claimOf(9)]);
    t.proceed();
    await settle();
    expect(t.requests).toHaveLength(2);
    expect(t.requests[1]!.created).toEqual({ workflow: "wf", seqs: [8, 9] });
    expect([...t.live].sort()).toEqual([7, 8, 9]);
    // All were taken: no full pass follows.
    await settle();
    expect(t.requests).toHaveLength(2);
    await scheduler.stop();
  });

  it("claims a woken instance in one short call, and one woken during a pass once it is over", async () => {
    const t = scriptedHost({ singleProcess: false, slots: 5 });
    const scheduler = new Scheduler(t.host);
    t.answer([claimOf(4)]);
    scheduler.claimWoken("wf", [4]);
    await settle();
    expect(t.requests.map((r) => r.woken)).toEqual([{ workflow: "wf", seqs: [4] }]);
    expect(t.requests[0]!.created).toBeUndefined();
    // Taken: no full pass follows.
    await settle();
    expect(t.requests).toHaveLength(1);

    t.holdNextClaim();
    t.answer([]);
    scheduler.kick();
    await settle();
    scheduler.claimWoken("wf", [5]);
    scheduler.claimCreated("wf", [6]);
    scheduler.claimWoken("wf", [7]);
    t.answer([claimOf(5), claimOf(7)]);
    t.answer([claimOf(6)]);
    t.proceed();
    await settle();
    // Woken and created ones go in separate calls, each kind of a workflow in one.
    expect(t.requests.slice(2).map((r) => r.woken ?? r.created)).toEqual([
      { workflow: "wf", seqs: [5, 7] },
      { workflow: "wf", seqs: [6] },
    ]);
    expect([...t.live].sort()).toEqual([4, 5, 6, 7]);
    await scheduler.stop();
  });

  it("follows a woken claim that left its instance with a full pass", async () => {
    const t = scriptedHost({ singleProcess: false, slots: 5 });
    const scheduler = new Scheduler(t.host);
    t.answer([]);
    scheduler.claimWoken("wf", [3]);
    await settle();
    expect(t.requests.map((r) => r.woken?.seqs ?? "full")).toEqual([[3], "full"]);
    await scheduler.stop();
  });

  it("follows a created claim that left some with a full pass", async () => {
    const t = scriptedHost({ singleProcess: false, slots: 5 });
    const scheduler = new Scheduler(t.host);
    t.answer([claimOf(3)]);
    scheduler.claimCreated("wf", [3, 4]);
    await settle();
    expect(t.requests.map((r) => r.created?.seqs ?? "full")).toEqual([[3, 4], "full"]);
    await scheduler.stop();
  });
});
