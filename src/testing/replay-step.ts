// The `step` a replay hands to `run`: each `do`, `sleep`, `sleepUntil` and `waitForEvent` is
// looked up in the history by kind, name and occurrence, as the engine's journal is, and
// answered with its recorded outcome, in whatever order the code asks. No callback ever runs.
// Calls the history cannot answer stay pending; the session notes why, for the result.

import type { WorkflowStep, WorkflowStepEvent } from "../api/types.js";
import { MAX_SLEEP_MS, parseDuration } from "../engine/duration.js";
import { planStep } from "../engine/step-config.js";
import { MIN_EVENT_TIMEOUT_MS } from "../engine/steps/wait-for-event.js";
import { describeValue, validateEventType, validateStepName } from "../engine/validate.js";
import { fromErrorRecord } from "../engine/values.js";
import { WorkflowsError } from "../errors.js";
import {
  REDACTED,
  type RecordedHistory,
  type RecordedOutcome,
  type RecordedStep,
  type ReplayStepRef,
  type ReplayStepType,
  stepKey,
} from "./recorded-history.js";

/** What the replay handed back for a recorded step. */
export type ReplayedResult = "value" | "stream" | "event" | "redacted" | "error" | "timed-out" | "unfinished";

/** A recorded step the code asked for, in the order it asked. */
export type ReplayedStep = ReplayStepRef & { key: string; result: ReplayedResult };

/**
 * A call the replay left pending: a recorded step with no result yet (`unfinished`), a step asked
 * for once every recorded step had been (`beyond-history`), or one the history lacks while
 * recorded steps were still to come (`not-recorded`).
 */
export type StoppedCall = ReplayStepRef & {
  reason: "unfinished" | "beyond-history" | "not-recorded";
  /** Recorded steps not asked for yet when the call was judged (for `not-recorded`). */
  outstanding: ReplayStepRef[];
  /** Order among every call of the run (0 for the first). */
  seq: number;
};

type Job = { unrecorded: { ref: ReplayStepRef; seq: number }[] };

/** Answers one run's steps from a history and keeps what happened. */
export class ReplaySession {
  readonly history: RecordedHistory;
  readonly reached: ReplayedStep[] = [];
  readonly stopped: StoppedCall[] = [];
  /** Errors the replay threw for recorded failures: `run` may let them through. */
  readonly historyErrors = new WeakSet<object>();
  /** Grows with every call: the drain's measure of progress. */
  calls = 0;
  readonly #byKey: Map<string, RecordedStep>;
  readonly #asked = new Set<string>();
  readonly #counters = new Map<string, number>();
  #job: Job | null = null;

  constructor(history: RecordedHistory) {
    this.history = history;
    this.#byKey = new Map(history.steps.map((s) => [s.key, s]));
  }

