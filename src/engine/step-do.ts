// `step.do` as named phases: look up the journal, plan the config, run attempts (each with its
// timeout), persist the result before resolving, and schedule retries with backoff. A retry
// delay is a wait like a sleep, so a long one hibernates the instance. Rollback handlers run
// through the same retriable loop (kind "rollback").

import { isNonRetryable } from "../api/non-retryable-error.js";
import type {
  ResolvedStepConfig,
  WorkflowRollbackOptions,
  WorkflowStepConfig,
  WorkflowStepContext,
} from "../api/types.js";
import { WorkflowsError } from "../errors.js";
import type { ErrorRecord, LogType, StepRecord } from "../storage/types.js";
import type { Activation } from "./activation.js";
import { backoffDelay, evaluateDelayFunction, planStep, type StepPlan, shouldRetry } from "./step-config.js";
import { WorkflowInternalError, WorkflowTimeoutError } from "./step-errors.js";
import { isStreamResult, persistStream, replayStream, StreamResultError } from "./stream-results.js";
import { describeValue, validateStepName } from "./validate.js";
import { decodeValue, encodeValue, fromErrorRecord, toErrorRecord } from "./values.js";

export type StepCallback = (ctx: WorkflowStepContext) => Promise<unknown> | unknown;
type AttemptOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** The log entry names of one retriable kind. */
type LogNames = {
  stepStart: LogType;
  attemptStart: LogType;
  attemptSuccess: LogType;
  attemptFailure: LogType;
  stepSuccess: LogType;
  stepFailure: LogType;
};

const DO_LOGS: LogNames = {
  stepStart: "STEP_START",
  attemptStart: "ATTEMPT_START",
  attemptSuccess: "ATTEMPT_SUCCESS",
  attemptFailure: "ATTEMPT_FAILURE",
  stepSuccess: "STEP_SUCCESS",
  stepFailure: "STEP_FAILURE",
};

export const ROLLBACK_LOGS: LogNames = {
  stepStart: "ROLLBACK_STEP_START",
  attemptStart: "ROLLBACK_ATTEMPT_START",
  attemptSuccess: "ROLLBACK_ATTEMPT_SUCCESS",
  attemptFailure: "ROLLBACK_ATTEMPT_FAILURE",
  stepSuccess: "ROLLBACK_STEP_SUCCESS",
  stepFailure: "ROLLBACK_STEP_FAILURE",
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

export async function runStepDo(
  a: Activation,
  name: string,
  config: unknown,
  callback: StepCallback,
  rollbackOptions?: WorkflowRollbackOptions<unknown>,
): Promise<unknown> {
  validateStepName(name);
  const rollback = checkRollbackOptions(name, rollbackOptions);
  const { key, count } = a.nextKey("do", name);
  const limited = a.countDo();
  if (limited) return limited;
  const cached = a.journal.get(key);
  const plan = planFor(name, config, cached);
  const step: RetriableStep = {
    key,
    kind: "do",
    name,
    count,
    startedAt: cached?.startedAt ?? a.now(),
    startOrder: cached?.startOrder ?? 0,
    plan,
    logs: DO_LOGS,
    hasRollback: rollback !== undefined,
    streams: true,
  };
  if (rollback && cached) a.rollbacks.register(step, rollback, cached);
  if (cached?.status === "succeeded") {
    return cached.stream ? replayStream(a, key) : decodeValue(cached.value);
  }
  if (cached?.status === "failed") throw fromErrorRecord(cached.error);
  if (a.replayOnly) {
    // Rolling back after terminate: replay stops at the first step that has not finished.
    return a.frontier();
  }
  // Always a turn of the microtask queue: the callback never runs inside the step.do call itself.
  await a.gate();
  if (!cached) step.startOrder = a.nextStartOrder();
  if (rollback && !cached) a.rollbacks.register(step, rollback, undefined);
  return runRetriable(a, step, callback, cached);
}

function checkRollbackOptions(
  name: string,
  options: WorkflowRollbackOptions<unknown> | undefined,
): WorkflowRollbackOptions<unknown> | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== "object" || options === null) {
    throw new WorkflowsError(
      "step.invalid_config",
      `the rollback options of step "${name}" must be { rollback, rollbackConfig? }, got ${describeValue(options)}`,
    );
  }
  if (options.rollback === undefined) return undefined;
  if (typeof options.rollback !== "function") {
    throw new WorkflowsError(
      "step.invalid_config",
      `the rollback of step "${name}" must be a function, got ${describeValue(options.rollback)}`,
    );
  }
  planStep(`rollback of ${name}`, options.rollbackConfig);
  return options;
}

/** On replay the config persisted at the first attempt wins over the code's (SPEC 1.5). */
export function planFor(name: string, config: unknown, cached: StepRecord | undefined): StepPlan {
  const fresh = planStep(name, config);
  const persisted = cached?.config as ResolvedStepConfig | null | undefined;
  if (!persisted) return fresh;
  const retries = { ...persisted.retries, delay: persisted.retries.delay ?? fresh.delayFn };
  return planStep(name, { ...persisted, retries } as WorkflowStepConfig);
}

