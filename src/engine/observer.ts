// What the engine tells the observers of one process (metrics, traces, logs): instances created
// and statuses written here, and each run (activation) of an instance with what happens in it.
// An observer is asked once per run for a RunObserver, so that per-step hooks reach per-run state
// (a span, metric children bound to the workflow's labels) without a lookup; with no observer a
// step pays one property read. Observers must not throw: a failure there would be the engine's.

import type { ErrorRecord, InstanceRecord, StoredStatus, TriggerSource } from "../storage/types.js";

/**
 * Why an run stopped. `released`: it gave up the instance (a store write failed, or the
 * engine closed before it could finish), and its lease was released so another run takes over.
 */
export type EndReason = "finished" | "hibernated" | "paused" | "abandoned" | "drained" | "released";

/** One run of an instance beginning in this process. */
export type RunStart = {
  readonly instance: InstanceRecord;
  /** The instance's first run (it was queued); false for a run resumed from its journal. */
  readonly fresh: boolean;
  /** Taken over after the process that held it stopped mid-run (its lease expired). */
  readonly recovered: boolean;
};

/** One attempt of a `step.do` callback or of a rollback handler. */
export type AttemptStart = {
  readonly kind: "do" | "rollback";
  readonly name: string;
  /** The step's occurrence among steps of that name in the run (1 for the first). */
  readonly count: number;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** The step's retry limit: at most `retryLimit + 1` attempts are made. */
  readonly retryLimit: number;
};

/**
 * How an attempt ended. `durationMs`: the callback's own time (a stream result's reading
 * included). A failure says whether another attempt follows and after what delay.
 */
export type AttemptEnd =
  | { readonly outcome: "success"; readonly durationMs: number }
  | {
      readonly outcome: "failure" | "timeout";
      readonly durationMs: number;
      readonly error: ErrorRecord;
      /** The delay before the next attempt; null when none follows (retries ran out, non-retryable, fatal). */
      readonly retryDelayMs: number | null;
    };

/** The per-attempt part of an observer: wraps the callback's call and hears how it ended. */
export interface AttemptObserver {
  /** Calls `fn` (the attempt's callback) inside whatever context the observer keeps (a span, a log tag). */
  run?<T>(fn: () => T): T;
  ended(end: AttemptEnd): void;
}

/** What one run of one instance reports. Every method is optional. */
export interface RunObserver {
  /** Calls `fn` (the workflow's `run`) inside the observer's context, so code outside steps is in it too. */
  enter?<T>(fn: () => T): T;
  attempt?(start: AttemptStart): AttemptObserver | undefined;
  /** A sleep started waiting (not called when a replay finds it already waiting). */
  sleeping?(name: string, wakeAt: number): void;
  /** A sleep that this run waited for is over; `at` is the clock's time when it resumed. */
  woke?(name: string, wakeAt: number, at: number): void;
  /** A waitForEvent started waiting for an event of `type` until `deadline`. */
  waiting?(name: string, type: string, deadline: number): void;
  /** A waitForEvent took an event sent at `sentAt` (ms); `at` is the clock's time. */
  received?(name: string, type: string, sentAt: number, at: number): void;
  /** A waitForEvent reached its deadline with no event. */
  timedOut?(name: string, type: string): void;
  /**
   * The run stopped. `status` is what its last write gave the instance (undefined when it wrote
   * none); `error` is the instance's error when it failed.
   */
  ended?(reason: EndReason, status: StoredStatus | undefined, error: ErrorRecord | undefined): void;
}

/** An observer of one process's engine. */
export interface EngineObserver {
  /** An instance was created by this process (binding, API, cron or test). */
  created?(workflow: string, id: string, trigger: TriggerSource): void;
  /** This process wrote an instance's status (a run settling, or a control operation). */
  statusWritten?(workflow: string, id: string, status: StoredStatus): void;
  /** A run begins; what it returns hears the run's steps. */
  run?(start: RunStart): RunObserver | undefined;
}
