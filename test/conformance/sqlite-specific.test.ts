// Behaviour only the SQLite adapter has, beyond the shared conformance suite: the process lock
// on the file, idempotent migrations, leases released at open, group commit on the writer
// thread (counted from the commit frames in the WAL file, not from timing) and ":memory:".

import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { WorkflowsError } from "../../src/errors.js";
import { EXPIRED_LEASES_SQL } from "../../src/storage/sqlite/claims.js";
import { migrations } from "../../src/storage/sqlite/migrations.js";
import { SqliteStore } from "../../src/storage/sqlite/sqlite-store.js";
import type { Fence, StepRecord, Store } from "../../src/storage/types.js";
import { tempDir } from "../helpers/temp-store.js";
import { claim, create, mustGet, OWNER_A, OWNER_B, runningStep, start, T0, WF } from "./cases/support.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function folder(): string {
  const { dbPath, cleanup } = tempDir("cairn-sqlite-");
  cleanups.push(cleanup);
  return dbPath;
}

/** Opens a store that is closed after the test (closing twice is harmless). */
async function open(path: string): Promise<SqliteStore> {
  const store = await SqliteStore.open({ path });
  cleanups.push(() => store.close());
  return store;
}

async function openError(path: string): Promise<unknown> {
  return SqliteStore.open({ path }).then(
    async (store) => {
      await store.close();
      return undefined;
    },
    (error: unknown) => error,
  );
}

/**
 * Counts the transactions committed to the WAL file since it was last reset: the last frame of
 * each commit carries the database size, other frames carry 0. Frames left from before the
 * reset have other salts and are not counted.
 */
function walCommits(dbPath: string): number {
  const wal = readFileSync(`${dbPath}-wal`);
  if (wal.length < 32) return 0;
  const pageSize = wal.readUInt32BE(8);
  const salt1 = wal.readUInt32BE(16);
  const salt2 = wal.readUInt32BE(20);
  let commits = 0;
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    if (wal.readUInt32BE(at + 8) !== salt1 || wal.readUInt32BE(at + 12) !== salt2) break;
    if (wal.readUInt32BE(at + 4) !== 0) commits++;
  }
  return commits;
}

/** Moves everything into the database file and empties the WAL, so counting starts at zero. */
function resetWal(dbPath: string): void {
  const db = new Database(dbPath);
  try {
    const [result] = db.pragma("wal_checkpoint(TRUNCATE)") as { busy: number }[];
    expect(result?.busy).toBe(0);
  } finally {
    db.close();
  }
  expect(walCommits(dbPath)).toBe(0);
}