/** Runs attempts until one succeeds or the retries run out; resolves after the result is durable. */
export async function runRetriable(
  a: Activation,
  step: RetriableStep,
  callback: StepCallback,
  cached: StepRecord | undefined,
): Promise<unknown> {
  let attempts = cached && "attempts" in cached ? cached.attempts : 0;
  let wakeAt = cached?.status === "retrying" ? cached.wakeAt : null;
  if (cached?.status === "running") {
    // The process died during attempt `attempts`: it counts as a failed attempt (SPEC A12).
    wakeAt = await afterFailure(a, step, attempts, new WorkflowInternalError());
  }
  if (step.streams && (cached?.status === "running" || cached?.status === "retrying")) {
    // An attempt of an earlier process may have left part of a stream; in this process a failed
    // or timed-out attempt discards its own chunks before the retry.
    a.flushStarts();
    await a.track(a.host.store.discardStreamChunks(a.fence, step.key, a.now()));
  }
  for (;;) {
    if (wakeAt !== null && wakeAt > a.now()) {
      await a.waitFor(wakeAt, null);
      await a.gate();
    }
    attempts += 1;
    const ctx = attemptContext(step, attempts);
    a.rollbacks.attempted(step.key, ctx);
    const log = attempts === 1 ? [{ type: step.logs.stepStart, stepKey: step.key }] : [];
    a.writeStart(record(step, { status: "running", attempts }), [
      ...log,
      { type: step.logs.attemptStart, stepKey: step.key, attempt: attempts },
    ]);
    const outcome = await a.track(runAttempt(a, step, callback, ctx));
    if (outcome.ok) return succeed(a, step, attempts, outcome.value);
    if (outcome.error instanceof StreamResultError) return a.fatal(toErrorRecord(outcome.error));
    wakeAt = await afterFailure(a, step, attempts, outcome.error, ctx);
  }
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

function record(step: RetriableStep, fields: Record<string, unknown>): StepRecord {
  return {
    key: step.key,
    kind: step.kind,
    name: step.name,
    count: step.count,
    startedAt: step.startedAt,
    startOrder: step.startOrder,
    config: step.plan.resolved,
    hasRollback: step.hasRollback,
    ...fields,
  } as StepRecord;
}

/**
 * Runs the callback once, bounded by the step's per-attempt timeout; a stream result is read
 * and stored within the same bound (a timeout discards its partial chunks). Never rejects.
 */
function runAttempt(
  a: Activation,
  step: RetriableStep,
  callback: StepCallback,
  ctx: WorkflowStepContext,
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
    const cancel = a.host.clock.setTimer(a.now() + timeoutMs, () => {
      timedOut = true;
      const outcome = {
        ok: false as const,
        error: new WorkflowTimeoutError(`Execution timed out after ${timeoutMs}ms`),
      };
      if (!persisting) return finish(outcome);
      // The partial chunks of a stream being stored are discarded (queued after its last write).
      a.flushStarts();
      void a.host.store
        .discardStreamChunks(a.fence, step.key, a.now())
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
        a.flushStarts();
        await a.host.store.discardStreamChunks(a.fence, step.key, a.now()).catch(() => {});
        finish({ ok: false, error });
      }
    };
    try {
      Promise.resolve(callback(ctx)).then(done, (error) => finish({ ok: false, error }));
    } catch (error) {
      finish({ ok: false, error });
    }
  });
}

/** Marks an attempt whose stream result is already stored as chunks. */
const STREAM_STORED = Symbol("stream stored");

async function succeed(
  a: Activation,
  step: RetriableStep,
  attempts: number,
  value: unknown,
): Promise<unknown> {
  const stream = value === STREAM_STORED;
  let bytes: Uint8Array;
  try {
    bytes = encodeValue(
      stream ? undefined : value,
      `the result of step "${step.name}"`,
      "step.result_too_large",
    );
  } catch (error) {
    // A result that cannot be stored fails the step without retries (SPEC A10).
    return finalFailure(a, step, attempts, toErrorRecord(error), error);
  }
  try {
    // Stream chunks were charged as they were stored; a plain result is charged here.
    if (!stream) {
      const loading = a.chargeState(bytes.byteLength);
      if (loading) await a.track(loading);
    }
  } catch (error) {
    return a.fatal(toErrorRecord(error));
  }
  await a.commit(
    record(step, { status: "succeeded", attempts, value: bytes, endedAt: a.now(), event: null, stream }),
    [
      { type: step.logs.attemptSuccess, stepKey: step.key, attempt: attempts },
      { type: step.logs.stepSuccess, stepKey: step.key, attempt: attempts },
    ],
  );
  const result = stream ? replayStream(a, step.key) : value;
  a.rollbacks.succeeded(step.key, result);
  return result;
}

/** Records a failed attempt; returns when the next attempt may start, or throws the final error. */
async function afterFailure(
  a: Activation,
  step: RetriableStep,
  attempts: number,
  error: unknown,
  ctx?: WorkflowStepContext,
): Promise<number> {
  const errorRecord = toErrorRecord(error);
  if (isNonRetryable(error) || !shouldRetry(attempts, step.plan.limit)) {
    return finalFailure(a, step, attempts, errorRecord, error);
  }
  let delayMs: number;
  try {
    delayMs = await a.track(retryDelay(a, step, attempts, error, ctx));
  } catch (delayError) {
    return finalFailure(a, step, attempts, toErrorRecord(delayError), delayError);
  }
  const wakeAt = a.now() + delayMs;
  a.write(record(step, { status: "retrying", attempts, wakeAt, error: errorRecord }), [
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
  a: Activation,
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
  const schedule = (ms: number, cb: () => void) => a.host.clock.setTimer(a.now() + ms, cb);
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
  a: Activation,
  step: RetriableStep,
  attempts: number,
  errorRecord: ErrorRecord,
  error: unknown,
): Promise<never> {
  await a.commit(record(step, { status: "failed", attempts, error: errorRecord, endedAt: a.now() }), [
    { type: step.logs.attemptFailure, stepKey: step.key, attempt: attempts, data: { error: errorRecord } },
    { type: step.logs.stepFailure, stepKey: step.key, attempt: attempts, data: { error: errorRecord } },
  ]);
  const thrown = error instanceof Error ? error : fromErrorRecord(errorRecord);
  a.rollbacks.failed(step.key, thrown);
  throw thrown;
}
