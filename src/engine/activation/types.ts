// The narrow interfaces between an activation and the step kinds. Step kinds see a StepHost:
// the clock's time and timers, the replay lookup, the gate, the state budget and the journal
// writer's methods, never the Store or the Clock, so every write of an instance goes through
// one writer. Shared types live here so that step kinds never import the Activation class.

import type { WorkflowRollbackOptions, WorkflowStepContext } from "../../api/types.js";
import type {
  ErrorRecord,
  LogInput,
  LogType,
  StepKind,
  StepRecord,
  Store,
  StoredStatus,
} from "../../storage/types.js";
import type { ChangeHub } from "../changes.js";
import type { CancelTimer, Clock } from "../clock.js";
import type { EndReason, RunObserver } from "../observer.js";
import type { StepOverrides } from "../overrides.js";
import type { StepPlan } from "../step-config.js";

export type { EndReason } from "../observer.js";

/** What an activation (of type `A`) needs from the engine that runs it. */
export interface ActivationHost<A> {
  readonly store: Store;
  readonly clock: Clock;
  readonly changes: ChangeHub;
  /** Waits whose next timer is further away than this hibernate instead of holding memory. */
  readonly hibernateAfterMs: number;
  /** Most bytes one instance may hold in step values and stream chunks. */
  readonly maxInstanceStateBytes: number;
  /**
   * Called once when the activation stops, whatever the reason. `status` is the status its last
   * write gave the instance, when that write succeeded.
   */
  ended(activation: A, reason: EndReason, status: StoredStatus | undefined): void;
  /** The rollback handlers of one activation (implemented by the step kinds). */
  createRollbacks(steps: StepHost): RollbackLedger;
  /** The test overrides of an instance (cairn/testing's introspection), asked once per activation. */
  overridesFor(workflow: string, id: string): StepOverrides | undefined;
  report(error: unknown, context: string): void;
}

/** The log entry names of one retriable kind (`step.do` or a rollback handler). */
export type LogNames = {
  stepStart: LogType;
  attemptStart: LogType;
  attemptSuccess: LogType;
  attemptFailure: LogType;
  stepSuccess: LogType;
  stepFailure: LogType;
};

/** One retriable step being run: its identity, its plan and how it is journaled. */
export type RetriableStep = {
  key: string;
  kind: "do" | "rollback";
  name: string;
  count: number;
  startedAt: number;
  startOrder: number;
  plan: StepPlan;
  logs: LogNames;
  hasRollback: boolean;
  /** Stream results are allowed for `step.do`, not for rollback handlers. */
  streams: boolean;
};

/** The rollback handlers registered during one activation, as the step kinds report them. */
export interface RollbackLedger {
  readonly size: number;
  register(
    step: RetriableStep,
    options: WorkflowRollbackOptions<unknown>,
    cached: StepRecord | undefined,
  ): void;
  attempted(key: string, ctx: WorkflowStepContext): void;
  succeeded(key: string, output: unknown): void;
  failed(key: string, error: Error): void;
  /** Runs the chain; `cause` is the instance's failure (undefined on terminate with rollback). */
  run(cause: ErrorRecord | undefined): Promise<void>;
}

/** A step's place in the run: its key (kind + name + occurrence) and its journal record, if any. */
export type StepSlot = { key: string; count: number; cached: StepRecord | undefined };

/** The identity of a waitForEvent step, as the store records a consumed event. */
export type WaitStep = { key: string; name: string; count: number; startedAt: number; type: string };

/** Everything a step kind may use of its activation. */
export interface StepHost {
  /** Terminated with `{ rollback: true }`: the run is replayed only to rebuild rollback handlers. */
  readonly replayOnly: boolean;
  /**
   * The instance was taken over after its holder stopped mid-run: each attempt's start is
   * committed before its callback runs (see Claim.recovered), instead of folded into its result.
   */
  readonly recovered: boolean;
  readonly rollbacks: RollbackLedger;
  /**
   * The instance's test overrides (cairn/testing's introspection); undefined for every instance
   * that is not introspected, so that a step pays one property read for them.
   */
  readonly overrides: StepOverrides | undefined;
  /** What the run reports to metrics, traces and logs; undefined when nobody listens. */
  readonly observer: RunObserver | undefined;
  now(): number;
  setTimer(at: number, callback: () => void): CancelTimer;

  // Replay.
  /** The next step of `kind` with `name` in this run, and its journal record if it has one. */
  lookup(kind: "do" | "sleep" | "waitForEvent", name: string): StepSlot;
  /** A journal record by key (rollback records, which are keyed by their step's key). */
  recorded(key: string): StepRecord | undefined;
  /** Journal records of `kind` in this run. */
  recordsOf(kind: StepKind): StepRecord[];
  /** The start order of a step starting now (rollbacks run in reverse of it). */
  nextStartOrder(): number;
  /** Counts one `step.do`; past the limit the instance fails at once. */
  countDo(): Promise<void> | undefined;
  /** In replay-only mode: a step that has not finished; the run goes no further. */
  frontier<T>(): Promise<T>;
  /** Resolves when new steps may start: at once unless a pause or a drain is in progress. */
  gate(): Promise<void>;

  // Lifecycle.
  /** Fails the instance at once, whatever the workflow catches (invalid stream, state limit). */
  fatal(error: ErrorRecord): Promise<never>;
  /** Counts `work` as in flight: no hibernation or pause settles until it is done. */
  countInFlight<T>(work: Promise<T>): Promise<T>;
  /** Waits for a timer (`wakeAt`) and/or an event of `eventType`; may hibernate meanwhile. */
  waitFor(wakeAt: number | null, eventType: string | null): Promise<"timer" | "event">;
  /** Counts bytes about to be stored against the state limit; undefined when decided at once. */
  chargeState(bytes: number): Promise<void> | undefined;

  // Writes (all through the journal writer: an attempt's start always goes out first).
  /** Records an attempt's start, written at the end of the turn or folded into the next write. */
  recordStart(record: StepRecord, log: LogInput[]): void;
  /** Writes a journal record without waiting for its commit (sleep starts, retry waits). */
  record(record: StepRecord, log: LogInput[]): void;
  /** Writes a journal record and resolves once it is durable; never settles if the lease is lost. */
  commit(record: StepRecord, log: LogInput[]): Promise<void>;
  /** Appends log entries (rollback chain markers), counted in flight like a commit. */
  appendLog(entries: LogInput[]): Promise<void>;
  /** Takes a buffered event for a wait and records the step as succeeded with it; counted in flight. */
  consumeEvent(step: WaitStep, base: WaitBase): Promise<(StepRecord & { status: "succeeded" }) | undefined>;
  /** Appends chunks of a stream result (not counted: the attempt that stores them is). */
  appendStreamChunks(key: string, chunks: Uint8Array[]): Promise<void>;
  /** Deletes the stored chunks of a stream result (not counted in flight). */
  discardStreamChunks(key: string): Promise<void>;
  /** Reads the stored chunks of a stream result. */
  loadStreamChunks(key: string): Promise<Uint8Array[]>;
}

/** The fields every record of a wait step carries. */
export type WaitBase = {
  key: string;
  kind: "sleep" | "waitForEvent";
  name: string;
  count: number;
  startedAt: number;
  startOrder: number;
  config: null;
};
