// One activation of an instance: the user's `run` called from the top against its journal
// (replay). It counts what is in flight (attempts, commits) and what is waiting (timers,
// events); when nothing is in flight it settles: hibernates, settles a pause or drains, so a
// sleeping or waiting instance holds no memory. Step kinds see it only as a StepHost.

import { EngineClosedError, StaleLeaseError, WorkflowsError } from "../../errors.js";
import type {
  ErrorRecord,
  InstanceRecord,
  LogInput,
  StepKind,
  StepRecord,
  StoredStatus,
} from "../../storage/types.js";
import type { CancelTimer } from "../clock.js";
import type { RunObserver } from "../observer.js";
import type { StepOverrides } from "../overrides.js";
import { stopsRun } from "../store-outage.js";
import { encodeValue, toErrorRecord } from "../values.js";
import { JournalWriter } from "./journal-writer.js";
import { Replay } from "./replay.js";
import { StateBudget } from "./state-budget.js";
import type {
  ActivationHost,
  EndReason,
  RollbackLedger,
  StepHost,
  StepSlot,
  WaitBase,
  WaitStep,
} from "./types.js";
import { Waits } from "./waits.js";

const never = <T>(): Promise<T> => new Promise<T>(() => {});

/** The store cannot take writes (PostgreSQL restarting, network gone, a full disk, a replaced file). */
const isUnavailable = stopsRun;

/** The lifecycle of one live instance. */
export class Activation implements StepHost {
  readonly instance: InstanceRecord;
  readonly fence: { seq: number; epoch: number };
  private readonly host: ActivationHost<Activation>;
  private readonly stepLimit: number;
  readonly rollbacks: RollbackLedger;
  /**
   * Set when the instance was terminated with `{ rollback: true }`: the run is replayed only to
   * rebuild rollback handlers; a step that has not finished blocks there (the frontier).
   */
  readonly replayOnly: boolean;
  /** Taken over after its holder stopped mid-run: attempt starts are committed before callbacks. */
  readonly recovered: boolean;
  /** What this run reports to the process's metrics, traces and logs (undefined: nobody listens). */
  observer: RunObserver | undefined;
  /** The instance's error, once the run failed (for the observer). */
  private failure: ErrorRecord | undefined;
  /** The instance's test overrides (cairn/testing), if it is introspected. */
  overrides: StepOverrides | undefined;
  /** The overrides, and their version, when the run decided to hibernate (see missedOverrides). */
  private overridesSeen: { overrides: StepOverrides | undefined; version: number } | null = null;
  private readonly replay: Replay;
  private readonly writer: JournalWriter;
  private readonly budget: StateBudget;
  private doCalls = 0;
  private inflight = 0;
  /** Clock time of the last journal write (or of the activation's start): see `stalledSince`. */
  private progressAt: number;
  private readonly waits: Waits;
  private mode: "running" | "pausing" | "draining" = "running";
  private gateOpen: (() => void) | null = null;
  private gatePromise: Promise<void> | null = null;
  private settleScheduled = false;
  private stopped = false;
  private drained: (() => void) | null = null;
  private chainStarted = false;
  /** Replay-only mode: the run reached a step that has not finished, or settled. */
  private replaySettled = false;

  /** `storedBytes`: the instance's stored step state, when the caller knows it (0 for a fresh one). */
  constructor(
    host: ActivationHost<Activation>,
    instance: InstanceRecord,
    journal: StepRecord[],
    stepLimit: number,
    storedBytes?: number,
    recovered = false,
  ) {
    this.host = host;
    this.instance = instance;
    this.fence = { seq: instance.seq, epoch: instance.epoch };
    this.stepLimit = stepLimit;
    this.replay = new Replay(journal);
    this.writer = new JournalWriter(
      host.store,
      host.clock,
      host.changes,
      instance,
      this.replay.journal,
      this.writeFailed,
    );
    this.waits = new Waits(host.clock);
    this.progressAt = host.clock.now();
    this.budget = new StateBudget(host.store, instance.seq, host.maxInstanceStateBytes, storedBytes);
    this.replayOnly = instance.rollbackPending;
    this.recovered = recovered;
    this.overrides = host.overridesFor(instance.workflow, instance.id);
    this.rollbacks = host.createRollbacks(this);
  }

