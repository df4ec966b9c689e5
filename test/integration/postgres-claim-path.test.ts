// On PostgreSQL, where a create and a claim cannot share a commit, the engine claims what it just
// created in one statement once the create is done, and a finished run frees its slot without a
// scheduler pass: a one-step instance costs the create, the claim, the step and the end. Counted
// in statements (cairn_postgres_round_trips_total), which do not depend on the machine's speed.
// Before, a claim transaction raced each create and another followed it: about 13 statements.
// An event sent to a hibernated waiter is one statement between its transaction's start and
// commit, the engine claims the instance it woke in one statement, and its stored bytes come from
// the journal it loads: eight statements from sendEvent to complete, where it took about 20.

import {
  Cairn,
  WorkflowEntrypoint,
  type WorkflowEvent,
  type WorkflowInstance,
  type WorkflowStep,
} from "cairn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase } from "../helpers/postgres-server.js";

class Waiter extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    const event = await step.waitForEvent("go", { type: "go", timeout: "1 hour" });
    return step.do("after", async () => event.payload);
  }
}

class OneStep extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    return step.do("one", async () => 1);
  }
}

let db: TestDatabase;
let cairn: Cairn<{
  ONE: { name: string; class: typeof OneStep };
  WAIT: { name: string; class: typeof Waiter };
}>;

beforeAll(async () => {
  db = await openTestDatabase();
  cairn = await Cairn.open({
    storage: db.url,
    postgresSchema: db.newSchema("claim_path"),
    workflows: { ONE: { name: "one", class: OneStep }, WAIT: { name: "wait", class: Waiter } },
    hibernateAfterMs: 0,
  });
}, 120_000);
afterAll(async () => {
  await cairn?.close();
  await db?.close();
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function statements(): Promise<number> {
  const match = /^cairn_postgres_round_trips_total(?:\{[^}]*\})? (\d+)/m.exec(await cairn.metrics());
  return Number(match?.[1]);
}

describe("the claim path on PostgreSQL", () => {
  it("takes four statements from create to complete of a one-step instance", async () => {
    // Completion is heard on the change feed, which reads nothing from the database.
    const finished = new Map<string, () => void>();
    const unsubscribe = cairn.engine.changes.subscribe((change) => {
      if (change.type === "status" && change.status === "complete") finished.get(change.id)?.();
    });
    const run = async (id: string) => {
      const done = new Promise<void>((resolve) => finished.set(id, resolve));
      await cairn.env.ONE.create({ id });
      await done;
    };
    for (let i = 0; i < 5; i++) await run(`warm-${i}`);
    // A scrape's own reads (its gauges count instances) fall in each window: measured alone, the
    // least of a few scrapes in a row.
    let scrape = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) scrape = Math.min(scrape, -(await statements()) + (await statements()));
    const counted: number[] = [];
    for (let i = 0; i < 20; i++) {
      const before = await statements();
      await run(`counted-${i}`);
      counted.push((await statements()) - before - scrape);
    }
    unsubscribe();
    // The median leaves out the few windows a scheduler pass of the shared store's re-check (a
    // second after a run ended) fell in.
    // A scrape's own count queries run while its gauges are collected, before or after the
    // statement counter is read, so what a scrape adds moves by one or two.
    expect(median(counted)).toBeGreaterThanOrEqual(3);
    expect(median(counted)).toBeLessThanOrEqual(5);
  }, 60_000);

  it("takes about eight statements from an event sent to a hibernated waiter until it completes", async () => {
    const waiting = new Map<string, () => void>();
    const finished = new Map<string, () => void>();
    const unsubscribe = cairn.engine.changes.subscribe((change) => {
      if (change.type !== "status") return;
      if (change.status === "waiting") waiting.get(change.id)?.();
      if (change.status === "complete") finished.get(change.id)?.();
    });
    const parked = async (id: string) => {
      const parking = new Promise<void>((resolve) => waiting.set(id, resolve));
      const instance = await cairn.env.WAIT.create({ id });
      await parking;
      // The hibernation is followed by a scheduler pass (to arm the wait's timeout): the count
      // starts once the process sends nothing but a scrape's own reads, twice in a row; that
      // is also what a scrape costs, taken off each window.
      const deadline = Date.now() + 10_000;
      for (let last = -1; ; ) {
        const scrape = -(await statements()) + (await statements());
        if (scrape === last) return { instance, scrape };
        if (Date.now() > deadline) throw new Error("the process never went quiet");
        last = scrape;
      }
    };
    const send = async (id: string, instance: WorkflowInstance) => {
      const done = new Promise<void>((resolve) => finished.set(id, resolve));
      await instance.sendEvent({ type: "go", payload: 1 });
      await done;
    };
    await send("warm", (await parked("warm")).instance);
    const counted: number[] = [];
    for (let i = 0; i < 10; i++) {
      const { instance, scrape } = await parked(`event-${i}`);
      const before = await statements();
      await send(`event-${i}`, instance);
      counted.push((await statements()) - before - scrape);
      expect(await instance.status()).toMatchObject({ status: "complete", output: 1 });
    }
    unsubscribe();
    // The median leaves out the few windows a scheduler pass of the shared store's re-check (a
    // second after a run ended) or a lease renewal fell in.
    // Eight, give or take what a scrape adds moving by one or two (see above); it took about
    // twenty before.
    const perEvent = median(counted);
    expect(perEvent).toBeGreaterThanOrEqual(6);
    expect(perEvent).toBeLessThanOrEqual(11);
  }, 60_000);
});
