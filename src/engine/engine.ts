// The engine: composes the store, the clock, the scheduler, the live instances, the binding's
// operations (control.ts), the read views and the cron schedules, and routes the store's
// signals from other processes to the instances this process runs. Each part lives in its own
// file; this one wires them together and owns start and close.

import { randomUUID } from "node:crypto";
import type { InstanceStatus, WorkflowInstanceCreateOptions } from "../api/types.js";
import { EngineClosedError } from "../errors.js";
import type {
  Claim,
  InstanceRecord,
  LogEntry,
  StepRecord,
  Store,
  StoreSignal,
  TraceContext,
  TriggerSource,
} from "../storage/types.js";
import type { Activation } from "./activation/activation.js";
import { ChangeHub, type InstanceChange } from "./changes.js";
import { type Clock, SystemClock } from "./clock.js";
import { InstanceControl } from "./control.js";
import { CronSchedules } from "./cron-schedules.js";
import type { EngineState } from "./health.js";
import { type EnvFor, type InstanceRef, LiveInstances } from "./live-instances.js";
import type { EngineObserver } from "./observer.js";
import { combineObservers } from "./observers.js";
import { OverrideRegistry } from "./overrides.js";
import * as views from "./read-views.js";
import { Scheduler, type SchedulerHost } from "./scheduler.js";
import { type EngineSettings, resolveSettings, type WorkflowDefinition } from "./settings.js";
import type { WorkflowClass } from "./workflow-class.js";

export { MAX_BATCH } from "./control-input.js";
export type { EnvFor, InstanceRef } from "./live-instances.js";
export type * from "./observer.js";
export type { AttemptOverride, CreationWatch, MockedEvent, StepOverrides } from "./overrides.js";
export { notFound, REDACTED } from "./read-views.js";
export type { EngineSettings, WorkflowDefinitionInput } from "./settings.js";
export type { WorkflowClass } from "./workflow-class.js";

/** Runs and controls the instances of a set of workflows over one store. */
/** Instances the retention sweep deletes per store call. */
const SWEEP_BATCH = 500;

export class Engine implements SchedulerHost {
  readonly store: Store;
  readonly clock: Clock;
  readonly owner: string;
  readonly leaseMs: number;
  readonly hibernateAfterMs: number;
  readonly maxInstanceStateBytes: number;
  /** What this process changed: instances created, statuses written, steps finished, deletions. */
  readonly changes: ChangeHub;
  /** The instances this process runs now. */
  readonly live: LiveInstances;
  /**
   * Test overrides of the instances this process introspects (cairn/testing), and the sessions
   * that capture new instances. Empty unless a test introspects: the engine then asks nothing.
   */
  readonly overrides = new OverrideRegistry();
  /** What this process's metrics, traces and logs hear of its instances (undefined: nobody). */
  readonly observer: EngineObserver | undefined;
  private readonly settings: EngineSettings;
  /** Workflow definitions by workflow name (settings key them by binding). */
  private readonly byName: Map<string, WorkflowDefinition>;
  private readonly scheduler: Scheduler;
  private readonly schedules: CronSchedules;
  private readonly control: InstanceControl;
  private closed = false;
  private started = false;
  private cancelSweep: (() => void) | null = null;
  private unsubscribe: (() => void) | null = null;
  private keepAlive: NodeJS.Timeout | null = null;

  constructor(
    store: Store,
    options: { clock?: Clock; settings: EngineSettings; changes?: ChangeHub; observers?: EngineObserver[] },
  ) {
    this.store = store;
    this.observer = combineObservers(options.observers ?? []);
    this.clock = options.clock ?? new SystemClock();
    // A store shared by several processes carries this process's changes to the others' views.
    this.changes =
      options.changes ?? new ChangeHub(store.publishChange ? (c) => store.publishChange?.(c) : undefined);
    this.settings = options.settings;
    this.byName = new Map([...options.settings.workflows.values()].map((def) => [def.name, def]));
    this.owner = options.settings.owner ?? `cairn-${process.pid}-${randomUUID().slice(0, 8)}`;
    // A single-process store cannot have a competing holder, so its leases never need to expire.
    this.leaseMs = store.capabilities.singleProcess ? Number.MAX_SAFE_INTEGER / 4 : options.settings.leaseMs;
    this.hibernateAfterMs = options.settings.hibernateAfterMs;
    this.maxInstanceStateBytes = options.settings.maxInstanceStateBytes;
    this.scheduler = new Scheduler(this);
    this.live = new LiveInstances(this, options.settings);
    this.control = new InstanceControl(this);
    this.schedules = new CronSchedules({
      store,
      clock: this.clock,
      created: (workflow, id) => {
        this.control.created(workflow, id, "cron");
        this.scheduler.kick();
      },
      report: (error, context) => this.report(error, context),
    });
  }

  static resolveSettings = resolveSettings;