describe("sqlite store", () => {
  it("declares itself single-process", async () => {
    const store = await open(folder());
    expect(store.capabilities.singleProcess).toBe(true);
  });

  it("refuses a second open of the same file with storage.locked until the first is closed", async () => {
    const path = folder();
    const first = await open(path);
    await create(first, "kept");

    const error = await openError(path);
    expect(WorkflowsError.is(error)).toBe(true);
    expect((error as WorkflowsError).code).toBe("storage.locked");
    // The refused open did not disturb the first store.
    await create(first, "still-writable", T0 + 1);

    await first.close();
    const second = await open(path);
    expect((await mustGet(second, "kept")).status).toBe("queued");
    expect((await mustGet(second, "still-writable")).status).toBe("queued");
  });

  it("applies migrations once however often the file is opened", async () => {
    const path = folder();
    for (let i = 0; i < 3; i++) {
      const store = await open(path);
      await create(store, `run-${i}`, T0 + i);
      await store.close();
    }
    const db = new Database(path, { readonly: true });
    try {
      expect(db.prepare("SELECT version FROM schema_migrations ORDER BY version").all()).toEqual(
        migrations.map((m) => ({ version: m.version })),
      );
    } finally {
      db.close();
    }
    const store = await open(path);
    expect((await store.listInstances({ workflow: WF, limit: 10 })).items.map((i) => i.id)).toEqual([
      "run-2",
      "run-1",
      "run-0",
    ]);
  });

  it("refuses a file whose schema is newer than this version knows", async () => {
    const path = folder();
    await (await open(path)).close();
    const db = new Database(path);
    db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)").run();
    db.close();
    const error = await openError(path);
    expect((error as WorkflowsError).code).toBe("storage.migration_failed");
    // One code, stated once.
    expect((error as Error).message.match(/storage\.migration_failed/g)).toHaveLength(1);
    expect((error as Error).message).toMatch(/version 999/);
  });

  it("creates missing parent folders of the file", async () => {
    const base = folder();
    const store = await open(join(`${base}.d`, "nested", "deeper", "cairn.db"));
    cleanups.push(() => rmSync(`${base}.d`, { recursive: true, force: true }));
    await create(store, "x");
    expect((await mustGet(store, "x")).status).toBe("queued");
  });

  it("releases, at open, the leases a previous process held", async () => {
    const path = folder();
    const before = await open(path);
    const { claim: held } = await start(before, "orphan", T0, { owner: OWNER_A, leaseMs: 3_600_000 });
    await before.close();

    const after = await open(path);
    const claims = await claim(after, T0 + 1, { owner: OWNER_B });
    expect(claims.map((c) => [c.instance.id, c.waking])).toEqual([["orphan", true]]);
    expect(claims[0]!.instance.epoch).toBeGreaterThan(held.instance.epoch);
  });

  it("commits writes issued in the same tick together (group commit)", async () => {
    const path = folder();
    const store: Store = await open(path);
    const { fence } = await start(store, "busy");

    // Control: a write awaited before the next one is issued is a commit of its own.
    resetWal(path);
    for (let i = 0; i < 5; i++) await store.recordStep(fence, runningStep(`seq${i}`, T0), [], T0);
    expect(walCommits(path)).toBe(5);

    resetWal(path);
    const calls = 200;
    const writes: Promise<void>[] = [];
    for (let i = 0; i < calls; i++) {
      writes.push(store.recordStep(fence, runningStep(`par${i}`, T0), [{ type: "STEP_START" }], T0));
    }
    await Promise.all(writes);
    const commits = walCommits(path);
    expect(commits).toBeGreaterThanOrEqual(1);
    expect(commits).toBeLessThan(calls);
    expect(await store.loadJournal(fence.seq)).toHaveLength(5 + calls);
  });

  it("one refused write does not undo the others committed with it", async () => {
    const store = await open(folder());
    const { fence } = await start(store, "mixed");
    const stale: Fence = { seq: fence.seq, epoch: fence.epoch + 1 };
    const results = await Promise.allSettled([
      store.recordStep(fence, runningStep("a", T0), [], T0),
      store.recordStep(stale, runningStep("b", T0), [], T0),
      store.recordStep(fence, runningStep("c", T0), [], T0),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((await store.loadJournal(fence.seq)).map((r) => r.key).sort()).toEqual(["do:a:1", "do:c:1"]);
  });

  it("keeps the several log entries of one write in one packed row, shown entry by entry by log_entries", async () => {
    const path = folder();
    const store: Store = await open(path);
    const { fence } = await start(store, "packed");
    const running = runningStep("charge", T0);
    const succeeded: StepRecord = {
      ...running,
      status: "succeeded",
      value: new Uint8Array([1, 2, 3]),
      endedAt: T0 + 7,
      event: null,
    };
    await store.recordStep(
      fence,
      succeeded,
      [
        { type: "STEP_START", stepKey: running.key, at: T0 },
        { type: "ATTEMPT_START", stepKey: running.key, attempt: 1, at: T0 },
        { type: "ATTEMPT_SUCCESS", stepKey: running.key, attempt: 1 },
        { type: "STEP_SUCCESS", stepKey: running.key, attempt: 1, data: { note: "done" } },
      ],
      T0 + 7,
    );
    const all = await store.readLog(fence.seq);
    const steps = all.filter((e) => e.stepKey === running.key);
    expect(steps.map((e) => [e.type, e.at, e.attempt, e.data])).toEqual([
      ["STEP_START", T0, null, null],
      ["ATTEMPT_START", T0, 1, null],
      ["ATTEMPT_SUCCESS", T0 + 7, 1, null],
      ["STEP_SUCCESS", T0 + 7, 1, { note: "done" }],
    ]);
    // Entry seqs are distinct and ordered, after the entries written before.
    expect(all.map((e) => e.seq)).toEqual([...all.map((e) => e.seq)].sort((x, y) => x - y));
    expect(new Set(all.map((e) => e.seq)).size).toBe(all.length);

    const db = new Database(path, { readonly: true });
    try {
      const rows = db.prepare("SELECT count(*) AS n FROM log WHERE step_key = ?").get(running.key) as {
        n: number;
      };
      expect(rows.n).toBe(1);
      type ViewRow = {
        seq: number;
        at: number;
        type: string;
        step_key: string | null;
        attempt: number | null;
        data: string | null;
      };
      const view = db
        .prepare(
          "SELECT seq, at, type, step_key, attempt, data FROM log_entries WHERE instance_seq = ? ORDER BY seq",
        )
        .all(fence.seq) as ViewRow[];
      expect(
        view.map((r) => ({
          seq: r.seq,
          at: r.at,
          type: r.type,
          stepKey: r.step_key,
          attempt: r.attempt,
          data: r.data ? JSON.parse(r.data) : null,
        })),
      ).toEqual(all);
    } finally {
      db.close();
    }
  });

  it("gives log entries written after a reopen seqs past every entry of a packed row", async () => {
    const path = folder();
    const first = await open(path);
    const { fence } = await start(first, "reopened");
    await first.recordStep(
      fence,
      runningStep("a", T0),
      [
        { type: "STEP_START", stepKey: "do:a:1" },
        { type: "ATTEMPT_START", stepKey: "do:a:1", attempt: 1 },
      ],
      T0,
    );
    await first.close();
    const second = await open(path);
    await second.appendLog({ seq: fence.seq, epoch: fence.epoch }, [{ type: "WORKFLOW_PAUSED" }], T0 + 1);
    const log = await second.readLog(fence.seq);
    const seqs = log.map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    expect(log.map((e) => e.type).slice(-3)).toEqual(["STEP_START", "ATTEMPT_START", "WORKFLOW_PAUSED"]);
  });

  it("keeps the WAL file near 1 MB by checkpointing every 256 pages", async () => {
    const path = folder();
    const store = await open(path);
    const { fence } = await start(store, "wal");
    // Each awaited write is a commit of its own, a few pages each: well past 1,000 pages in all.
    for (let i = 0; i < 600; i++) await store.recordStep(fence, runningStep(`w${i}`, T0), [], T0);
    const wal = statSync(`${path}-wal`).size;
    // SQLite's default (1,000 pages) would let it reach about 4 MB.
    expect(wal).toBeLessThan(1.5 * 1024 * 1024);
    expect(wal).toBeGreaterThan(0);
  });

  it("looks for expired leases through the lease index, not a scan of every instance", async () => {
    const path = folder();
    await (await open(path)).close();
    const db = new Database(path, { readonly: true });
    try {
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${EXPIRED_LEASES_SQL}`).all(0, "[]", "me", "me", 10) as {
        detail: string;
      }[];
      const details = plan.map((p) => p.detail).join("; ");
      expect(details).toContain("USING INDEX instances_leased");
      expect(details).not.toMatch(/SCAN instances\b/);
    } finally {
      db.close();
    }
  });

  it('":memory:" works and leaves no folder behind after close', async () => {
    // The store keeps its throwaway file under os.tmpdir(); point that at an empty folder to watch it.
    const watched = mkdtempSync(join(tmpdir(), "cairn-memory-"));
    cleanups.push(() => rmSync(watched, { recursive: true, force: true }));
    // Other tools (tsx's compile cache) may write there too; the store's folder is "cairn-…".
    const scratch = () => readdirSync(watched).filter((name) => name.startsWith("cairn-"));
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = watched;
    let store: SqliteStore;
    try {
      store = await SqliteStore.open({ path: ":memory:" });
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
    }
    cleanups.push(() => store.close());
    expect(scratch()).toHaveLength(1);

    const { fence } = await start(store, "m");
    await store.recordStep(fence, runningStep("a", T0), [], T0);
    expect(await store.loadJournal(fence.seq)).toHaveLength(1);

    await store.close();
    expect(scratch()).toEqual([]);
  });
});
