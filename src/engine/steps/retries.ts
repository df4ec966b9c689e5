// The retry loop shared by `step.do` and rollback handlers: run an attempt bounded by its
// timeout, persist its result before resolving, or record the failure and wait out the backoff
// (a wait like a sleep, so a long one hibernates the instance) before the next attempt.

import { isNonRetryable } from "../../api/non-retryable-error.js";
import type { WorkflowStepContext } from "../../api/types.js";
import type { ErrorRecord, LogInput, StepRecord } from "../../storage/types.js";
import type { RetriableStep, StepHost } from "../activation/types.js";
import type { AttemptObserver } from "../observer.js";
import type { AttemptOverride } from "../overrides.js";
import { backoffDelay, evaluateDelayFunction, shouldRetry } from "../step-config.js";
import { failsInstance, WorkflowInternalError, WorkflowTimeoutError } from "../step-errors.js";
import { encodeValue, fromErrorRecord, tameThrown, toErrorRecord } from "../values.js";
import { isStreamResult, persistStream, replayStream } from "./stream-results.js";

export type StepCallback = (ctx: WorkflowStepContext) => Promise<unknown> | unknown;
type AttemptOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };
/** An attempt an observer watches, and how long its callback took. */
type Watched = { watch: AttemptObserver; durationMs: number } | undefined;

/** Tells the attempt's observer (if any) that it failed, and whether a retry follows. */
function reportFailure(watched: Watched, error: unknown, record: ErrorRecord, retryDelayMs: number | null) {
  if (!watched) return;
  const outcome = error instanceof WorkflowTimeoutError ? "timeout" : "failure";
  watched.watch.ended({ outcome, durationMs: watched.durationMs, error: record, retryDelayMs });
}

/** Runs attempts until one succeeds or the retries run out; resolves after the result is durable. */
export async function runRetriable(
  a: StepHost,
  step: RetriableStep,
  callback: StepCallback,
  cached: StepRecord | undefined,
): Promise<unknown> {
  let attempts = cached && "attempts" in cached ? cached.attempts : 0;
  let wakeAt = cached?.status === "retrying" ? cached.wakeAt : null;
  if (cached?.status === "running") {
    // The process died during attempt `attempts`: it counts as a failed attempt, so a step that
    // kills the process every time ends in errored once its retries run out.
    wakeAt = await afterFailure(a, step, attempts, new WorkflowInternalError());
  }
  if (step.streams && (cached?.status === "running" || cached?.status === "retrying")) {
    // An attempt of an earlier process may have left part of a stream; in this process a failed
    // or timed-out attempt discards its own chunks before the retry.
    await a.countInFlight(a.discardStreamChunks(step.key));
  }
  for (;;) {
    if (wakeAt !== null && wakeAt > a.now() && !retryDelayDisabled(a, step)) {
      await a.waitFor(wakeAt, null);
      await a.gate();
    }
    attempts += 1;
    const ctx = attemptContext(step, attempts);
    a.rollbacks.attempted(step.key, ctx);
    const start = record(step, "running", attempts);
    const attemptStart: LogInput = { type: step.logs.attemptStart, stepKey: step.key, attempt: attempts };
    const startLog: LogInput[] =
      attempts === 1 ? [{ type: step.logs.stepStart, stepKey: step.key }, attemptStart] : [attemptStart];
    // After a crash, the start is durable before the callback runs: a callback that kills the
    // process at once then still counts as an attempt, and its retries run out.
    if (a.recovered) await a.commit(start, startLog);
    else a.recordStart(start, startLog);
    // A test (cairn/testing) may replace this attempt's callback: mocked error, forced timeout, mocked result.
    const override = step.kind === "do" ? a.overrides?.attempt(step.name, step.count, attempts) : undefined;
    const run = override ? overriddenCallback(override) : callback;
    const watch = a.observer?.attempt?.({
      kind: step.kind,
      name: step.name,
      count: step.count,
      attempt: attempts,
      retryLimit: step.plan.limit,
    });
    const began = watch ? performance.now() : 0;
    const outcome = await a.countInFlight(runAttempt(a, step, run, ctx, watch));
    const watched = watch ? { watch, durationMs: performance.now() - began } : undefined;
    if (outcome.ok) return succeed(a, step, attempts, outcome.value, watched);
    // What workflow code threw may be hostile to reads (a Proxy, throwing getters): tamed once here.
    const thrown = tameThrown(outcome.error);
    if (failsInstance(thrown)) {
      const error = toErrorRecord(thrown);
      reportFailure(watched, thrown, error, null);
      return a.fatal(error);
    }
    wakeAt = await afterFailure(a, step, attempts, thrown, ctx, watched);
  }
}