  /**
   * Sets what workflows see as `this.env` (bindings included) and starts taking work. `envFor`
   * builds one instance's env, whose bindings know which instance calls them.
   */
  start(env: Record<string, unknown>, envFor?: EnvFor): void {
    if (this.started) return;
    this.started = true;
    // Timers are unref'd; this keeps the process alive while the engine is open.
    this.keepAlive = setInterval(() => {}, 1 << 30);
    this.live.start(env, envFor);
    if (this.settings.runInstances) this.scheduler.kick();
    else void this.scheduler.stop();
    this.schedules.start(this.settings.workflows.values());
    void this.sweep();
    this.unsubscribe = this.store.subscribe?.((signal) => this.onSignal(signal)) ?? null;
  }

  /** A change made by another process sharing the store reaches the instance this process runs. */
  private onSignal(signal: StoreSignal): void {
    if (this.closed) return;
    if (signal.kind === "changes") {
      for (const change of signal.changes) this.changes.deliver(change as InstanceChange);
      return;
    }
    if (signal.kind === "wake") {
      this.scheduler.kick();
      return;
    }
    const active = this.live.find(signal.workflow, signal.id);
    if (signal.kind === "event") {
      if (active) active.notifyEvent(signal.type);
      else this.scheduler.kick();
      return;
    }
    if (active) void this.reconcile(active);
    this.scheduler.kick();
  }

  /** Brings a live activation in line with its stored state after a control operation elsewhere. */
  private async reconcile(active: Activation): Promise<void> {
    const { workflow, id } = active.instance;
    let record: InstanceRecord | undefined;
    try {
      record = await this.store.getInstance(workflow, id);
    } catch (error) {
      // A failed read says nothing about the instance; its own writes will tell if it was lost.
      return this.report(error, `reading ${workflow}/${id} after a signal`);
    }
    if (active.isStopped) return;
    if (!record || record.epoch !== active.fence.epoch) return active.abandon();
    if (record.status === "waitingForPause") active.requestPause();
    else if (record.status === "running") active.cancelPause();
  }

  /**
   * Swaps workflow classes by binding (a dev reload). Instances that wake later run the new class;
   * live ones stop at their next step, let in-flight attempts finish, and are replayed on it.
   */
  replaceClasses(classes: Record<string, WorkflowClass>): void {
    for (const [binding, cls] of Object.entries(classes)) {
      const def = this.settings.workflows.get(binding);
      if (def) def.class = cls;
    }
    this.live.drainAll();
  }

  // ---- the binding's operations (control.ts) and read views (read-views.ts) ----------------

  /**
   * Creates instances; returns the ids created (a batch skips ids that already exist). `parent`:
   * the trace they continue when the caller has no active span (a request's `traceparent`).
   */
  create(
    workflow: string,
    batch: WorkflowInstanceCreateOptions[],
    mode: "single" | "batch",
    trigger: TriggerSource = "binding",
    parent?: TraceContext | null,
  ): Promise<string[]> {
    return this.control.create(workflow, batch, mode, trigger, parent);
  }

  sendEvent(workflow: string, id: string, event: { type: string; payload: unknown }): Promise<void> {
    return this.control.sendEvent(workflow, id, event);
  }

  pause(workflow: string, id: string): Promise<void> {
    return this.control.pause(workflow, id);
  }

  resume(workflow: string, id: string): Promise<void> {
    return this.control.resume(workflow, id);
  }

  terminate(workflow: string, id: string, options?: { rollback?: boolean }): Promise<void> {
    return this.control.terminate(workflow, id, options);
  }

  restart(workflow: string, id: string): Promise<void> {
    return this.control.restart(workflow, id);
  }

  /** Restarts from a step: earlier steps keep their results, the target and later ones run again. */
  restartFrom(workflow: string, id: string, from: unknown): Promise<void> {
    return this.control.restartFrom(workflow, id, from);
  }

  /** Deletes instances; `caller` is the instance whose code asked (it stops if deleted). */
  delete(
    workflow: string,
    ids: string[],
    caller?: InstanceRef,
  ): Promise<{ id: string; outcome: "deleted" | "not_found" }[]> {
    return this.control.delete(workflow, ids, caller);
  }

  /** The stored instance; `instance.not_found` if there is none. */
  get(workflow: string, id: string): Promise<InstanceRecord> {
    this.assertOpen();
    return views.readInstance(this.store, workflow, id);
  }

  /** `{ status, output?, error? }` as the binding's `instance.status()` returns it. */
  async status(workflow: string, id: string): Promise<InstanceStatus> {
    return views.statusOf(await this.get(workflow, id));
  }

  /** The instance's event log, oldest first (what the timeline and tests read). */
  readLog(workflow: string, id: string): Promise<LogEntry[]> {
    this.assertOpen();
    return views.readLog(this.store, workflow, id);
  }

