// `cairn.inspect.activity`: instances created and finished per UTC minute, on a real SQLite file
// and a real PostgreSQL (CAIRN_TEST_DATABASE_URL, or a throwaway server). A FakeClock puts
// creations and ends (complete, errored, terminated) at known minutes, on both sides of a minute's
// edge; every minute of the window is a bucket, deleted instances and other workflows count
// nowhere, a restarted instance counts at its latest end. Then bad options, and the (workflow, ended_at) index that migrations 6 (SQLite) and 3
// (PostgreSQL) add: a store one version older gains it at open, and the query uses it.

import Database from "better-sqlite3";
import {
  Cairn,
  FakeClock,
  NonRetryableError,
  WorkflowEntrypoint,
  type WorkflowEvent,
  type WorkflowStep,
} from "cairn";
import { waitForStatus } from "cairn/testing";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WorkflowsError } from "../../src/errors.js";
import { migrations as postgresMigrations } from "../../src/storage/postgres/migrations.js";
import { PostgresStore } from "../../src/storage/postgres/postgres-store.js";
import { migrations as sqliteMigrations } from "../../src/storage/sqlite/migrations.js";
import { SqliteStore } from "../../src/storage/sqlite/sqlite-store.js";
import { openTestDatabase, type TestDatabase } from "../helpers/postgres-server.js";
import { tempDir } from "../helpers/temp-store.js";

const MINUTE = 60_000;
/** 12:00 UTC: bucket `n` below is the minute 12:0n. */
const NOON = Date.UTC(2026, 0, 1, 12, 0);
const at = (minute: number, ms = 0) => NOON + minute * MINUTE + ms;

type Mode = "done" | "fail" | "wait";

class Job extends WorkflowEntrypoint<unknown, { mode: Mode }> {
  override async run(event: WorkflowEvent<{ mode: Mode }>, step: WorkflowStep) {
    if (event.payload.mode === "wait") {
      await step.waitForEvent("go", { type: "go", timeout: "1 day" });
    }
    return step.do("work", async () => {
      if (event.payload.mode === "fail") throw new NonRetryableError("failed on purpose");
      return event.payload.mode;
    });
  }
}

