// Test helper for the introspection tests: the stores a file runs on (a real SQLite file in a
// temporary folder, and a fresh schema of a real PostgreSQL: CAIRN_TEST_DATABASE_URL or a
// throwaway server), Cairns opened on them and closed after the file, and a FakeClock helper.

import { Cairn, type CairnOptions, type FakeClock, type WorkflowDefinitionInput } from "cairn";
import { waitUntil } from "cairn/testing";
import { afterAll, beforeAll } from "vitest";
import { openTestDatabase, type TestDatabase } from "../helpers/postgres-server.js";
import { tempDir } from "../helpers/temp-store.js";

export type StoreKind = "sqlite" | "postgres";

/** Opens Cairns for a test file on either store; everything is closed and removed after the file. */
export function useCairns(kinds: StoreKind[] = ["sqlite", "postgres"]) {
  let db: TestDatabase | undefined;
  const cleanups: (() => Promise<void> | void)[] = [];
  beforeAll(async () => {
    if (kinds.includes("postgres")) db = await openTestDatabase();
  }, 120_000);
  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await db?.close();
  });
  return {
    kinds,
    /** A storage option of `kind`: a fresh SQLite file, or a fresh PostgreSQL schema. */
    storage(kind: StoreKind): string {
      if (kind === "postgres") {
        if (!db) throw new Error("no PostgreSQL for this file");
        return `${db.url}?schema=${db.newSchema("introspect")}`;
      }
      const dir = tempDir("cairn-introspect-");
      cleanups.push(dir.cleanup);
      return `sqlite:${dir.dbPath}`;
    },
    async open<W extends Record<string, WorkflowDefinitionInput>, E = {}>(
      options: Omit<CairnOptions<W, E>, "storage"> & { storage: string },
    ): Promise<Cairn<W, E>> {
      const cairn = await Cairn.open<W, E>(options as CairnOptions<W, E>);
      cleanups.push(() => cairn.close());
      return cairn;
    },
    get database(): TestDatabase {
      if (!db) throw new Error("no PostgreSQL for this file");
      return db;
    },
  };
}

/** Moves a FakeClock forward in steps of `stepMs` until `done()` holds (the scheduler arms its timers a moment late). */
export async function advanceUntil(
  clock: FakeClock,
  done: () => Promise<boolean> | boolean,
  stepMs = 1000,
  what = "a condition",
): Promise<void> {
  await waitUntil(
    async () => {
      if (await done()) return true;
      clock.advance(stepMs);
      return false;
    },
    (ok) => ok,
    { what },
  );
}
