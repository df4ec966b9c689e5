// Runs the storage conformance suite against the PostgreSQL adapter on a real server (the one in
// CAIRN_TEST_DATABASE_URL, or a throwaway one this file starts), one fresh schema per case,
// dropped after the case once the store is closed; then what only this adapter has: the ways
// Cairn.open names PostgreSQL, its errors at open, write order per instance, and closing.

import { Cairn, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus } from "cairn/testing";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PostgresStore } from "../../src/storage/postgres/postgres-store.js";
import type { StepRecord } from "../../src/storage/types.js";
import { openTestDatabase, type TestDatabase } from "../helpers/postgres-server.js";
import { bytes, runningStep, start, T0, WF } from "./cases/support.js";
import { describeStorage } from "./storage.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

describeStorage("postgres", async () => {
  const schema = db.newSchema("conformance");
  const drop = () => db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  try {
    // The contract's cases state lease times in the caller's clock (T0 and on), so leases here
    // follow it; leases on the server's clock are proved in test/reliability/lease-clock.test.ts.
    const store = await PostgresStore.open({ connection: db.url, schema, poolSize: 4, leaseClock: "caller" });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await drop();
      },
    };
  } catch (error) {
    await drop();
    throw error;
  }
});

describe("postgres store", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  class Echo extends WorkflowEntrypoint<{}, { n: number }> {
    async run(event: WorkflowEvent<{ n: number }>, step: WorkflowStep) {
      return step.do("double", async () => event.payload.n * 2);
    }
  }
  const workflows = { ECHO: { name: "echo", class: Echo } };

  async function runOnce(cairn: Cairn<typeof workflows>, id: string) {
    cleanups.push(() => cairn.close());
    const instance = await cairn.env.ECHO.create({ id, params: { n: 21 } });
    expect(await waitForStatus(instance, "complete")).toEqual({ status: "complete", output: 42 });
  }

  const tablesIn = async (schema: string) =>
    (await db.query<{ n: string }>("SELECT count(*) AS n FROM pg_tables WHERE schemaname = $1", [schema]))[0]
      ?.n;

  it("Cairn.open takes a postgres:// URL, with the schema in ?schema= or in postgresSchema", async () => {
    const fromUrl = db.newSchema("url");
    await runOnce(await Cairn.open({ storage: `${db.url}?schema=${fromUrl}`, workflows }), "u");
    expect(Number(await tablesIn(fromUrl))).toBeGreaterThan(0);
    const fromOption = db.newSchema("opt");
    await runOnce(await Cairn.open({ storage: db.url, postgresSchema: fromOption, workflows }), "o");
    expect(Number(await tablesIn(fromOption))).toBeGreaterThan(0);
  });

  it("Cairn.open takes a pg config object, or a pg Pool that it leaves open at close", async () => {
    await runOnce(
      await Cairn.open({
        storage: { connectionString: db.url, max: 3 },
        postgresSchema: db.newSchema("cfg"),
        workflows,
      }),
      "c",
    );
    const pool = new pg.Pool({ connectionString: db.url, max: 4 });
    cleanups.push(() => pool.end());
    const cairn = await Cairn.open({ storage: pool, postgresSchema: db.newSchema("pool"), workflows });
    await runOnce(cairn, "p");
    await cairn.close();
    expect((await pool.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
  });

  it("refuses a schema name that is not a plain identifier", async () => {
    const error = await Cairn.open({ storage: db.url, postgresSchema: 'x"; drop', workflows }).catch(
      (e) => e,
    );
    expect(error).toMatchObject({ code: "storage.invalid_url" });
  });

  it("an unreachable server fails open with storage.unavailable, naming it without the password", async () => {
    const error = await PostgresStore.open({
      connection: "postgres://cairn:s3cret@127.0.0.1:1/nowhere",
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "storage.unavailable" });
    expect((error as Error).message).toContain("127.0.0.1:1");
    expect((error as Error).message).not.toContain("s3cret");
  });

  it("refuses a schema migrated by a newer Cairn", async () => {
    const schema = db.newSchema("newer");
    const store = await PostgresStore.open({ connection: db.url, schema });
    await store.close();
    await db.query(
      `INSERT INTO "${schema}".schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`,
    );
    const error = await PostgresStore.open({ connection: db.url, schema }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "storage.migration_failed" });
    expect((error as Error).message).toContain("999");
  });

  it("writes of one instance land in the order they were issued, even when not awaited", async () => {
    const store = await PostgresStore.open({
      connection: db.url,
      schema: db.newSchema("order"),
      poolSize: 8,
    });
    cleanups.push(() => store.close());
    const { fence } = await start(store, "ordered");
    // As the engine does: an attempt's start is not awaited before its result is written.
    const writes: Promise<void>[] = [];
    for (let attempt = 1; attempt <= 40; attempt++) {
      writes.push(store.recordStep(fence, { ...runningStep("s", T0), attempts: attempt }, [], T0 + attempt));
    }
    const done: StepRecord = {
      ...runningStep("s", T0),
      status: "succeeded",
      attempts: 40,
      value: bytes("v"),
      endedAt: T0 + 41,
      event: null,
    };
    writes.push(store.recordStep(fence, done, [{ type: "STEP_SUCCESS", stepKey: "do:s:1" }], T0 + 41));
    await Promise.all(writes);
    const [record] = await store.loadJournal(fence.seq);
    expect(record).toMatchObject({ status: "succeeded", attempts: 40 });
  });

  it("a closed store refuses calls with engine.closed", async () => {
    const store = await PostgresStore.open({ connection: db.url, schema: db.newSchema("closed") });
    await store.close();
    await expect(store.getInstance(WF, "x")).rejects.toMatchObject({ code: "engine.closed" });
    await expect(store.recordStep({ seq: 1, epoch: 1 }, runningStep("s", T0), [], T0)).rejects.toMatchObject({
      code: "engine.closed",
    });
  });
});
