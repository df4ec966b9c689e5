// Test helper for the lifecycle tests: opens Cairn on a real SQLite file in a temp folder,
// re-opens it on the same file (as after a process restart), and closes everything and removes
// the folders after each test. Also reads an instance's event log and checks error codes.

import { Cairn, type CairnOptions, type WorkflowDefinitionInput } from "cairn";
import { waitUntil } from "cairn/testing";
import { afterEach, expect } from "vitest";
import { gates } from "./lifecycle-gates.js";
import { tempDir } from "./temp-store.js";

type Workflows = Record<string, WorkflowDefinitionInput>;
export type OpenOptions<W extends Workflows> = Omit<CairnOptions<W, {}>, "storage"> & { dbPath?: string };
export type LogEntry = Awaited<ReturnType<Cairn<Workflows>["engine"]["readLog"]>>[number];
export type LogType = LogEntry["type"];

/** Call once per test file (at describe level); registers the afterEach cleanup. */
export function useLifecycleHarness() {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    gates.reset();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    /** A fresh SQLite file path, removed after the test. */
    dbPath(): string {
      const dir = tempDir("cairn-lifecycle-");
      cleanups.push(dir.cleanup);
      return dir.dbPath;
    },
    /** Opens Cairn on `dbPath` (a fresh file if absent); closed after the test if still open. */
    async open<W extends Workflows>(options: OpenOptions<W>): Promise<Cairn<W> & { dbPath: string }> {
      const { dbPath = this.dbPath(), ...rest } = options;
      const cairn = await Cairn.open<W, {}>({ ...rest, storage: `sqlite:${dbPath}` } as CairnOptions<W, {}>);
      cleanups.push(() => cairn.close());
      return Object.assign(cairn, { dbPath });
    },
  };
}

/** The types of an instance's log entries, oldest first. */
export async function logTypes(cairn: Cairn<any>, workflow: string, id: string): Promise<LogType[]> {
  return (await cairn.engine.readLog(workflow, id)).map((e) => e.type);
}

/** How many entries of `type` the list holds. */
export function countOf(types: LogType[], type: LogType): number {
  return types.filter((t) => t === type).length;
}

/** Waits until the instance's log satisfies `done`; returns the log's types. */
export function waitForLog(
  cairn: Cairn<any>,
  workflow: string,
  id: string,
  done: (types: LogType[]) => boolean,
  what = "a log condition",
): Promise<LogType[]> {
  return waitUntil(() => logTypes(cairn, workflow, id), done, { what: `${what} (instance "${id}")` });
}

/** Asserts that `promise` rejects with a Cairn error of `code`. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: "WorkflowsError", code });
}
