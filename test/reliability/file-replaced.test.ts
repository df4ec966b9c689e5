// The SQLite file deleted, or replaced by another file, under a running Cairn: SQLite would go on
// writing to the open, unlinked file and everything would vanish at exit. Instead the next group
// commit fails with `storage.file_replaced` naming the path (a caller's write rejects with it, a
// running instance stops and reports it through onError), nothing is written into the file now at
// the path, everything committed is copied to a file beside it that the error names, and
// readiness reports the store not ready with the reason.

import { readdirSync, renameSync, unlinkSync } from "node:fs";
import { basename } from "node:path";
import Database from "better-sqlite3";
import { Cairn, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitUntil } from "cairn/testing";
import { afterEach, describe, expect, it } from "vitest";
import { WorkflowsError } from "../../src/errors.js";
import { tempDir } from "../helpers/temp-store.js";

class Approval extends WorkflowEntrypoint {
  override async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    const before = await step.do("before", async () => "recorded");
    const event = await step.waitForEvent("approval", { type: "approve" });
    const after = await step.do("after", async () => "after approval");
    return { before, approved: event.payload, after };
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function open() {
  const tmp = tempDir("cairn-replaced-");
  cleanups.push(tmp.cleanup);
  const errors: unknown[] = [];
  const cairn = await Cairn.open({
    storage: `sqlite:${tmp.dbPath}`,
    workflows: { APPROVAL: { name: "approval", class: Approval } },
    onError: (error) => errors.push(error),
  });
  cleanups.push(() => cairn.close());
  const waiting = await cairn.env.APPROVAL.create({ id: "waiting" });
  await waitUntil(
    () => waiting.status(),
    (s) => s.status === "waiting",
    { timeoutMs: 10_000 },
  );
  return { cairn, dbPath: tmp.dbPath, dir: tmp.dir, errors, waiting };
}

const replaced = (path: string) => (e: unknown) =>
  WorkflowsError.is(e) && e.code === "storage.file_replaced" && e.message.includes(path);

describe("the SQLite file deleted or replaced under a running Cairn", () => {
  it("fails writes with storage.file_replaced once the file is deleted, and is not ready", async () => {
    const { cairn, dbPath } = await open();
    unlinkSync(dbPath);

    await expect(cairn.env.APPROVAL.create({ id: "after-delete" })).rejects.toSatisfy(replaced(dbPath));
    await expect(cairn.env.APPROVAL.create({ id: "after-delete" })).rejects.toThrow(/was deleted/);
    const report = await cairn.health();
    expect(report.ready).toBe(false);
    expect(report.checks.store).toMatchObject({ ok: false, code: "storage.file_replaced" });
    expect(report.reason).toContain(dbPath);
  });

  it("stops a running instance whose write meets a replaced file, and writes nothing into the new file", async () => {
    const { cairn, dbPath, dir, errors, waiting } = await open();
    const other = `${dir}/other.db`;
    const foreign = new Database(other);
    foreign.exec("CREATE TABLE notes (text TEXT)");
    foreign.close();
    renameSync(other, dbPath);

    // The event is taken (its row lives on in the open file) but the run's next write fails.
    await waiting.sendEvent({ type: "approve", payload: "yes" }).catch(() => {});
    await waitUntil(() => errors.some(replaced(dbPath)), Boolean, {
      timeoutMs: 10_000,
      what: "a storage.file_replaced report",
    });
    expect(errors.filter((e) => !replaced(dbPath)(e))).toEqual([]);
    await expect(cairn.env.APPROVAL.create({ id: "after-replace" })).rejects.toThrow(
      /replaced by another file/,
    );
    expect((await cairn.health()).checks.store).toMatchObject({ ok: false, code: "storage.file_replaced" });

    await cairn.close();
    const now = new Database(dbPath, { readonly: true });
    const tables = now.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all();
    now.close();
    expect(tables).toEqual([{ name: "notes" }]);

    // What was committed before the replacement was copied out, and the error names the copy.
    const report = errors.find(replaced(dbPath)) as WorkflowsError;
    const copy = /saved to (\S+)/.exec(report.message)?.[1];
    expect(copy && readdirSync(dir).includes(basename(copy))).toBe(true);
    const rescued = new Database(copy!, { readonly: true });
    const row = rescued.prepare("SELECT status FROM instances WHERE id = 'waiting'").get();
    rescued.close();
    expect(row).toEqual({ status: "waiting" });
  });
});
