// Opens Cairn the way every workload measures it: on a fresh SQLite file (WAL, synchronous=FULL)
// in a new temporary folder, through a watched store (see watched-store.ts), with errors that
// reach no caller collected so that a workload fails loudly instead of hanging. Also the types a
// workload file exports and a bounded wait.

import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cairn, type EngineOptionsInput, type WorkflowDefinitionInput } from "../../src/index.js";
import { SqliteStore } from "../../src/storage/sqlite/sqlite-store.js";
import type { Store } from "../../src/storage/types.js";
import { StoreWatch, watchStore } from "./watched-store.js";

export type StorageKind = "sqlite" | "postgres";

/** What the runner passes to every workload. */
export type BenchOptions = {
  storage: StorageKind;
  quick: boolean;
  /** W5: how many waiting instances (default 100,000). */
  w5Instances: number;
  /** W6: how many finished instances in the store (default 1,000,000). */
  w6Instances: number;
};

/** A workload's figures: numbers by metric name, plus notes on how they were taken. */
export type WorkloadResult = {
  id: string;
  title: string;
  metrics: Record<string, number>;
  /** Facts the reader needs (counts used, how the data was built). */
  notes: string[];
  /** Store calls by operation during the measured phase. */
  ops?: Record<string, number>;
  durationMs: number;
};

export type Workload = {
  id: string;
  title: string;
  run(options: BenchOptions): Promise<Omit<WorkloadResult, "id" | "title" | "durationMs">>;
};

export type Bench<W extends Record<string, WorkflowDefinitionInput>> = {
  cairn: Cairn<W>;
  watch: StoreWatch;
  dir: string;
  path: string;
  /** Bytes of the database file plus its WAL. */
  fileBytes(): number;
  close(): Promise<void>;
};

/** A fresh temporary folder for one database file. */
export function freshDir(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), "cairn-bench-"));
  return { dir, path: join(dir, "cairn.db") };
}

export async function openSqliteStore(path: string): Promise<Store> {
  return SqliteStore.open({ path, synchronous: "FULL" });
}

/**
 * Opens Cairn with `workflows` on a fresh store. `record` keeps per-instance finish times (off
 * for very large workloads, so the bench's own bookkeeping does not weigh on the memory figure).
 * `path` reuses a file prepared beforehand (W6).
 */
export async function openBench<W extends Record<string, WorkflowDefinitionInput>>(
  options: BenchOptions,
  workflows: W,
  settings: { record?: boolean; engine?: EngineOptionsInput; at?: { dir: string; path: string } } = {},
): Promise<Bench<W>> {
  if (options.storage !== "sqlite") throw new Error(`storage ${options.storage} is not available yet`);
  const { dir, path } = settings.at ?? freshDir();
  const watch = new StoreWatch(settings.record ?? true);
  const errors: string[] = [];
  const store = watchStore(await openSqliteStore(path), watch);
  const cairn = await Cairn.open({
    storage: store,
    workflows,
    ...settings.engine,
    onError: (error, context) => {
      errors.push(`${context}: ${String(error)}`);
      console.error(`[bench] engine error in ${context}:`, error);
    },
  });
  const size = (p: string) => {
    try {
      return statSync(p).size;
    } catch {
      return 0;
    }
  };
  return {
    cairn,
    watch,
    dir,
    path,
    fileBytes: () => size(path) + size(`${path}-wal`),
    close: async () => {
      await cairn.close();
      rmSync(dir, { recursive: true, force: true });
      if (errors.length > 0) throw new Error(`the engine reported ${errors.length} error(s): ${errors[0]}`);
    },
  };
}

/** Awaits `work`, failing after `ms` with `what` and the progress `progress()` describes. */
export async function within<T>(
  work: Promise<T>,
  ms: number,
  what: string,
  progress?: () => string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`gave up after ${ms} ms waiting for ${what}${progress ? ` (${progress()})` : ""}`)),
      ms,
    );
  });
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** The payload every step of W1 and W3 returns: small, but not trivially small. */
export function stepValue(i: number): { i: number; data: string } {
  return { i, data: "x".repeat(100) };
}
