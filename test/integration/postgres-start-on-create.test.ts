// On PostgreSQL a single create made while this process has a free slot for the workflow starts
// its instance in the create's own statement. The slot is held from before the statement until
// the instance runs, so creates at once never start more than the workflow's concurrency, and a
// process that runs no instances never starts one it creates.

import { Cairn, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase } from "../helpers/postgres-server.js";

let release: () => void = () => {};
let gate = new Promise<void>((resolve) => {
  release = resolve;
});

class Gated extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    return step.do("gated", async () => {
      await gate;
      return "done";
    });
  }
}

const workflows = { GATED: { name: "gated", class: Gated, concurrency: 1 } };
let db: TestDatabase;
let schema: string;
let runner: Cairn<typeof workflows>;

beforeAll(async () => {
  db = await openTestDatabase();
  schema = db.newSchema("start_on_create");
  runner = await Cairn.open({ storage: db.url, postgresSchema: schema, workflows });
}, 120_000);
afterAll(async () => {
  release();
  await runner?.close();
  await db?.close();
});

async function statuses(): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT id, status FROM "${schema}".instances ORDER BY seq`);
    return Object.fromEntries(rows.map((r) => [r.id as string, r.status as string]));
  } finally {
    await client.end();
  }
}

describe("starting an instance in its create's statement on PostgreSQL", () => {
  it("never starts more than the workflow's concurrency, however many creates run at once", async () => {
    const ids = ["a", "b", "c", "d"];
    const instances = await Promise.all(ids.map((id) => runner.env.GATED.create({ id })));
    const stored = await statuses();
    expect(Object.values(stored).filter((s) => s === "running")).toHaveLength(1);
    expect(Object.values(stored).filter((s) => s === "queued")).toHaveLength(3);
    expect(runner.engine.live.size).toBe(1);
    release();
    for (const instance of instances) {
      await expect.poll(async () => (await instance.status()).status, { timeout: 20_000 }).toBe("complete");
    }
  }, 60_000);

  it("leaves what a process that runs no instances creates queued, for a process that does", async () => {
    gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const creator = await Cairn.open({
      storage: db.url,
      postgresSchema: schema,
      workflows,
      runInstances: false,
    });
    try {
      await runner.close();
      const instance = await creator.env.GATED.create({ id: "from-creator" });
      expect((await statuses())["from-creator"]).toBe("queued");
      runner = await Cairn.open({ storage: db.url, postgresSchema: schema, workflows });
      release();
      await expect.poll(async () => (await instance.status()).status, { timeout: 20_000 }).toBe("complete");
    } finally {
      await creator.close();
    }
  }, 60_000);
});