const workflows = { JOBS: { name: "jobs", class: Job }, OTHER: { name: "other", class: Job } };

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
}, 120_000);
afterAll(async () => {
  await db?.close();
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const stores = [
  {
    name: "sqlite",
    storage: () => {
      const dir = tempDir("cairn-activity-");
      cleanups.push(dir.cleanup);
      return `sqlite:${dir.dbPath}`;
    },
  },
  { name: "postgres", storage: () => `${db.url}?schema=${db.newSchema("activity")}` },
];

const invalid = (fragment: string) => (e: unknown) =>
  WorkflowsError.is(e) && e.code === "query.invalid" && e.message.includes(fragment);

describe.each(stores)("inspect.activity on $name", ({ storage }) => {
  async function open(clock: FakeClock) {
    const cairn = await Cairn.open({ storage: storage(), workflows, clock });
    cleanups.push(() => cairn.close());
    return cairn;
  }

  /**
   * Minute 0: five instances of "jobs" created (two done at once, three waiting), one created and
   * deleted, one of "other". 12:01:59.999: one created and done. 12:02:00.000: one created and
   * errored, and a waiting one completes. 12:05:59.999: a waiting one is terminated. One waits on.
   */
  async function history() {
    const clock = new FakeClock(at(0, 10_000));
    const cairn = await open(clock);
    const create = (id: string, mode: Mode) => cairn.env.JOBS.create({ id, params: { mode } });
    await waitForStatus(await create("done-1", "done"), "complete");
    await waitForStatus(await create("done-2", "done"), "complete");
    const waiting = [await create("wait-1", "wait"), await create("wait-2", "wait")];
    await create("wait-3", "wait");
    for (const w of waiting) await waitForStatus(w, "waiting");
    const gone = await create("deleted", "done");
    await waitForStatus(gone, "complete");
    await gone.delete();
    await waitForStatus(
      await cairn.env.OTHER.create({ id: "elsewhere", params: { mode: "done" } }),
      "complete",
    );

    clock.set(at(1, 59_999));
    await waitForStatus(await create("edge-before", "done"), "complete");
    clock.set(at(2));
    await waitForStatus(await create("edge-after", "fail"), "errored");
    await waiting[0]!.sendEvent({ type: "go", payload: null });
    await waitForStatus(waiting[0]!, "complete");

    clock.set(at(5, 59_999));
    await waiting[1]!.terminate();
    await waitForStatus(waiting[1]!, "terminated");
    return { cairn, clock };
  }

  it("counts creations and ends per minute, every minute of the window present, oldest first", async () => {
    const { cairn } = await history();
    const buckets = await cairn.inspect.activity("jobs", { from: at(0), to: new Date(at(6, 30_000)) });
    expect(buckets).toEqual([
      { minute: at(0), created: 5, finished: 2 },
      { minute: at(1), created: 1, finished: 1 },
      { minute: at(2), created: 1, finished: 2 },
      { minute: at(3), created: 0, finished: 0 },
      { minute: at(4), created: 0, finished: 0 },
      { minute: at(5), created: 0, finished: 1 },
      { minute: at(6), created: 0, finished: 0 },
    ]);
    const other = await cairn.inspect.activity("other", { from: at(0), to: at(0) });
    expect(other).toEqual([{ minute: at(0), created: 1, finished: 1 }]);
  });

  it("takes from down to its minute's start and to up to its minute's end", async () => {
    const { cairn } = await history();
    // 12:01:59.999 falls in minute 1, 12:02:00.000 in minute 2; to at 12:05:00 still holds 12:05:59.999.
    expect(await cairn.inspect.activity("jobs", { from: at(1, 59_999), to: at(1, 59_999) })).toEqual([
      { minute: at(1), created: 1, finished: 1 },
    ]);
    expect(await cairn.inspect.activity("jobs", { from: new Date(at(2)), to: at(2) })).toEqual([
      { minute: at(2), created: 1, finished: 2 },
    ]);
    expect(await cairn.inspect.activity("jobs", { from: at(4, 1), to: at(5) })).toEqual([
      { minute: at(4), created: 0, finished: 0 },
      { minute: at(5), created: 0, finished: 1 },
    ]);
  });

  it("covers the last 60 minutes up to the clock's now by default, this minute included", async () => {
    const { cairn, clock } = await history();
    const buckets = await cairn.inspect.activity("jobs");
    expect(buckets).toHaveLength(60);
    expect(buckets[0]!.minute).toBe(at(-54));
    expect(buckets.slice(-6)).toEqual([
      { minute: at(0), created: 5, finished: 2 },
      { minute: at(1), created: 1, finished: 1 },
      { minute: at(2), created: 1, finished: 2 },
      { minute: at(3), created: 0, finished: 0 },
      { minute: at(4), created: 0, finished: 0 },
      { minute: at(5), created: 0, finished: 1 },
    ]);
    expect(buckets.slice(0, -6).every((b) => b.created === 0 && b.finished === 0)).toBe(true);

    clock.set(at(7, 30_000));
    const later = await cairn.inspect.activity("jobs");
    expect(later.map((b) => b.minute)).toEqual(Array.from({ length: 60 }, (_, i) => at(i - 52)));
    // With only `from`, the window ends now; with only `to`, it is the 60 minutes up to it.
    expect((await cairn.inspect.activity("jobs", { from: at(5) })).map((b) => b.minute)).toEqual([
      at(5),
      at(6),
      at(7),
    ]);
    const upToTwo = await cairn.inspect.activity("jobs", { to: at(2, 5) });
    expect(upToTwo).toHaveLength(60);
    expect(upToTwo[59]).toEqual({ minute: at(2), created: 1, finished: 2 });
  });

  it("counts a restarted instance where it was created and where it last ended", async () => {
    const { cairn, clock } = await history();
    clock.set(at(7));
    const again = await cairn.env.JOBS.get("done-1");
    await again.restart();
    await waitForStatus(again, "complete");
    const buckets = await cairn.inspect.activity("jobs", { from: at(0), to: at(7) });
    expect(buckets[0]).toEqual({ minute: at(0), created: 5, finished: 1 });
    expect(buckets[7]).toEqual({ minute: at(7), created: 0, finished: 1 });
  });

  it("counts up to 1,440 minutes at once and refuses bad windows and unknown workflows", async () => {
    const cairn = await open(new FakeClock(at(0)));
    const day = await cairn.inspect.activity("jobs", { from: at(0), to: at(1439, 59_999) });
    expect(day).toHaveLength(1440);
    expect(day[1439]).toEqual({ minute: at(1439), created: 0, finished: 0 });

    const refused = (options: unknown) => cairn.inspect.activity("jobs", options as never);
    await expect(refused({ from: at(0), to: at(1440) })).rejects.toSatisfy(
      invalid(
        "from (2026-01-01T12:00:00.000Z) and to (2026-01-02T12:00:00.000Z) cover 1441 minutes, more than the limit of 1440 (24 hours)",
      ),
    );
    await expect(refused({ from: at(10), to: at(9, 59_999) })).rejects.toSatisfy(
      invalid("from (2026-01-01T12:10:00.000Z) must not be after to (2026-01-01T12:09:59.999Z)"),
    );
    await expect(refused({ from: at(1) })).rejects.toSatisfy(
      invalid("from (2026-01-01T12:01:00.000Z) must not be after to (2026-01-01T12:00:00.000Z, now)"),
    );
    await expect(refused({ from: Number.NaN })).rejects.toSatisfy(
      invalid("from must be a Date or a number of milliseconds since the epoch, got NaN"),
    );
    await expect(refused({ to: Number.POSITIVE_INFINITY })).rejects.toSatisfy(
      invalid("to must be a Date or a number of milliseconds since the epoch, got Infinity"),
    );
    await expect(refused({ to: new Date("not a date") })).rejects.toSatisfy(
      invalid("to must be a Date or a number of milliseconds since the epoch, got Date(invalid)"),
    );
    await expect(refused({ from: "yesterday" })).rejects.toSatisfy(invalid('got "yesterday"'));
    await expect(refused({ from: 1e20 })).rejects.toSatisfy(
      invalid(
        "from must be within 8640000000000000 ms of the epoch (what a Date holds), got 100000000000000000000",
      ),
    );
    await expect(refused(null)).rejects.toSatisfy(invalid("activity options must be an object, got null"));
    await expect(cairn.inspect.activity("nope")).rejects.toMatchObject({
      code: "workflow.not_found",
      message: expect.stringContaining('no workflow named "nope"'),
    });
  });
});

/** What the stores run for the finished side, to ask each database for its plan. */
const finishedSql = (table: string) =>
  `SELECT ended_at / 60000 AS m, count(*) AS n FROM ${table}
   WHERE workflow = 'jobs' AND ended_at >= 0 AND ended_at < 60000 GROUP BY m ORDER BY m`;

describe("the index on (workflow, ended_at)", () => {
  it("SQLite migration 6 adds it to a file at version 5, and the finished count uses it", async () => {
    const dir = tempDir("cairn-activity-");
    cleanups.push(dir.cleanup);
    await (await SqliteStore.open({ path: dir.dbPath })).close();
    // Back to version 5: what migrations 6 and later added goes.
    const file = new Database(dir.dbPath);
    file.exec(`DROP INDEX instances_by_end; ALTER TABLE instances DROP COLUMN affinity;
      ALTER TABLE instances DROP COLUMN traceparent; ALTER TABLE instances DROP COLUMN tracestate;
      DELETE FROM schema_migrations WHERE version >= 6`);
    file.close();

    const store = await SqliteStore.open({ path: dir.dbPath });
    await store.close();
    const reopened = new Database(dir.dbPath, { readonly: true });
    cleanups.push(() => void reopened.close());
    expect(reopened.prepare("SELECT max(version) AS v FROM schema_migrations").get()).toEqual({
      v: sqliteMigrations.at(-1)?.version,
    });
    const plan = reopened.prepare(`EXPLAIN QUERY PLAN ${finishedSql("instances")}`).all() as {
      detail: string;
    }[];
    expect(plan.map((p) => p.detail).join("\n")).toContain("COVERING INDEX instances_by_end");
  });

  it("PostgreSQL migration 3 adds it to a schema at version 2, and the finished count can use it", async () => {
    const schema = db.newSchema("activity_index");
    await (await PostgresStore.open({ connection: db.url, schema, poolSize: 2 })).close();
    // Back to version 2: what migrations 3 and later added goes.
    await db.query(`DROP INDEX "${schema}".instances_by_end`);
    await db.query(`ALTER TABLE "${schema}".instances DROP COLUMN affinity`);
    await db.query(`ALTER TABLE "${schema}".instances DROP COLUMN traceparent, DROP COLUMN tracestate`);
    await db.query(`DELETE FROM "${schema}".schema_migrations WHERE version >= 3`);

    await (await PostgresStore.open({ connection: db.url, schema, poolSize: 2 })).close();
    const [row] = await db.query<{ v: number }>(
      `SELECT max(version) AS v FROM "${schema}".schema_migrations`,
    );
    expect(row?.v).toBe(postgresMigrations.at(-1)?.version);
    // A fresh table is small enough that a sequential scan wins; without it, the plan shows the index.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query("SET enable_seqscan = off");
      const plan = await client.query<{ "QUERY PLAN": string }>(
        `EXPLAIN ${finishedSql(`"${schema}".instances`)}`,
      );
      expect(plan.rows.map((r) => r["QUERY PLAN"]).join("\n")).toContain("instances_by_end");
    } finally {
      await client.end();
    }
  });
});
