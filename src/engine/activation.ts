// One activation of an instance: the user's `run` called from the top against the journal
// loaded once at claim time (replay). It tracks what is in flight (attempts, commits) and what
// is waiting (timers, events); when nothing is in flight it hibernates, settles a pause or
// drains, so a sleeping or waiting instance holds no memory.

import { EngineClosedError, StaleLeaseError, WorkflowsError } from "../errors.js";
import type { ErrorRecord, Fence, InstanceRecord, LogInput, StepRecord, Store } from "../storage/types.js";
import type { CancelTimer, Clock } from "./clock.js";
import { RollbackRegistry, runRollbacks } from "./rollbacks.js";
import { StreamResultError } from "./stream-results.js";
import { encodeValue, toErrorRecord } from "./values.js";

/** What an activation needs from its engine. */
export interface ActivationHost {
  readonly store: Store;
  readonly clock: Clock;
  /** Waits whose next timer is further away than this hibernate instead of holding memory. */
  readonly hibernateAfterMs: number;
  /** Most bytes one instance may hold in step values and stream chunks. */
  readonly maxInstanceStateBytes: number;
  /** Called once when the activation stops, whatever the reason. */
  ended(activation: Activation, reason: EndReason): void;
  report(error: unknown, context: string): void;
}

export type EndReason = "finished" | "hibernated" | "paused" | "abandoned" | "drained" | "failed";

export type PendingWait = {
  wakeAt: number | null;
  eventType: string | null;
  wake: (cause: "timer" | "event") => void;
  cancel: CancelTimer | null;
};

const never = <T>(): Promise<T> => new Promise<T>(() => {});

/** A shared store's connection failed (PostgreSQL restarting, network gone). */
const isUnavailable = (error: unknown) => WorkflowsError.is(error) && error.code === "storage.unavailable";

export class Activation {
  readonly fence: Fence;
  readonly instance: InstanceRecord;
  readonly journal: Map<string, StepRecord>;
  readonly host: ActivationHost;
  readonly stepLimit: number;
  private readonly counters = new Map<string, number>();
  private doCalls = 0;
  private inflight = 0;
  private readonly waits = new Set<PendingWait>();
  private mode: "running" | "pausing" | "draining" = "running";
  private gateOpen: (() => void) | null = null;
  private gatePromise: Promise<void> | null = null;
  private checkScheduled = false;
  private stopped = false;
  private drained: (() => void) | null = null;
  private startOrder = 0;
  /** Bytes the instance held when this activation started, loaded on first need. */
  private storedBytes: Promise<number> | null = null;
  /** Attempt starts not written yet, by step key (see writeStart). */
  private readonly pendingStarts = new Map<string, { record: StepRecord; log: LogInput[]; at: number }>();
  private startsScheduled = false;
  /** The stored bytes once loaded. */
  private storedKnown: number | null = null;
  /** Bytes this activation has stored since. */
  private chargedBytes = 0;
  private chainStarted = false;
  /** Replay-only mode: the run reached a step that has not finished, or settled. */
  private replaySettled = false;
  /** Rollback handlers registered so far in this run. */
  readonly rollbacks: RollbackRegistry;
  /**
   * Set when the instance was terminated with `{ rollback: true }`: the run is replayed only to
   * rebuild rollback handlers; a step that has not finished blocks there (the frontier).
   */
  readonly replayOnly: boolean;

  /** `storedBytes`: the instance's stored step state, when the caller knows it (0 for a fresh one). */
  constructor(
    host: ActivationHost,
    instance: InstanceRecord,
    journal: StepRecord[],
    stepLimit: number,
    storedBytes?: number,
  ) {
    if (storedBytes !== undefined) this.storedKnown = storedBytes;
    this.host = host;
    this.instance = instance;
    this.fence = { seq: instance.seq, epoch: instance.epoch };
    this.journal = new Map(journal.map((r) => [r.key, r]));
    this.stepLimit = stepLimit;
    this.rollbacks = new RollbackRegistry(this);
    this.replayOnly = instance.rollbackPending;
    for (const r of journal) this.startOrder = Math.max(this.startOrder, r.startOrder ?? 0);
  }

  /** The start order of a step starting now (SPEC §10.2: rollbacks run in reverse of it). */
  nextStartOrder(): number {
    this.startOrder += 1;
    return this.startOrder;
  }