/** True when a test disabled the retry delays of this `step.do` (cairn/testing). */
function retryDelayDisabled(a: StepHost, step: RetriableStep): boolean {
  return step.kind === "do" && a.overrides?.retryDelayDisabled(step.name, step.count) === true;
}

/**
 * What an attempt runs in place of the step's callback: Cloudflare's order per attempt is a mocked
 * error, then a forced timeout, then a mocked result (the overrides answer in that order). A
 * mocked result goes through the same path as a real one: stored, journaled and logged.
 */
function overriddenCallback(override: AttemptOverride): StepCallback {
  if (override.kind === "result") return () => override.value;
  if (override.kind === "timeout") {
    return () => {
      throw new WorkflowTimeoutError("Execution timed out after 0ms");
    };
  }
  return () => {
    throw fromErrorRecord(override.error);
  };
}

/**
 * The context an attempt's callback receives. `config` is the attempt's own copy of the resolved
 * config, made the first time it is read: most callbacks never look at it.
 */
function attemptContext(step: RetriableStep, attempt: number): WorkflowStepContext {
  const resolved = step.plan.resolved;
  let config: WorkflowStepContext["config"] | undefined;
  return {
    step: { name: step.name, count: step.count },
    attempt,
    get config() {
      config ??= structuredClone(resolved);
      return config;
    },
    set config(value) {
      config = value;
    },
  };
}

/**
 * The step's journal record with `status` and `attempts`, and `fields` for that status. Built in
 * one literal (no spread): a fast step makes two of these.
 */
function record(
  step: RetriableStep,
  status: StepRecord["status"],
  attempts: number,
  fields?: Record<string, unknown>,
): StepRecord {
  const out = {
    key: step.key,
    kind: step.kind,
    name: step.name,
    count: step.count,
    startedAt: step.startedAt,
    startOrder: step.startOrder,
    config: step.plan.resolved,
    hasRollback: step.hasRollback,
    status,
    attempts,
  } as StepRecord;
  return fields ? Object.assign(out, fields) : out;
}

/**
 * Runs the callback once, bounded by the step's per-attempt timeout; a stream result is read
 * and stored within the same bound (a timeout discards its partial chunks). Never rejects.
 */
function runAttempt(
  a: StepHost,
  step: RetriableStep,
  callback: StepCallback,
  ctx: WorkflowStepContext,
  watch: AttemptObserver | undefined,
): Promise<AttemptOutcome> {
  const { timeoutMs } = step.plan;
  return new Promise<AttemptOutcome>((resolve) => {
    let finished = false;
    let timedOut = false;
    let persisting = false;
    const finish = (outcome: AttemptOutcome) => {
      if (finished) return;
      finished = true;
      cancel();
      resolve(outcome);
    };
    const cancel = a.setTimer(a.now() + timeoutMs, () => {
      timedOut = true;
      const outcome = {
        ok: false as const,
        error: new WorkflowTimeoutError(`Execution timed out after ${timeoutMs}ms`),
      };
      if (!persisting) return finish(outcome);
      // The partial chunks of a stream being stored are discarded (queued after its last write).
      void a
        .discardStreamChunks(step.key)
        .catch(() => {})
        .then(() => finish(outcome));
    });
    const done = async (value: unknown) => {
      if (timedOut) return;
      if (!step.streams || !isStreamResult(value)) return finish({ ok: true, value });
      persisting = true;
      try {
        await persistStream(a, step.key, value, () => timedOut);
        if (!timedOut) finish({ ok: true, value: STREAM_STORED });
      } catch (error) {
        if (timedOut) return;
        // Like a timeout, a failed read leaves no partial chunks (they would count as state).
        await a.discardStreamChunks(step.key).catch(() => {});
        finish({ ok: false, error });
      }
    };
    try {
      const result = watch?.run ? watch.run(() => callback(ctx)) : callback(ctx);
      Promise.resolve(result).then(done, (error) => finish({ ok: false, error }));
    } catch (error) {
      finish({ ok: false, error });
    }
  });
}

/** Marks an attempt whose stream result is already stored as chunks. */
const STREAM_STORED = Symbol("stream stored");

