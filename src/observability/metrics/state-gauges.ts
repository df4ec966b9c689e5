// Gauges read when metrics are scraped, not kept up to date on the hot path: this process's
// running instances per workflow beside its caps, and the store-wide counts (instances by status,
// and the queue of instances waiting for a slot), which every process sharing the store reports
// alike. The counts are read once per scrape, one countByStatus per workflow, all in parallel;
// scrapes that overlap share one reading.

import { Gauge, type Registry } from "prom-client";
import { STORED_STATUSES } from "../../storage/lifecycle.js";
import type { Store, StoredStatus } from "../../storage/types.js";

/** What the gauges read. */
export type StateSource = {
  store: Store;
  /** The process's workflows with their concurrency caps. */
  workflows: readonly { name: string; concurrency: number }[];
  /** The engine-wide cap on running instances. */
  maxRunning: number;
  /** The running slots a workflow holds in this process now. */
  running(workflow: string): number;
  /** Told when the store cannot be read (the store-wide gauges are then left out of that scrape). */
  report(error: unknown, context: string): void;
};

type Counts = Map<string, Partial<Record<StoredStatus, number>>>;

export function stateGauges(registry: Registry, source: StateSource): void {
  const registers = [registry];
  const names = source.workflows.map((w) => w.name);
  new Gauge({
    name: "cairn_running_instances",
    help: "Instances running in this process now (slots held, journals still loading included).",
    labelNames: ["workflow"],
    registers,
    collect() {
      for (const name of names) this.set({ workflow: name }, source.running(name));
    },
  });
  new Gauge({
    name: "cairn_running_instances_limit",
    help: "The most instances this process runs at once, all workflows together (maxRunning).",
    registers,
    collect() {
      this.set(source.maxRunning);
    },
  });
  new Gauge({
    name: "cairn_running_instances_workflow_limit",
    help: "The most instances of a workflow this process runs at once (its concurrency).",
    labelNames: ["workflow"],
    registers,
    collect() {
      for (const w of source.workflows) this.set({ workflow: w.name }, w.concurrency);
    },
  });

  const counts = sharedReading(() => readCounts(source.store, names));
  const failed = (error: unknown) => {
    source.report(error, "reading instance counts for metrics");
    return null;
  };
  new Gauge({
    name: "cairn_instances",
    help: "Instances in the store by status (store-wide: every process sharing the store reports the same).",
    labelNames: ["workflow", "status"],
    registers,
    async collect() {
      this.reset();
      const read = await counts().catch(failed);
      if (!read) return;
      // Every status, with 0 where there are none: a status emptied out shows 0, not a gap.
      for (const [workflow, byStatus] of read) {
        for (const status of STORED_STATUSES) this.set({ workflow, status }, byStatus[status] ?? 0);
      }
    },
  });
  new Gauge({
    name: "cairn_queue_depth",
    help: "Instances queued in the store, waiting for a running slot (store-wide).",
    labelNames: ["workflow"],
    registers,
    async collect() {
      this.reset();
      const read = await counts().catch(() => null);
      if (!read) return;
      for (const [workflow, byStatus] of read) this.set({ workflow }, byStatus.queued ?? 0);
    },
  });
}

async function readCounts(store: Store, workflows: readonly string[]): Promise<Counts> {
  const each = await Promise.all(workflows.map((w) => store.countByStatus(w)));
  return new Map(workflows.map((w, i) => [w, each[i]!]));
}

/** `read`, called once for all the calls made while a reading is in flight. */
function sharedReading<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | null = null;
  return () => {
    inFlight ??= read().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };
}
