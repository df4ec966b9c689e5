// On PostgreSQL, where a create and a claim cannot share a commit, the engine claims what it just
// created in one statement once the create is done, and a finished run frees its slot without a
// scheduler pass: a one-step instance costs the create, the claim, the step and the end. Counted
// in statements (cairn_postgres_round_trips_total), which do not depend on the machine's speed.
// Before, a claim transaction raced each create and another followed it: about 13 statements.

import { Cairn, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase } from "../helpers/postgres-server.js";

class OneStep extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    return step.do("one", async () => 1);
  }
}

let db: TestDatabase;
let cairn: Cairn<{ ONE: { name: string; class: typeof OneStep } }>;

beforeAll(async () => {
  db = await openTestDatabase();
  cairn = await Cairn.open({
    storage: db.url,
    postgresSchema: db.newSchema("claim_path"),
    workflows: { ONE: { name: "one", class: OneStep } },
  });
}, 120_000);
afterAll(async () => {
  await cairn?.close();
  await db?.close();
});

async function statements(): Promise<number> {
  const match = /^cairn_postgres_round_trips_total(?:\{[^}]*\})? (\d+)/m.exec(await cairn.metrics());
  return Number(match?.[1]);
}

describe("the claim path on PostgreSQL", () => {
  it("takes about four statements from create to complete of a one-step instance", async () => {
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
    const before = await statements();
    const runs = 20;
    for (let i = 0; i < runs; i++) await run(`counted-${i}`);
    unsubscribe();
    // The scrapes' own reads and a re-check pass a second after a run ended may fall in the window.
    const perInstance = ((await statements()) - before) / runs;
    expect(perInstance).toBeGreaterThanOrEqual(4);
    expect(perInstance).toBeLessThan(7);
  }, 60_000);
});
