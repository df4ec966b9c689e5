// Opens Cairn the way every workload measures it: on a fresh SQLite file (WAL, synchronous=FULL)
// in a new temporary folder or a fresh PostgreSQL schema, through a watched store, with errors
// that reach no caller collected so that a workload fails loudly instead of hanging. Also the
// types a workload file exports and a bounded wait.

import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import {
  Cairn,
  type EngineOptionsInput,
  type TracingOption,
  type WorkflowDefinitionInput,
} from "../../src/index.js";
import { SqliteStore } from "../../src/storage/sqlite/sqlite-store.js";
import type { Store } from "../../src/storage/types.js";
import { dropSchema, newSchemaName, serverUrl } from "./postgres.js";
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
  /** Which Cairn runs: the build in dist/ (tsc's output, what ships) or src/ through tsx. */
  code: "compiled" | "source";
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
  /** With repeated runs: each figure's lowest and highest over the runs (the metric is their median). */
  spread?: Record<string, { min: number; max: number }>;
  /** With repeated runs: how many ran to the end. */
  runs?: number;
};

export type Workload = {
  id: string;
  title: string;
  run(options: BenchOptions): Promise<Omit<WorkloadResult, "id" | "title" | "durationMs">>;
};

/** Where a workload's store lives: a SQLite file in its own folder, or a PostgreSQL schema. */
export type Location =
  | { kind: "sqlite"; dir: string; path: string }
  | { kind: "postgres"; url: string; schema: string };

export type Bench<W extends Record<string, WorkflowDefinitionInput>> = {
  cairn: Cairn<W>;
  watch: StoreWatch;
  location: Location;
  /** Bytes the store takes: the SQLite file plus its WAL, or the PostgreSQL schema's relations. */
  storeBytes(): Promise<number>;
  close(): Promise<void>;
};

/** A fresh temporary folder for one database file. */
export function freshDir(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), "cairn-bench-"));
  return { dir, path: join(dir, "cairn.db") };
}

/** A fresh, empty place for one workload's store. */
export function freshLocation(options: BenchOptions, name: string): Location {
  if (options.storage === "postgres")
    return { kind: "postgres", url: serverUrl(), schema: newSchemaName(name) };
  return { kind: "sqlite", ...freshDir() };
}

export async function openSqliteStore(path: string): Promise<Store> {
  return SqliteStore.open({ path, synchronous: "FULL" });
}

export async function openStoreAt(location: Location): Promise<Store> {
  if (location.kind === "sqlite") return openSqliteStore(location.path);
  const { PostgresStore } = await import("../../src/storage/postgres/postgres-store.js");
  return PostgresStore.open({ connection: location.url, schema: location.schema, now: Date.now() });
}

async function storeBytes(location: Location): Promise<number> {
  if (location.kind === "sqlite") {
    const size = (p: string) => {
      try {
        return statSync(p).size;
      } catch {
        return 0;
      }
    };
    return size(location.path) + size(`${location.path}-wal`);
  }
  const client = new pg.Client({ connectionString: location.url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS n FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
      [location.schema],
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

export async function removeLocation(location: Location): Promise<void> {
  if (location.kind === "sqlite") rmSync(location.dir, { recursive: true, force: true });
  else await dropSchema(location.url, location.schema);
}

/**
 * Opens Cairn with `workflows` on a fresh store (or at `location`, prepared beforehand: W6).
 * `record` keeps per-instance finish times (off for very large workloads, so the bench's own
 * bookkeeping does not weigh on the memory figure).
 */
export async function openBench<W extends Record<string, WorkflowDefinitionInput>>(
  options: BenchOptions,
  workflows: W,
  settings: {
    record?: boolean;
    engine?: EngineOptionsInput;
    location?: Location;
    name?: string;
    /** W1-engine only: answer every recordStep at once without writing it (not durable). */
    skipStepWrites?: boolean;
    /** Cairn.open's `tracing` (default: the global provider, with no SDK registered). */
    tracing?: TracingOption;
    /** Collect Prometheus metrics (Cairn.open's `metrics`, default true); W1-metrics-off turns them off. */
    metrics?: boolean;
  } = {},
): Promise<Bench<W>> {
  const location = settings.location ?? freshLocation(options, settings.name ?? "w");
  const watch = new StoreWatch(settings.record ?? true);
  const errors: string[] = [];
  const store = watchStore(await openStoreAt(location), watch, settings.skipStepWrites ?? false);
  const cairn = await Cairn.open({
    storage: store,
    workflows,
    ...settings.engine,
    ...(settings.tracing !== undefined ? { tracing: settings.tracing } : {}),
    ...(settings.metrics === false ? { metrics: false } : {}),
    onError: (error, context) => {
      errors.push(`${context}: ${String(error)}`);
      console.error(`[bench] engine error in ${context}:`, error);
    },
  });
  return {
    cairn,
    watch,
    location,
    storeBytes: () => storeBytes(location),
    close: async () => {
      await cairn.close();
      await removeLocation(location);
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