  /** Recorded steps the code has not asked for (so far), in start order. */
  notReached(): RecordedStep[] {
    return this.history.steps.filter((s) => !this.#asked.has(s.key));
  }

  /** The `step` argument of `run`. */
  step(): WorkflowStep {
    return {
      do: (name: string, configOrCallback: unknown, maybeCallback?: unknown): Promise<any> => {
        const hasConfig = typeof configOrCallback !== "function";
        const callback = hasConfig ? maybeCallback : configOrCallback;
        return guard(() => {
          if (typeof callback !== "function") {
            throw new WorkflowsError(
              "step.invalid_config",
              `step.do("${String(name)}") needs a callback function, got ${describeValue(callback)}`,
            );
          }
          validateStepName(name);
          // The engine checks the code's config even when the journal answers the step.
          planStep(name, hasConfig ? configOrCallback : undefined);
          return this.#ask("do", name);
        });
      },
      sleep: (name: string, duration: unknown) =>
        guard(() => {
          validateStepName(name);
          const ms = parseDuration(duration, `the duration of sleep "${name}"`);
          if (ms > MAX_SLEEP_MS) {
            throw new WorkflowsError(
              "step.invalid_config",
              `the duration of sleep "${name}" is ${ms} ms; the limit is 365 days`,
            );
          }
          return this.#ask("sleep", name);
        }),
      sleepUntil: (name: string, timestamp: unknown) =>
        guard(() => {
          validateStepName(name);
          const at = timestamp instanceof Date ? timestamp.getTime() : timestamp;
          if (typeof at !== "number" || !Number.isFinite(at)) {
            throw new WorkflowsError(
              "step.invalid_config",
              `sleepUntil "${name}" needs a Date or a number of ms since the epoch, got ${describeValue(timestamp)}`,
            );
          }
          return this.#ask("sleep", name);
        }),
      waitForEvent: (name: string, options: unknown) =>
        guard(() => {
          validateStepName(name);
          checkWaitOptions(name, options);
          return this.#ask("waitForEvent", name);
        }),
    } as WorkflowStep;
  }

  #ask(type: ReplayStepType, name: string): Promise<unknown> {
    const counter = `${type}:${name}`;
    const count = (this.#counters.get(counter) ?? 0) + 1;
    this.#counters.set(counter, count);
    const ref: ReplayStepRef = { type, name, count };
    const seq = this.calls++;
    const recorded = this.#byKey.get(stepKey(ref));
    if (!recorded) {
      this.#currentJob().unrecorded.push({ ref, seq });
      return never();
    }
    this.#asked.add(recorded.key);
    this.reached.push({ ...ref, key: recorded.key, result: resultOf(recorded.outcome) });
    if (recorded.outcome.kind === "unfinished") {
      this.stopped.push({ ...ref, reason: "unfinished", outstanding: [], seq });
      return never();
    }
    return this.#answer(recorded.outcome);
  }

  #answer(outcome: Exclude<RecordedOutcome, { kind: "unfinished" }>): Promise<unknown> {
    switch (outcome.kind) {
      case "value":
        return Promise.resolve(outcome.value === undefined ? undefined : structuredClone(outcome.value));
      case "redacted":
        return Promise.resolve(REDACTED);
      case "stream":
        return Promise.resolve(streamOver(outcome.bytes));
      case "event": {
        const event: WorkflowStepEvent<unknown> = {
          payload: structuredClone(outcome.event.payload) as Readonly<unknown>,
          timestamp: new Date(outcome.event.sentAt),
          type: outcome.event.type,
        };
        return Promise.resolve(event);
      }
      case "error": {
        // As the engine rethrows a journaled failure: a NonRetryableError by name, else an Error named as recorded.
        const error = fromErrorRecord(outcome.error);
        this.historyErrors.add(error);
        return Promise.reject(error);
      }
    }
  }

  /**
   * Calls made in one synchronous stretch of code (`Promise.all([step.do(…), step.do(…)])`) are
   * judged together once it ends: a step the history lacks is past its end, not a divergence,
   * when the calls beside it reached every recorded step.
   */
  #currentJob(): Job {
    if (this.#job) return this.#job;
    const job: Job = { unrecorded: [] };
    this.#job = job;
    // A promise reaction, not queueMicrotask: fake timers may replace the latter.
    void Promise.resolve().then(() => {
      if (this.#job === job) this.#job = null;
      this.#judge(job);
    });
    return job;
  }

  #judge(job: Job): void {
    const outstanding = this.notReached().map(({ type, name, count }) => ({ type, name, count }));
    for (const { ref, seq } of job.unrecorded) {
      const reason = outstanding.length === 0 ? "beyond-history" : "not-recorded";
      this.stopped.push({ ...ref, reason, outstanding, seq });
    }
    this.stopped.sort((a, b) => a.seq - b.seq);
  }
}

function resultOf(outcome: RecordedOutcome): ReplayedResult {
  if (outcome.kind === "error") return outcome.timedOut ? "timed-out" : "error";
  return outcome.kind;
}

/** A fresh stream over the recorded bytes, as the engine hands a replayed stream result. */
function streamOver(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (bytes.byteLength > 0) controller.enqueue(bytes.slice());
      controller.close();
    },
  });
}

/** A promise that never settles: the history has nothing to answer with. */
function never(): Promise<never> {
  return new Promise<never>(() => {});
}

/** A synchronous throw (a bad argument) as a rejected promise, as the engine's step methods do. */
function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (error) {
    return Promise.reject(error);
  }
}

function checkWaitOptions(name: string, options: unknown): void {
  if (typeof options !== "object" || options === null) {
    throw new WorkflowsError(
      "step.invalid_config",
      `waitForEvent "${name}" needs options { type, timeout? }, got ${describeValue(options)}`,
    );
  }
  const { type, timeout } = options as { type?: unknown; timeout?: unknown };
  validateEventType(type);
  if (timeout === undefined) return;
  const ms = parseDuration(timeout, `the timeout of waitForEvent "${name}"`);
  if (ms < MIN_EVENT_TIMEOUT_MS || ms > MAX_SLEEP_MS) {
    throw new WorkflowsError(
      "step.invalid_config",
      `the timeout of waitForEvent "${name}" is ${ms} ms; it must be between 1 second and 365 days`,
    );
  }
}
