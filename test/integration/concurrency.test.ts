// Concurrency caps: at most `maxRunning` instances run at once per engine and at most `concurrency`
// per workflow; the rest stay `queued` and start oldest first as slots free, and an instance waking
// from a sleep goes before queued ones (work already started goes first, as in production).
// Sleeping instances hold no slot, so a long sleep never starves the queue.

import { FakeClock, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus } from "cairn/testing";
import { describe, expect, it } from "vitest";
import { gates } from "../helpers/lifecycle-gates.js";
import { useLifecycleHarness } from "../helpers/lifecycle-harness.js";

/** The first step waits on the instance's gate. */
class Blocked extends WorkflowEntrypoint {
  async run(event: WorkflowEvent<unknown>, step: WorkflowStep) {
    await step.do("first", { timeout: "30 days" }, async () => gates.get(event.instanceId).wait());
    return event.instanceId;
  }
}

/** Sleeps a minute, then its next step waits on its gate. */
class Sleeper extends WorkflowEntrypoint {
  async run(event: WorkflowEvent<unknown>, step: WorkflowStep) {
    await step.sleep("nap", "1 minute");
    await step.do("after nap", async () => gates.get(event.instanceId).wait());
    return "awake";
  }
}

const statuses = (instances: { status(): Promise<{ status: string }> }[]) =>
  Promise.all(instances.map(async (i) => (await i.status()).status));

describe("concurrency", () => {
  const h = useLifecycleHarness();

  it("runs at most maxRunning instances; queued ones start oldest first as slots free", async () => {
    const cairn = await h.open({
      workflows: { BLOCKED: { name: "blocked", class: Blocked } },
      maxRunning: 2,
    });
    const ids = ["c1", "c2", "c3", "c4", "c5"];
    const instances = [];
    for (const id of ids) instances.push(await cairn.env.BLOCKED.create({ id }));
    await gates.get("c1").reached();
    await gates.get("c2").reached();
    expect(await statuses(instances)).toEqual(["running", "running", "queued", "queued", "queued"]);
    expect(cairn.engine.freeSlots().total).toBe(0);

    gates.get("c1").open();
    await gates.get("c3").reached();
    expect(await statuses(instances)).toEqual(["complete", "running", "running", "queued", "queued"]);
    expect(gates.get("c4").arrivals + gates.get("c5").arrivals).toBe(0);

    gates.get("c3").open();
    await gates.get("c4").reached();
    expect(await statuses(instances)).toEqual(["complete", "running", "complete", "running", "queued"]);

    gates.get("c2").open();
    await gates.get("c5").reached();
    expect(await statuses(instances)).toEqual(["complete", "complete", "complete", "running", "running"]);

    gates.get("c4").open();
    gates.get("c5").open();
    for (const i of instances) await waitForStatus(i, "complete");
  });

  it("applies a workflow's own concurrency cap without holding back other workflows", async () => {
    const cairn = await h.open({
      workflows: {
        LIMITED: { name: "limited", class: Blocked, concurrency: 1 },
        FREE: { name: "free", class: Blocked },
      },
      maxRunning: 10,
    });
    const limited = [];
    for (const id of ["l1", "l2", "l3"]) limited.push(await cairn.env.LIMITED.create({ id }));
    const free = [];
    for (const id of ["f1", "f2", "f3"]) free.push(await cairn.env.FREE.create({ id }));
    await gates.get("l1").reached();
    for (const id of ["f1", "f2", "f3"]) await gates.get(id).reached();
    expect(await statuses(limited)).toEqual(["running", "queued", "queued"]);
    expect(await statuses(free)).toEqual(["running", "running", "running"]);
    expect(cairn.engine.freeSlots().slots).toMatchObject({ limited: 0 });

    gates.get("l1").open();
    await gates.get("l2").reached();
    expect(await statuses(limited)).toEqual(["complete", "running", "queued"]);
    gates.get("l2").open();
    gates.get("l3").open();
    for (const id of ["f1", "f2", "f3"]) gates.get(id).open();
    for (const i of [...limited, ...free]) await waitForStatus(i, "complete");
  });

  it("lets a sleeping instance give up its slot and wake before queued instances", async () => {
    const clock = new FakeClock();
    const cairn = await h.open({
      workflows: {
        BLOCKED: { name: "blocked", class: Blocked },
        SLEEPER: { name: "sleeper", class: Sleeper },
      },
      maxRunning: 1,
      clock,
    });
    const sleeper = await cairn.env.SLEEPER.create({ id: "sleeper" });
    await waitForStatus(sleeper, "waiting");
    // The sleeping instance holds no slot: another one runs.
    const holder = await cairn.env.BLOCKED.create({ id: "holder" });
    await gates.get("holder").reached();
    const queued = await cairn.env.BLOCKED.create({ id: "queued" });
    expect(await queued.status()).toEqual({ status: "queued" });

    // The sleep ends while the only slot is taken: the sleeper stays waiting, not running.
    clock.advance(2 * 60_000);
    expect(await sleeper.status()).toEqual({ status: "waiting" });

    gates.get("holder").open();
    await gates.get("sleeper").reached();
    expect(await statuses([holder, sleeper, queued])).toEqual(["complete", "running", "queued"]);
    expect(gates.get("queued").arrivals).toBe(0);

    gates.get("sleeper").open();
    await gates.get("queued").reached();
    expect(await sleeper.status()).toEqual({ status: "complete", output: "awake" });
    gates.get("queued").open();
    expect(await waitForStatus(queued, "complete")).toEqual({ status: "complete", output: "queued" });
  });
});