  /** Overrides installed while this run is live: its next steps ask them. */
  useOverrides(overrides: StepOverrides | undefined): void {
    this.overrides = overrides;
  }

  /**
   * True when `current` (the instance's overrides now) differs from what the run saw when it
   * decided to hibernate: the change could not reach the run, so the instance must be woken to
   * replay with it.
   */
  missedOverrides(current: StepOverrides | undefined): boolean {
    const seen = this.overridesSeen;
    if (!seen || !current) return false;
    return current !== seen.overrides || current.version !== seen.version;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  now(): number {
    return this.host.clock.now();
  }

  setTimer(at: number, callback: () => void): CancelTimer {
    return this.host.clock.setTimer(at, callback);
  }

  /** Runs the workflow; settles the instance when `run` returns or throws. */
  start(run: () => Promise<unknown>, observer?: RunObserver): void {
    this.observer = observer;
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(observer?.enter ? observer.enter(run) : run());
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(
      (output) => this.complete(output),
      (error) => this.failRun(toErrorRecord(error)),
    );
    this.settleWhenIdle();
  }

  // ---- replay --------------------------------------------------------------------------------

  lookup(kind: "do" | "sleep" | "waitForEvent", name: string): StepSlot {
    return this.replay.lookup(kind, name);
  }

  recorded(key: string): StepRecord | undefined {
    return this.replay.journal.get(key);
  }

  recordsOf(kind: StepKind): StepRecord[] {
    return this.replay.recordsOf(kind);
  }

  nextStartOrder(): number {
    return this.replay.nextStartOrder();
  }

  countDo(): Promise<void> | undefined {
    this.doCalls += 1;
    if (this.doCalls <= this.stepLimit) return undefined;
    const message = `The limit of ${this.stepLimit} steps has been reached. This limit can be changed in your workflow configuration (limits.steps).`;
    const error = new WorkflowsError("step.limit_exceeded", message);
    return this.fatal({ name: error.name, message: error.message });
  }

  frontier<T>(): Promise<T> {
    this.replaySettled = true;
    this.settleWhenIdle();
    return never();
  }

  gate(): Promise<void> {
    if (this.stopped) return never();
    if (this.mode === "running") return Promise.resolve();
    if (this.mode === "draining") return never();
    if (!this.gatePromise) {
      this.gatePromise = new Promise<void>((resolve) => {
        this.gateOpen = resolve;
      });
    }
    this.settleWhenIdle();
    return this.gatePromise;
  }

  // ---- what steps do -------------------------------------------------------------------------

  fatal(error: ErrorRecord): Promise<never> {
    void this.failRun(error);
    return never();
  }

  chargeState(bytes: number): Promise<void> | undefined {
    return this.budget.charge(bytes);
  }

  recordStart(record: StepRecord, log: LogInput[]): void {
    this.progressAt = this.host.clock.now();
    this.writer.start(record, log);
  }

  record(record: StepRecord, log: LogInput[]): void {
    this.progressAt = this.host.clock.now();
    this.writer.record(record, log);
  }

  commit(record: StepRecord, log: LogInput[]): Promise<void> {
    this.progressAt = this.host.clock.now();
    const writing = this.writer.commit(record, log);
    return writing ? this.countInFlight(writing) : never();
  }

  appendLog(entries: LogInput[]): Promise<void> {
    this.progressAt = this.host.clock.now();
    const writing = this.writer.appendLog(entries);
    return writing ? this.countInFlight(writing) : never();
  }

  consumeEvent(step: WaitStep, base: WaitBase): Promise<(StepRecord & { status: "succeeded" }) | undefined> {
    this.progressAt = this.host.clock.now();
    const taking = this.writer.consumeEvent(step, base);
    return taking ? this.countInFlight(taking) : never();
  }

  appendStreamChunks(key: string, chunks: Uint8Array[]): Promise<void> {
    return this.writer.appendStreamChunks(key, chunks) ?? never();
  }

  discardStreamChunks(key: string): Promise<void> {
    return this.writer.discardStreamChunks(key) ?? never();
  }

  loadStreamChunks(key: string): Promise<Uint8Array[]> {
    return this.host.store.loadStreamChunks(this.fence.seq, key);
  }

  /** Counts `work` as in flight: no hibernation or pause settles until it is done. */
  async countInFlight<T>(work: Promise<T>): Promise<T> {
    if (this.stopped) {
      // Nobody awaits `work` now; a write refused by a closed store must not become an unhandled rejection.
      work.catch(() => {});
      return never();
    }
    this.inflight += 1;
    try {
      return await work;
    } catch (error) {
      // Lost the lease, closed, or the database is unreachable or full: stop here (the step's outcome is
      // unknown to us); the instance is run again from its journal once the lease is free.
      if (error instanceof StaleLeaseError || error instanceof EngineClosedError || isUnavailable(error)) {
        this.writeFailed(error);
        return never();
      }
      throw error;
    } finally {
      this.inflight -= 1;
      // Nothing to decide while running with no wait: a later wait, pause or drain asks on its own.
      if (this.inflight === 0 && (this.mode !== "running" || this.waits.size > 0 || this.replayOnly)) {
        this.settleWhenIdle();
      }
    }
  }

  /**
   * When this instance last made progress, if it is stuck: running, with nothing the engine
   * waits for (no step attempt or store write in flight, no sleep, retry delay or event wait),
   * yet its run has not settled, as when it awaits a promise that never settles outside any
   * step. Null while it has something to wait for, or once it stopped.
   */
  stalledSince(): number | null {
    if (this.stopped || this.mode !== "running" || this.inflight > 0 || this.waits.size > 0) return null;
    return this.progressAt;
  }

  waitFor(wakeAt: number | null, eventType: string | null): Promise<"timer" | "event"> {
    if (this.stopped) return never();
    const waiting = this.waits.add(wakeAt, eventType);
    this.settleWhenIdle();
    return waiting;
  }

  // ---- control from the engine ---------------------------------------------------------------

  /** An event of `type` was buffered for this instance: wake the waits for that type, oldest first. */
  notifyEvent(type: string): void {
    this.waits.wakeFor(type);
  }

  requestPause(): void {
    if (this.stopped || this.mode !== "running") return;
    this.mode = "pausing";
    this.settleWhenIdle();
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
    this.settleWhenIdle();
    return done;
  }

  /** Drops the activation without writing (terminated, restarted, deleted, or claimed elsewhere). */
  abandon(): void {
    void this.stop("abandoned");
  }

  /**
   * Gives the instance up at once, whatever is in flight; the engine releases its lease so that
   * another run takes it over without waiting for the lease to expire (a failed load, a close).
   */
  release(): void {
    void this.stop("released");
  }

  /**
   * Replaces this (placeholder) activation by `next`, which takes over a pause or drain asked of
   * it meanwhile; this one stops without writing or telling the engine.
   */
  handOver(next: Activation): void {
    this.stopped = true;
    this.writer.seal();
    if (this.mode === "pausing") next.requestPause();
    if (this.mode === "draining" && this.drained) {
      const resolve = this.drained;
      void next.drain().then(resolve);
    }
  }

  // ---- settling ------------------------------------------------------------------------------

  /**
   * Stops the activation at once (no step resumes after this), then performs its last write,
   * then tells the engine, so that whoever waits on the instance sees the written state.
   */
  private async stop(
    reason: EndReason,
    lastWrite?: () => Promise<unknown>,
    status?: StoredStatus,
  ): Promise<void> {
    if (this.stopped) return;
    // Attempt starts still waiting go before the last write, in the order they were made.
    if (lastWrite) this.writer.flushStarts();
    this.stopped = true;
    this.writer.seal();
    this.waits.cancelAll();
    let outcome = reason;
    let written = status;
    try {
      // A last write that tells the status it wrote (a suspend that settled a pause) is believed.
      const wrote = await lastWrite?.();
      if (typeof wrote === "string") written = wrote as StoredStatus;
    } catch (error) {
      written = undefined;
      if (!(error instanceof StaleLeaseError) && !(error instanceof EngineClosedError)) {
        this.host.report(error, `instance ${this.instance.workflow}/${this.instance.id} (${reason})`);
      }
      // The last write did not reach the database: release the lease so it is run again soon.
      if (isUnavailable(error)) outcome = "released";
    }
    this.drained?.();
    this.observer?.ended?.(outcome, written, written === "errored" ? this.failure : undefined);
    this.host.ended(this, outcome, written);
  }

  /** A write nobody awaits was refused: the activation gives the instance up. */
  private readonly writeFailed = (error: unknown): void => {
    if (!(error instanceof StaleLeaseError) && !(error instanceof EngineClosedError)) {
      this.host.report(error, `instance ${this.instance.workflow}/${this.instance.id}`);
    }
    void this.stop("released");
  };

  /** Decides, once user code has gone as far as it can in this turn, whether to settle. */
  private settleWhenIdle(): void {
    if (this.settleScheduled || this.stopped) return;
    this.settleScheduled = true;
    setImmediate(() => {
      this.settleScheduled = false;
      void this.settle();
    });
  }

  /** Runs after user code settled: decides between continuing, hibernating, pausing, draining. */
  private async settle(): Promise<void> {
    if (this.stopped || this.inflight > 0) return;
    const writer = this.writer;
    // Draining comes first, also for a run that is only replayed to roll back: a close or a
    // reload must never wait on it, and its lease goes back for the next run to take.
    if (this.mode === "draining") return this.stop("drained", () => writer.releaseLease());
    if (this.replayOnly) {
      // Terminated with rollback: once replay has gone as far as it can, run the chain.
      if (this.chainStarted || !this.replaySettled) return;
      this.chainStarted = true;
      await this.rollBack(undefined);
      return this.stop("finished", () => writer.finish({ status: "terminated" }), "terminated");
    }
    if (this.mode === "pausing") return this.stop("paused", () => writer.settlePause(), "paused");
    const wake = this.waits.hibernation(this.host.hibernateAfterMs);
    if (!wake) return;
    this.overridesSeen = { overrides: this.overrides, version: this.overrides?.version ?? -1 };
    return this.stop("hibernated", () => writer.suspend(wake), "waiting");
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
    return this.stop("finished", () => this.writer.finish({ status: "complete", output: bytes }), "complete");
  }

  /** Runs the rollback chain; a store failure in it is reported, and the instance still settles. */
  private async rollBack(cause: ErrorRecord | undefined): Promise<void> {
    try {
      await this.rollbacks.run(cause);
    } catch (error) {
      this.host.report(error, `rollbacks of ${this.instance.workflow}/${this.instance.id}`);
    }
  }

  private settleReplay(): void {
    this.replaySettled = true;
    this.settleWhenIdle();
  }

  /** The run failed: rollback handlers run first (if any were registered), then the instance errors. */
  private async failRun(error: ErrorRecord): Promise<void> {
    if (this.stopped) return;
    if (this.replayOnly) return this.settleReplay();
    if (this.chainStarted) return;
    const missing = this.replay.recordsOf("do").some((r) => r.hasRollback);
    if (this.rollbacks.size > 0 || missing) {
      this.chainStarted = true;
      await this.rollBack(error);
    }
    return this.fail(error);
  }

  private fail(error: ErrorRecord): Promise<void> {
    this.failure = error;
    return this.stop("finished", () => this.writer.finish({ status: "errored", error }), "errored");
  }
}
