// `cairn.inspect`: the one read and watch surface for everything that operates Cairn from
// outside (the HTTP API, the CLI, the dashboard, test helpers, metrics). It reads the store
// directly, never the engine's live state, so a process that runs no instances sees the same.

import type { ChangeHub } from "../engine/changes.js";
import type { Clock } from "../engine/clock.js";
import { readInstance, readLog, readStreamResult } from "../engine/read-views.js";
import { STALL_AFTER_MS } from "../engine/stall.js";
import { decodeValue } from "../engine/values.js";
import { WorkflowsError } from "../errors.js";
import type { InstanceRecord, LogEntry, Store } from "../storage/types.js";
import { activityBuckets, activityWindow } from "./activity-window.js";
import { listQuery } from "./list-options.js";
import { rollbackState, stepViews } from "./step-views.js";
import type {
  ActivityBucket,
  ActivityOptions,
  InstanceDetail,
  InstancePage,
  InstanceSummary,
  ListInstancesOptions,
  RevealOptions,
  Watch,
  WatchedChange,
  WatchOptions,
  WorkflowSummary,
} from "./types.js";
import { watchChanges } from "./watch.js";

/** A workflow as the inspector knows it: its name, binding and class name (if any). */
export type InspectedWorkflow = { name: string; binding: string; className: string | null };

export type InspectorOptions = {
  store: Store;
  clock: Clock;
  changes: ChangeHub;
  workflows: InspectedWorkflow[];
  /** When a running instance of this process last made progress, if it has nothing to wait for. */
  stalledSince?: (workflow: string, id: string) => number | null;
  /** How many running instances of the workflow in this process are stalled now. */
  stalledCount?: (workflow: string) => number;
};

/**
 * Reads workflows, instances, steps and logs, and watches changes.
 * @example
 * const page = await cairn.inspect.instances("orders", { status: "errored", limit: 10 });
 * const detail = await cairn.inspect.instance("orders", page.instances[0].id);
 * const watch = cairn.inspect.watch((change) => console.log(change), { workflow: "orders" });
 */
export class Inspector {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #changes: ChangeHub;
  readonly #workflows: Map<string, InspectedWorkflow>;
  readonly #stalledSince: (workflow: string, id: string) => number | null;
  readonly #stalledCount: (workflow: string) => number;

  constructor(options: InspectorOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#changes = options.changes;
    this.#workflows = new Map(options.workflows.map((w) => [w.name, w]));
    this.#stalledSince = options.stalledSince ?? (() => null);
    this.#stalledCount = options.stalledCount ?? (() => 0);
  }