  /** In replay-only mode: a step that has not finished; the run goes no further. */
  frontier<T>(): Promise<T> {
    this.replaySettled = true;
    this.scheduleCheck();
    return never();
  }

  /** Fails the instance at once, whatever the workflow catches (invalid stream, state limit). */
  fatal(error: ErrorRecord): Promise<never> {
    void this.failRun(error);
    return never();
  }

  /**
   * Counts bytes about to be stored against the per-instance state limit. Returns undefined when
   * it could decide at once (the stored bytes are already known), else a promise.
   */
  chargeState(bytes: number): Promise<void> | undefined {
    if (this.storedKnown !== null) return this.chargeKnown(this.storedKnown, bytes);
    // Parallel steps share one load of what is already stored, then add to the same count.
    this.storedBytes ??= this.host.store.stateBytes(this.fence.seq).then((stored) => {
      this.storedKnown = stored;
      return stored;
    });
    return this.storedBytes.then((stored) => this.chargeKnown(stored, bytes));
  }

  private chargeKnown(stored: number, bytes: number): undefined {
    this.chargedBytes += bytes;
    const total = stored + this.chargedBytes;
    const limit = this.host.maxInstanceStateBytes;
    if (total > limit) {
      throw new StreamResultError(
        `The instance has exceeded the ${limit} bytes storage limit (it would hold ${total} bytes)`,
        "instance.state_limit_exceeded",
      );
    }
    return undefined;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  now(): number {
    return this.host.clock.now();
  }

  /** Runs the workflow; settles the instance when `run` returns or throws. */
  start(run: () => Promise<unknown>): void {
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(run());
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(
      (output) => this.complete(output),
      (error) => this.failRun(toErrorRecord(error)),
    );
    this.scheduleCheck();
  }

  /** The key of the next call of `kind` with `name` in this run (SPEC A6: name + occurrence). */
  nextKey(kind: "do" | "sleep" | "waitForEvent", name: string): { key: string; count: number } {
    const counter = `${kind}:${name}`;
    const count = (this.counters.get(counter) ?? 0) + 1;
    this.counters.set(counter, count);
    return { key: `${kind}:${count}:${name}`, count };
  }

  /** Counts one `step.do`; past the limit the instance fails at once (SPEC A11). */
  countDo(): Promise<void> | undefined {
    this.doCalls += 1;
    if (this.doCalls <= this.stepLimit) return undefined;
    const message = `The limit of ${this.stepLimit} steps has been reached. This limit can be changed in your workflow configuration (limits.steps).`;
    const error = new WorkflowsError("step.limit_exceeded", message);
    return this.fatal({ name: error.name, message: error.message });
  }

  /** Resolves when new steps may start: at once unless a pause or a drain is in progress. */
  gate(): Promise<void> {
    if (this.stopped) return never();
    if (this.mode === "running") return Promise.resolve();
    if (this.mode === "draining") return never();
    if (!this.gatePromise) {
      this.gatePromise = new Promise<void>((resolve) => {
        this.gateOpen = resolve;
      });
    }
    this.scheduleCheck();
    return this.gatePromise;
  }

  /** Writes a journal record without waiting for its commit (sleep starts, retry waits). */
  write(record: StepRecord, log: LogInput[]): void {
    this.journal.set(record.key, record);
    if (this.stopped) return;
    const entries = this.foldStart(record.key, log);
    this.flushStarts();
    this.host.store.recordStep(this.fence, record, entries, this.now()).catch((e) => this.storeFailed(e));
  }

  /**
   * Writes an attempt's start at the end of this turn of the event loop, unless a later record
   * of the same step comes first: a callback that finishes within the turn (most do) then costs
   * one journal write, its result, carrying the start's log entries with their own time. The
   * start need not be durable before the callback runs (DESIGN: losing it only repeats an
   * attempt number); any other write of the instance sends it first (see flushStarts).
   */
  writeStart(record: StepRecord, log: LogInput[]): void {
    this.journal.set(record.key, record);
    if (this.stopped) return;
    this.pendingStarts.set(record.key, { record, log, at: this.now() });
    if (!this.startsScheduled) {
      this.startsScheduled = true;
      process.nextTick(this.flushStarts);
    }
  }

  /**
   * Writes the attempt starts no later record replaced (see writeStart). Called at the end of the
   * turn, and before any other write of the instance, so that the store receives the writes in
   * the order they were made (a start before its stream chunks, before a sibling's result).
   */
  flushStarts = (): void => {
    this.startsScheduled = false;
    if (this.pendingStarts.size === 0) return;
    const starts = [...this.pendingStarts.values()];
    this.pendingStarts.clear();
    if (this.stopped) return;
    for (const { record, log, at } of starts) {
      this.host.store.recordStep(this.fence, record, log, at).catch((e) => this.storeFailed(e));
    }
  };

  /** The log of a record of step `key`, after the entries of its unwritten start (if any). */
  private foldStart(key: string, log: LogInput[]): LogInput[] {
    const start = this.pendingStarts.get(key);
    if (!start) return log;
    this.pendingStarts.delete(key);
    return [...start.log.map((e) => (e.at === undefined ? { ...e, at: start.at } : e)), ...log];
  }

  /** Writes a journal record and resolves once it is durable; never settles if the lease is lost. */
  async commit(record: StepRecord, log: LogInput[]): Promise<void> {
    this.journal.set(record.key, record);
    const entries = this.foldStart(record.key, log);
    this.flushStarts();
    await this.track(this.host.store.recordStep(this.fence, record, entries, this.now()));
  }

  /** Counts `work` as in flight: no hibernation or pause settles until it is done. */
  async track<T>(work: Promise<T>): Promise<T> {
    if (this.stopped) {
      // Nobody awaits `work` now; a write refused by a closed store must not become an unhandled rejection.
      work.catch(() => {});
      return never();
    }
    this.inflight += 1;
    try {
      return await work;
    } catch (error) {
      // Lost the lease, closed, or the database is unreachable: stop here (the step's outcome is
      // unknown to us); the instance is run again from its journal once the lease is free.
      if (error instanceof StaleLeaseError || error instanceof EngineClosedError || isUnavailable(error)) {
        this.storeFailed(error);
        return never();
      }
      throw error;
    } finally {
      this.inflight -= 1;
      // Nothing to decide while running with no wait: a later wait, pause or drain schedules its own check.
      if (this.inflight === 0 && (this.mode !== "running" || this.waits.size > 0 || this.replayOnly)) {
        this.scheduleCheck();
      }
    }
  }

  /** Waits for a timer (`wakeAt`) and/or an event of `eventType`; may hibernate meanwhile. */
  waitFor(wakeAt: number | null, eventType: string | null): Promise<"timer" | "event"> {
    if (this.stopped) return never();
    return new Promise((resolve) => {
      const wait: PendingWait = {
        wakeAt,
        eventType,
        cancel: null,
        wake: (cause) => {
          if (!this.waits.delete(wait)) return;
          wait.cancel?.();
          resolve(cause);
        },
      };
      if (wakeAt !== null) wait.cancel = this.host.clock.setTimer(wakeAt, () => wait.wake("timer"));
      this.waits.add(wait);
      this.scheduleCheck();
    });
  }

  /** An event of `type` was buffered for this instance: wake the waits for that type, oldest first. */
  notifyEvent(type: string): void {
    for (const wait of [...this.waits]) if (wait.eventType === type) wait.wake("event");
  }

  requestPause(): void {
    if (this.stopped || this.mode !== "running") return;
    this.mode = "pausing";
    this.scheduleCheck();
  }

  cancelPause(): void {
    if (this.mode !== "pausing") return;
    this.mode = "running";
    this.gateOpen?.();
    this.gateOpen = null;
    this.gatePromise = null;
  }

  /** Stops taking new steps, lets in-flight ones finish, then releases the lease. */
  drain(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.mode = "draining";
    const done = new Promise<void>((resolve) => {
      this.drained = resolve;
    });
    this.scheduleCheck();
    return done;
  }

  /** Drops the activation without writing (terminated, restarted, or claimed elsewhere). */
  abandon(): void {
    void this.stop("abandoned");
  }

  /** Gives up an instance this activation cannot run: its lease is released so it is retried. */
  release(): void {
    void this.stop("failed");
  }

  /**
   * Replaces this (placeholder) activation by `next`, which takes over a pause or drain asked of
   * it meanwhile; this one stops without writing or telling the engine.
   */
  handOver(next: Activation): void {
    this.stopped = true;
    if (this.mode === "pausing") next.requestPause();
    if (this.mode === "draining" && this.drained) {
      const resolve = this.drained;
      void next.drain().then(resolve);
    }
  }

  /**
   * Stops the activation at once (no step resumes after this), then performs its last write,
   * then tells the engine, so that whoever waits on the instance sees the written state.
   */
  private async stop(reason: EndReason, lastWrite?: () => Promise<void>): Promise<void> {
    if (this.stopped) return;
    // Attempt starts still waiting go before the last write, in the order they were made.
    if (lastWrite) this.flushStarts();
    this.stopped = true;
    for (const wait of this.waits) wait.cancel?.();
    this.waits.clear();
    let outcome = reason;
    try {
      await lastWrite?.();
    } catch (error) {
      if (!(error instanceof StaleLeaseError) && !(error instanceof EngineClosedError)) {
        this.host.report(error, `instance ${this.instance.workflow}/${this.instance.id} (${reason})`);
      }
      // The last write did not reach the database: release the lease so it is run again soon.
      if (isUnavailable(error)) outcome = "failed";
    }
    this.drained?.();
    this.host.ended(this, outcome);
  }

  private storeFailed(error: unknown): void {
    if (!(error instanceof StaleLeaseError) && !(error instanceof EngineClosedError)) {
      this.host.report(error, `instance ${this.instance.workflow}/${this.instance.id}`);
    }
    void this.stop("failed");
  }

  private scheduleCheck(): void {
    if (this.checkScheduled || this.stopped) return;
    this.checkScheduled = true;
    setImmediate(() => {
      this.checkScheduled = false;
      void this.check();
    });
  }

  /** Runs after user code settled: decides between continuing, hibernating, pausing, draining. */
  private async check(): Promise<void> {
    if (this.stopped || this.inflight > 0) return;
    const store = this.host.store;
    if (this.replayOnly) {
      // Terminated with rollback: once replay has gone as far as it can, run the chain.
      if (this.chainStarted || !this.replaySettled) return;
      this.chainStarted = true;
      await this.rollBack(undefined);
      return this.stop("finished", () => store.finish(this.fence, { status: "terminated" }, this.now()));
    }
    if (this.mode === "draining") {
      return this.stop("drained", () => store.releaseLease(this.fence, this.now()));
    }
    if (this.mode === "pausing") {
      return this.stop("paused", () => store.settlePause(this.fence, this.now()));
    }
    if (this.waits.size === 0) return;
    let wakeAt: number | null = null;
    const types: string[] = [];
    for (const w of this.waits) {
      if (w.wakeAt !== null) wakeAt = wakeAt === null ? w.wakeAt : Math.min(wakeAt, w.wakeAt);
      if (w.eventType !== null && !types.includes(w.eventType)) types.push(w.eventType);
    }
    const soon = wakeAt !== null && wakeAt - this.now() <= this.host.hibernateAfterMs;
    if (soon && types.length === 0) return;
    return this.stop("hibernated", () => store.suspend(this.fence, { wakeAt, waitTypes: types }, this.now()));
  }

  private async complete(output: unknown): Promise<void> {
    if (this.stopped) return;
    if (this.replayOnly) return this.settleReplay();
    let bytes: Uint8Array;
    try {
      bytes = encodeValue(output, "the workflow's output", "output.too_large");
    } catch (error) {
      return this.fail(toErrorRecord(error));
    }
    return this.stop("finished", () =>
      this.host.store.finish(this.fence, { status: "complete", output: bytes }, this.now()),
    );
  }

  /** Runs the rollback chain; a store failure in it is reported, and the instance still settles. */
  private async rollBack(cause: ErrorRecord | undefined): Promise<void> {
    try {
      await runRollbacks(this, cause);
    } catch (error) {
      this.host.report(error, `rollbacks of ${this.instance.workflow}/${this.instance.id}`);
    }
  }

  private settleReplay(): void {
    this.replaySettled = true;
    this.scheduleCheck();
  }

  /** The run failed: rollback handlers run first (if any were registered), then the instance errors. */
  private async failRun(error: ErrorRecord): Promise<void> {
    if (this.stopped) return;
    if (this.replayOnly) return this.settleReplay();
    if (this.chainStarted) return;
    const missing = [...this.journal.values()].some((r) => r.kind === "do" && r.hasRollback);
    if (this.rollbacks.size > 0 || missing) {
      this.chainStarted = true;
      await this.rollBack(error);
    }
    return this.fail(error);
  }

  private async fail(error: ErrorRecord): Promise<void> {
    return this.stop("finished", () =>
      this.host.store.finish(this.fence, { status: "errored", error }, this.now()),
    );
  }
}