  /** The instance's journal in start order; sensitive results redacted unless `{ redact: false }`. */
  readJournal(workflow: string, id: string, options: { redact?: boolean } = {}): Promise<StepRecord[]> {
    this.assertOpen();
    return views.readJournal(this.store, workflow, id, options);
  }

  /** The bytes of a stream step's result, for tools that show it (redacted if sensitive). */
  readStreamResult(workflow: string, id: string, stepKey: string): Promise<Uint8Array> {
    this.assertOpen();
    return views.readStreamResult(this.store, workflow, id, stepKey);
  }

  // ---- test introspection (cairn/testing) ----------------------------------------------------

  /**
   * On a store shared by several processes, pins an existing instance to this process (which
   * holds its overrides), taking it over if another process runs it now. Nothing to do on a
   * single-process store, or for an instance not created yet (create pins it).
   */
  async pinIntrospected(workflow: string, id: string): Promise<void> {
    this.assertOpen();
    if (this.store.capabilities.singleProcess) return;
    const result = await this.store.setAffinity(workflow, id, this.owner, this.clock.now());
    if (result.outcome === "revoked") this.scheduler.kick();
  }

  /**
   * The overrides of an instance changed. Its live run here asks them at its next steps and
   * looks again at its waits for `eventTypes` (events just mocked); a hibernated instance is
   * woken, to replay with them.
   */
  async overridesChanged(workflow: string, id: string, eventTypes: readonly string[] = []): Promise<void> {
    this.assertOpen();
    const active = this.live.find(workflow, id);
    if (active && !active.isStopped) {
      active.useOverrides(this.overrides.get(workflow, id));
      for (const type of eventTypes) active.notifyEvent(type);
      return;
    }
    await this.wakeNow(workflow, id);
  }

  wakeForOverrides(workflow: string, id: string): void {
    if (this.closed) return;
    this.wakeNow(workflow, id).catch((error) => this.report(error, `waking ${workflow}/${id}`));
  }

  private async wakeNow(workflow: string, id: string): Promise<void> {
    const result = await this.store.wake(workflow, id, this.clock.now());
    if (result.outcome === "woken") this.scheduler.kick();
  }

  // ---- for the scheduler, the live instances and the operations ------------------------------

  freeSlots(): { slots: Record<string, number>; total: number } {
    return this.live.freeSlots();
  }

  activate(claim: Claim): void {
    this.live.activate(claim);
  }

  release(claim: Claim): void {
    this.live.releaseClaim(claim);
  }

  isLive(seq: number): boolean {
    return this.live.isLive(seq);
  }

  definition(workflow: string): WorkflowDefinition | undefined {
    return this.byName.get(workflow);
  }

  /** What a health check asks of the engine (see health.ts). */
  state(): EngineState {
    return {
      started: this.started,
      closed: this.closed,
      runInstances: this.settings.runInstances,
      scheduler: this.scheduler.health(),
    };
  }

  kick(): void {
    this.scheduler.kick();
  }

  slotFreed(): void {
    this.scheduler.slotFreed();
  }

  claimCreated(workflow: string, seqs: number[]): void {
    this.scheduler.claimCreated(workflow, seqs);
  }

  claimWoken(workflow: string, seqs: number[]): void {
    this.scheduler.claimWoken(workflow, seqs);
  }

  passNow(): void {
    this.scheduler.passNow();
  }

  report(error: unknown, context: string): void {
    this.settings.onError(error, context);
  }

  assertOpen(): void {
    if (this.closed) throw new EngineClosedError();
  }

  /** Deletes finished instances whose retention ended, SWEEP_BATCH per call, then re-arms itself. */
  private async sweep(): Promise<void> {
    if (this.closed) return;
    try {
      for (;;) {
        const deleted = await this.store.deleteExpired(this.clock.now(), SWEEP_BATCH);
        // Live views drop what retention deleted, as they drop what a caller deleted.
        const at = this.clock.now();
        for (const { workflow, id } of deleted) this.changes.emit({ type: "deleted", workflow, id, at });
        if (deleted.length < SWEEP_BATCH || this.closed) break;
      }
    } catch (error) {
      this.report(error, "retention sweep");
    }
    if (this.closed) return;
    this.cancelSweep = this.clock.setTimer(
      this.clock.now() + this.settings.sweepIntervalMs,
      () => void this.sweep(),
    );
  }

  /**
   * Stops taking work, lets in-flight attempts finish (up to the grace period), releases every
   * lease still held (claims that arrived meanwhile, journals still loading, runs given up after
   * the grace period), then closes the store.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.schedules.stop();
    this.cancelSweep?.();
    this.unsubscribe?.();
    const stopping = this.scheduler.stop();
    await this.live.close(this.settings.shutdownGraceMs);
    await stopping;
    await this.live.close(0);
    if (this.keepAlive) clearInterval(this.keepAlive);
    await this.store.close();
  }
}