  /** Every workflow this Cairn declares, with counts by status. */
  async workflows(): Promise<WorkflowSummary[]> {
    return Promise.all([...this.#workflows.keys()].map((name) => this.workflow(name)));
  }

  /** One workflow with counts by status; `workflow.not_found` for a name this Cairn does not declare. */
  async workflow(name: string): Promise<WorkflowSummary> {
    const def = this.#definition(name);
    const counts = await this.#store.countByStatus(name);
    const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
    const stalled = this.#stalledCount(name);
    return { ...def, counts, total, ...(stalled > 0 ? { stalled } : {}) };
  }

  /** A page of a workflow's instances, newest first, with the filter's total and counts by status. */
  async instances(workflow: string, options: ListInstancesOptions = {}): Promise<InstancePage> {
    this.#definition(workflow);
    const query = listQuery(workflow, options);
    // Without a time or id filter the total follows from the counts by status: no second count.
    const narrowed = query.createdFrom !== undefined || query.createdTo !== undefined || query.idPrefix;
    const [page, counts, narrowedTotal] = await Promise.all([
      this.#store.listInstances(query),
      this.#store.countByStatus(workflow),
      narrowed ? this.#store.countInstances(query) : undefined,
    ]);
    const total =
      narrowedTotal ??
      (query.status ? (counts[query.status] ?? 0) : Object.values(counts).reduce((sum, n) => sum + n, 0));
    return { instances: page.items.map(summary), nextCursor: page.nextCursor, total, counts };
  }

  /**
   * Instances created and finished (complete, errored or terminated) per UTC minute, one bucket
   * per minute of the window, oldest first, zero where nothing happened. By default the last 60
   * minutes, the current one included; at most 1,440 minutes (24 hours).
   * @example
   * const buckets = await cairn.inspect.activity("orders", { from: Date.now() - 3_600_000 });
   */
  async activity(workflow: string, options: ActivityOptions = {}): Promise<ActivityBucket[]> {
    this.#definition(workflow);
    const window = activityWindow(options, this.#clock.now());
    return activityBuckets(window, await this.#store.activity(workflow, window.fromMs, window.toMs));
  }

  /**
   * One instance in full: params, status, output or error, and its steps with their attempts.
   * Sensitive outputs read "[REDACTED]" unless `{ includeSensitive: true }`.
   */
  async instance(workflow: string, id: string, options: RevealOptions = {}): Promise<InstanceDetail> {
    const record = await this.#record(workflow, id);
    const [journal, log] = await Promise.all([
      this.#store.loadJournal(record.seq),
      this.#store.readLog(record.seq),
    ]);
    const detail: InstanceDetail = {
      ...summary(record),
      params: decodeValue(record.params),
      rollback: rollbackState(record, log),
      steps: stepViews(record, journal, log, { includeSensitive: options.includeSensitive === true }),
    };
    if (record.status === "complete") detail.output = decodeValue(record.output);
    if (record.status === "errored") detail.error = { ...record.error };
    if (record.status === "waiting") {
      detail.wakeAt = record.wakeAt;
      detail.waitingFor = [...record.waitTypes];
    }
    if (record.status === "paused") detail.pausedAt = record.pausedAt;
    if (record.status === "running") {
      const since = this.#stalledSince(workflow, id);
      const now = this.#clock.now();
      if (since !== null && now - since >= STALL_AFTER_MS) detail.noProgress = { since, forMs: now - since };
    }
    return detail;
  }

  /** The instance's event log, oldest first (what a timeline shows). */
  async log(workflow: string, id: string): Promise<LogEntry[]> {
    this.#definition(workflow);
    return readLog(this.#store, workflow, id);
  }

  /**
   * The bytes of a finished stream step's result ("[REDACTED]" when sensitive, unless
   * `{ includeSensitive: true }`).
   */
  async streamResult(
    workflow: string,
    id: string,
    stepKey: string,
    options: RevealOptions = {},
  ): Promise<Uint8Array> {
    this.#definition(workflow);
    return readStreamResult(this.#store, workflow, id, stepKey, {
      redact: options.includeSensitive !== true,
    });
  }

  /**
   * Calls `listener` for every change (created, status, step, deleted), optionally of one workflow
   * or instance. With `since` (a change's `cursor`), the changes since then come first.
   */
  watch(listener: (change: WatchedChange) => void, options: WatchOptions = {}): Watch {
    if (typeof options === "object" && options?.workflow !== undefined) this.#definition(options.workflow);
    return watchChanges({ store: this.#store, clock: this.#clock, hub: this.#changes }, listener, options);
  }

  #definition(name: string): InspectedWorkflow {
    const def = this.#workflows.get(name);
    if (!def) {
      const known = [...this.#workflows.keys()].map((n) => `"${n}"`).join(", ") || "none";
      throw new WorkflowsError("workflow.not_found", `no workflow named "${name}" (declared: ${known})`);
    }
    return def;
  }

  async #record(workflow: string, id: string): Promise<InstanceRecord> {
    this.#definition(workflow);
    return readInstance(this.#store, workflow, id);
  }
}

function summary(record: InstanceRecord): InstanceSummary {
  return {
    workflow: record.workflow,
    id: record.id,
    status: record.status,
    trigger: record.trigger,
    createdAt: record.createdAt,
    startedAt: record.startedAt,
    endedAt: "endedAt" in record ? record.endedAt : null,
    updatedAt: record.updatedAt,
  };
}
