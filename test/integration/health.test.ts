// cairn.health() on a real SQLite file: a fresh Cairn is ready with all three checks ok; a
// process that runs no instances is ready without claiming; a schema another build migrated
// further fails the migrations check; a closed Cairn is not ready; a scheduler whose passes keep
// failing turns the engine check not ready once the failing has lasted past the allowed time;
// bad options are refused naming the value.

import Database from "better-sqlite3";
import { Cairn, FakeClock, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitUntil } from "cairn/testing";
import { afterEach, describe, expect, it } from "vitest";
import { LATEST_VERSION } from "../../src/storage/sqlite/migrations.js";
import { tempDir } from "../helpers/temp-store.js";

class Noop extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    return step.do("one", async () => 1);
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function open(options: { runInstances?: boolean; clock?: FakeClock } = {}) {
  const tmp = tempDir("cairn-health-");
  cleanups.push(tmp.cleanup);
  const cairn = await Cairn.open({
    storage: `sqlite:${tmp.dbPath}`,
    workflows: { NOOP: { name: "noop", class: Noop } },
    onError: () => {},
    ...(options.runInstances === false ? { runInstances: false } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  cleanups.push(() => cairn.close());
  return { cairn, dbPath: tmp.dbPath };
}

describe("cairn.health()", () => {
  it("reports a fresh Cairn ready, with the store, its schema version and the engine ok", async () => {
    const { cairn } = await open();
    const report = await cairn.health();
    expect(report.ready).toBe(true);
    expect(report.reason).toBeNull();
    expect(report.checks.store).toMatchObject({ ok: true });
    expect(report.checks.migrations).toEqual({ ok: true, detail: `schema version ${LATEST_VERSION}` });
    expect(report.checks.engine).toEqual({ ok: true, detail: "running instances" });
  });

  it("reports a process that runs no instances ready without claiming", async () => {
    const { cairn } = await open({ runInstances: false });
    const report = await cairn.health();
    expect(report.ready).toBe(true);
    expect(report.checks.engine).toEqual({
      ok: true,
      detail: "open; runs no instances (runInstances: false)",
    });
  });

  it("fails the migrations check when the schema is at a version this code does not know", async () => {
    const { cairn, dbPath } = await open();
    const other = new Database(dbPath);
    other.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)").run();
    other.close();
    const report = await cairn.health();
    expect(report.ready).toBe(false);
    expect(report.checks.store.ok).toBe(true);
    expect(report.checks.migrations).toEqual({
      ok: false,
      code: "storage.migration_failed",
      reason: `the database schema is at version 99, this Cairn expects ${LATEST_VERSION} (newer than this Cairn's: another process migrated it; upgrade this one)`,
    });
    expect(report.reason).toMatch(
      /^migrations: \(storage\.migration_failed\) the database schema is at version 99/,
    );
  });

  it("reports a closed Cairn not ready, with the engine and the store closed", async () => {
    const { cairn } = await open();
    await cairn.close();
    const report = await cairn.health();
    expect(report.ready).toBe(false);
    expect(report.checks.engine).toEqual({
      ok: false,
      code: "engine.closed",
      reason: "the engine is closed",
    });
    expect(report.checks.store).toMatchObject({ ok: false, code: "engine.closed" });
    expect(report.checks.migrations).toMatchObject({
      ok: false,
      reason: "not known: the store did not answer",
    });
    expect(report.reason).toContain("engine: (engine.closed) the engine is closed");
  });

  it("turns the engine not ready once the scheduler's passes have failed for longer than allowed", async () => {
    const clock = new FakeClock();
    const { cairn } = await open({ clock });
    // The store goes away under a running engine: every pass of the scheduler now fails.
    await cairn.engine.store.close();
    cairn.engine.kick();
    await waitUntil(
      () => cairn.engine.state().scheduler.failing,
      (failing) => failing !== null,
      { timeoutMs: 5000, what: "a scheduler pass to fail" },
    );
    const early = await cairn.health({ schedulerFailingMs: 5000 });
    expect(early.checks.engine).toMatchObject({ ok: true });
    expect(early.checks.engine.ok && early.checks.engine.detail).toContain("retrying");

    clock.advance(5000);
    const late = await cairn.health({ schedulerFailingMs: 5000 });
    expect(late.ready).toBe(false);
    expect(late.checks.engine).toMatchObject({ ok: false, code: "engine.scheduler_failing" });
    expect(!late.checks.engine.ok && late.checks.engine.reason).toMatch(
      /^the scheduler has failed to claim work for 5 s: \(engine\.closed\)/,
    );
  });

  it("refuses options out of range, naming the value and the limit", async () => {
    const { cairn } = await open();
    await expect(cairn.health({ timeoutMs: 0 })).rejects.toMatchObject({
      code: "engine.invalid_options",
      message: expect.stringContaining("timeoutMs must be an integer from 1 to 60000 (ms), got 0"),
    });
  });
});