async function succeed(
  a: StepHost,
  step: RetriableStep,
  attempts: number,
  value: unknown,
  watched: Watched,
): Promise<unknown> {
  const stream = value === STREAM_STORED;
  let bytes: Uint8Array;
  try {
    bytes = encodeValue(
      stream ? undefined : value,
      () => `the result of step "${step.name}"`,
      "step.result_too_large",
    );
  } catch (error) {
    // A result that cannot be stored fails the step without retries: another attempt would
    // produce the same value.
    const record = toErrorRecord(error);
    reportFailure(watched, error, record, null);
    return finalFailure(a, step, attempts, record, error);
  }
  watched?.watch.ended({ outcome: "success", durationMs: watched.durationMs });
  try {
    // Stream chunks were charged as they were stored; a plain result is charged here.
    if (!stream) {
      const loading = a.chargeState(bytes.byteLength);
      if (loading) await a.countInFlight(loading);
    }
  } catch (error) {
    return a.fatal(toErrorRecord(error));
  }
  const succeeded = record(step, "succeeded", attempts) as StepRecord & { status: "succeeded" };
  succeeded.value = bytes;
  succeeded.endedAt = a.now();
  succeeded.event = null;
  succeeded.stream = stream;
  await a.commit(succeeded, [
    { type: step.logs.attemptSuccess, stepKey: step.key, attempt: attempts },
    { type: step.logs.stepSuccess, stepKey: step.key, attempt: attempts },
  ]);
  const result = stream ? replayStream(a, step.key) : value;
  a.rollbacks.succeeded(step.key, result);
  return result;
}

/** Records a failed attempt; returns when the next attempt may start, or throws the final error. */
async function afterFailure(
  a: StepHost,
  step: RetriableStep,
  attempts: number,
  error: unknown,
  ctx?: WorkflowStepContext,
  watched?: Watched,
): Promise<number> {
  const errorRecord = toErrorRecord(error);
  if (isNonRetryable(error) || !shouldRetry(attempts, step.plan.limit)) {
    reportFailure(watched, error, errorRecord, null);
    return finalFailure(a, step, attempts, errorRecord, error);
  }
  let delayMs = 0;
  try {
    if (!retryDelayDisabled(a, step))
      delayMs = await a.countInFlight(retryDelay(a, step, attempts, error, ctx));
  } catch (delayError) {
    reportFailure(watched, error, errorRecord, null);
    return finalFailure(a, step, attempts, toErrorRecord(delayError), delayError);
  }
  reportFailure(watched, error, errorRecord, delayMs);
  const wakeAt = a.now() + delayMs;
  a.record(record(step, "retrying", attempts, { wakeAt, error: errorRecord }), [
    {
      type: step.logs.attemptFailure,
      stepKey: step.key,
      attempt: attempts,
      data: { error: errorRecord, retryDelayMs: delayMs },
    },
  ]);
  return wakeAt;
}

async function retryDelay(
  a: StepHost,
  step: RetriableStep,
  attempts: number,
  error: unknown,
  ctx?: WorkflowStepContext,
): Promise<number> {
  const { plan } = step;
  if (!plan.delayFn) return backoffDelay(plan.delayMs ?? 0, plan.backoff, attempts);
  const context = ctx ?? {
    step: { name: step.name, count: step.count },
    attempt: attempts,
    config: plan.resolved,
  };
  const err = error instanceof Error ? error : fromErrorRecord(toErrorRecord(error));
  const schedule = (ms: number, cb: () => void) => a.setTimer(a.now() + ms, cb);
  const base = await evaluateDelayFunction(
    plan.delayFn,
    { ctx: structuredClone(context), error: err },
    `${step.name}-${step.count}`,
    undefined,
    schedule,
  );
  return backoffDelay(base, plan.backoff, attempts);
}

async function finalFailure(
  a: StepHost,
  step: RetriableStep,
  attempts: number,
  errorRecord: ErrorRecord,
  error: unknown,
): Promise<never> {
  await a.commit(record(step, "failed", attempts, { error: errorRecord, endedAt: a.now() }), [
    { type: step.logs.attemptFailure, stepKey: step.key, attempt: attempts, data: { error: errorRecord } },
    { type: step.logs.stepFailure, stepKey: step.key, attempt: attempts, data: { error: errorRecord } },
  ]);
  const thrown = error instanceof Error ? error : fromErrorRecord(errorRecord);
  a.rollbacks.failed(step.key, thrown);
  throw thrown;
}
