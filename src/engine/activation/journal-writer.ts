// The one place where an instance's store writes happen. Every write is fenced by the
// activation's lease, and every write sends the attempt starts still pending first, so the rule
// "an attempt's start goes out before any other write of the instance" holds for every step kind
// without each one remembering it. It also reports finished steps to the change feed.

import type { EventRecord, Fence, FinishResult, LogInput, StepRecord, Store } from "../../storage/types.js";
import type { ChangeHub } from "../changes.js";
import type { Clock } from "../clock.js";
import type { WaitBase, WaitStep } from "./types.js";

type PendingStart = { record: StepRecord; log: LogInput[]; at: number };

/** Writes one activation's journal, log, stream chunks and final state. */
export class JournalWriter {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly changes: ChangeHub;
  private readonly fence: Fence;
  private readonly workflow: string;
  private readonly id: string;
  private readonly journal: Map<string, StepRecord>;
  private readonly failed: (error: unknown) => void;
  /** Attempt starts not written yet, by step key (see start). */
  private readonly pendingStarts = new Map<string, PendingStart>();
  private startsScheduled = false;
  /** Set when the activation stopped: step writes are dropped, only its last write goes out. */
  private sealed = false;

  /**
   * `journal` is the activation's replay map, kept current with what is written; `failed` hears
   * of a write that nobody awaits and that the store refused.
   */
  constructor(
    store: Store,
    clock: Clock,
    changes: ChangeHub,
    instance: { seq: number; epoch: number; workflow: string; id: string },
    journal: Map<string, StepRecord>,
    failed: (error: unknown) => void,
  ) {
    this.store = store;
    this.clock = clock;
    this.changes = changes;
    this.fence = { seq: instance.seq, epoch: instance.epoch };
    this.workflow = instance.workflow;
    this.id = instance.id;
    this.journal = journal;
    this.failed = failed;
  }

  /** Drops every later step write: the activation stopped (its last write still goes out). */
  seal(): void {
    this.sealed = true;
  }

  /**
   * Writes an attempt's start at the end of this turn of the event loop, unless a later record
   * of the same step comes first. `log` must be an array made for this call (its entries get
   * their time set, and a later record's entries may be appended to it): a callback that finishes within the turn (most do) then costs
   * one journal write, its result, carrying the start's log entries with their own time. The
   * start need not be durable before the callback runs (losing it only repeats an attempt
   * number); any other write of the instance sends it first (see flushStarts).
   */
  start(record: StepRecord, log: LogInput[]): void {
    this.journal.set(record.key, record);
    if (this.sealed) return;
    const at = this.clock.now();
    // The entries are the caller's own, made for this start: they take its time in place, so that
    // folding them into a later record needs no copies.
    for (const entry of log) entry.at ??= at;
    this.pendingStarts.set(record.key, { record, log, at });
    if (!this.startsScheduled) {
      this.startsScheduled = true;
      process.nextTick(this.flushStarts);
    }
  }

  /**
   * Writes the attempt starts no later record replaced. Called at the end of the turn and before
   * any other write of the instance, so that the store receives the writes in the order they
   * were made (a start before its stream chunks, before a sibling's result).
   */
  flushStarts = (): void => {
    this.startsScheduled = false;
    if (this.pendingStarts.size === 0) return;
    const starts = [...this.pendingStarts.values()];
    this.pendingStarts.clear();
    if (this.sealed) return;
    for (const { record, log, at } of starts) {
      this.store.recordStep(this.fence, record, log, at).catch(this.failed);
    }
  };

  /** Writes a journal record without waiting for its commit. */
  record(record: StepRecord, log: LogInput[]): void {
    this.journal.set(record.key, record);
    if (this.sealed) return;
    const entries = this.foldStart(record.key, log);
    this.flushStarts();
    this.store.recordStep(this.fence, record, entries, this.clock.now()).catch(this.failed);
    if (this.changes.watching) this.stepChanged(record);
  }

  /** Writes a journal record; the promise is the store's (undefined once sealed: nothing written). */
  commit(record: StepRecord, log: LogInput[]): Promise<void> | undefined {
    this.journal.set(record.key, record);
    if (this.sealed) return undefined;
    const entries = this.foldStart(record.key, log);
    this.flushStarts();
    const writing = this.store.recordStep(this.fence, record, entries, this.clock.now());
    if (this.changes.watching) this.stepChanged(record);
    return writing;
  }

  appendLog(entries: LogInput[]): Promise<void> | undefined {
    if (this.sealed) return undefined;
    this.flushStarts();
    return this.store.appendLog(this.fence, entries, this.clock.now());
  }

  /** Takes a buffered event of the wait's type; on success the journal holds the step's record. */
  consumeEvent(
    step: WaitStep,
    base: WaitBase,
  ): Promise<(StepRecord & { status: "succeeded" }) | undefined> | undefined {
    if (this.sealed) return undefined;
    this.flushStarts();
    return this.store.consumeEvent(this.fence, step, this.clock.now()).then((event) => {
      if (!event) return undefined;
      const record = received(base, event, this.clock.now());
      this.journal.set(record.key, record);
      if (this.changes.watching) this.stepChanged(record);
      return record;
    });
  }

  appendStreamChunks(key: string, chunks: Uint8Array[]): Promise<void> | undefined {
    if (this.sealed) return undefined;
    this.flushStarts();
    return this.store.appendStreamChunks(this.fence, key, chunks, this.clock.now());
  }

  discardStreamChunks(key: string): Promise<void> | undefined {
    if (this.sealed) return undefined;
    this.flushStarts();
    return this.store.discardStreamChunks(this.fence, key, this.clock.now());
  }

  // The last writes of an activation: made once it stopped, after the starts still pending.

  /** Hibernates the instance; resolves with the status written (paused if a pause was pending). */
  suspend(wake: { wakeAt: number | null; waitTypes: string[] }): Promise<"waiting" | "paused"> {
    return this.store.suspend(this.fence, wake, this.clock.now());
  }

  settlePause(): Promise<void> {
    return this.store.settlePause(this.fence, this.clock.now());
  }

  finish(result: FinishResult): Promise<void> {
    return this.store.finish(this.fence, result, this.clock.now());
  }

  releaseLease(): Promise<void> {
    return this.store.releaseLease(this.fence, this.clock.now());
  }

  /** The log of a record of step `key`, after the entries of its unwritten start (if any). */
  private foldStart(key: string, log: LogInput[]): LogInput[] {
    const start = this.pendingStarts.get(key);
    if (!start) return log;
    this.pendingStarts.delete(key);
    // The start's entries carry their own time (see start) and their array is the start's own.
    for (const entry of log) start.log.push(entry);
    return start.log;
  }

  private stepChanged(record: StepRecord): void {
    if (record.status !== "succeeded" && record.status !== "failed") return;
    const { key, kind, name, count, status } = record;
    this.changes.emit({
      type: "step",
      workflow: this.workflow,
      id: this.id,
      step: { key, kind, name, count, status },
      at: this.clock.now(),
    });
  }
}

function received(base: WaitBase, event: EventRecord, now: number): StepRecord & { status: "succeeded" } {
  return {
    ...base,
    status: "succeeded" as const,
    attempts: 1,
    value: event.payload,
    endedAt: now,
    event: { type: event.type, sentAt: event.sentAt },
  } as StepRecord & { status: "succeeded" };
}
