// `step.do` as named phases: look up the journal, plan the config, run attempts (each with its
// timeout), persist the result before resolving, and schedule retries with backoff. A retry
// delay is a wait like a sleep, so a long one hibernates the instance.

import { isNonRetryable } from "../api/non-retryable-error.js";
import type { ResolvedStepConfig, WorkflowStepConfig, WorkflowStepContext } from "../api/types.js";
import type { ErrorRecord, StepRecord } from "../storage/types.js";
import type { Activation } from "./activation.js";
import { backoffDelay, evaluateDelayFunction, planStep, type StepPlan, shouldRetry } from "./step-config.js";
import { WorkflowInternalError, WorkflowTimeoutError } from "./step-errors.js";
import { validateStepName } from "./validate.js";
import { decodeValue, encodeValue, fromErrorRecord, toErrorRecord } from "./values.js";

type Callback = (ctx: WorkflowStepContext) => Promise<unknown> | unknown;
type StepId = { key: string; name: string; count: number; startedAt: number; plan: StepPlan };
type AttemptOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export async function runStepDo(
  a: Activation,
  name: string,
  config: unknown,
  callback: Callback,
): Promise<unknown> {
  validateStepName(name);
  const { key, count } = a.nextKey("do", name);
  const limited = a.countDo();
  if (limited) return limited;
  const cached = a.journal.get(key);
  if (cached?.status === "succeeded") return decodeValue(cached.value);
  if (cached?.status === "failed") throw fromErrorRecord(cached.error);
  const plan = planFor(name, config, cached);
  await a.gate();
  const step: StepId = { key, name, count, startedAt: cached?.startedAt ?? a.now(), plan };
  return attemptLoop(a, step, callback, cached);
}

/** On replay the config persisted at the first attempt wins over the code's (SPEC 1.5). */
function planFor(name: string, config: unknown, cached: StepRecord | undefined): StepPlan {
  const fresh = planStep(name, config);
  const persisted = cached?.config as ResolvedStepConfig | null | undefined;
  if (!persisted) return fresh;
  const retries = { ...persisted.retries, delay: persisted.retries.delay ?? fresh.delayFn };
  return planStep(name, { ...persisted, retries } as WorkflowStepConfig);
}

async function attemptLoop(
  a: Activation,
  step: StepId,
  callback: Callback,
  cached: StepRecord | undefined,
): Promise<unknown> {
  let attempts = cached && "attempts" in cached ? cached.attempts : 0;
  let wakeAt = cached?.status === "retrying" ? cached.wakeAt : null;
  if (cached?.status === "running") {
    // The process died during attempt `attempts`: it counts as a failed attempt (SPEC A12).
    wakeAt = await afterFailure(a, step, attempts, new WorkflowInternalError());
  }
  for (;;) {
    if (wakeAt !== null && wakeAt > a.now()) {
      await a.waitFor(wakeAt, null);
      await a.gate();
    }
    attempts += 1;
    const ctx: WorkflowStepContext = {
      step: { name: step.name, count: step.count },
      attempt: attempts,
      config: structuredClone(step.plan.resolved),
    };
    const log = attempts === 1 ? [{ type: "STEP_START" as const, stepKey: step.key }] : [];
    a.write(record(step, { status: "running", attempts }), [
      ...log,
      { type: "ATTEMPT_START", stepKey: step.key, attempt: attempts },
    ]);
    const outcome = await a.track(runAttempt(a, callback, ctx, step.plan.timeoutMs));
    if (outcome.ok) return succeed(a, step, attempts, outcome.value);
    wakeAt = await afterFailure(a, step, attempts, outcome.error, ctx);
  }
}

function record(step: StepId, fields: Record<string, unknown>): StepRecord {
  return {
    key: step.key,
    kind: "do",
    name: step.name,
    count: step.count,
    startedAt: step.startedAt,
    config: step.plan.resolved,
    ...fields,
  } as StepRecord;
}

/** Runs the callback once, bounded by the step's per-attempt timeout. Never rejects. */
function runAttempt(
  a: Activation,
  callback: Callback,
  ctx: WorkflowStepContext,
  timeoutMs: number,
): Promise<AttemptOutcome> {
  return new Promise<AttemptOutcome>((resolve) => {
    const cancel = a.host.clock.setTimer(a.now() + timeoutMs, () =>
      resolve({ ok: false, error: new WorkflowTimeoutError(`Execution timed out after ${timeoutMs}ms`) }),
    );
    const settle = (outcome: AttemptOutcome) => {
      cancel();
      resolve(outcome);
    };
    try {
      Promise.resolve(callback(ctx)).then(
        (value) => settle({ ok: true, value }),
        (error) => settle({ ok: false, error }),
      );
    } catch (error) {
      settle({ ok: false, error });
    }
  });
}

async function succeed(a: Activation, step: StepId, attempts: number, value: unknown): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = encodeValue(value, `the result of step "${step.name}"`, "step.result_too_large");
  } catch (error) {
    // A result that cannot be stored fails the step without retries (SPEC A10).
    return finalFailure(a, step, attempts, toErrorRecord(error), error);
  }
  await a.commit(
    record(step, { status: "succeeded", attempts, value: bytes, endedAt: a.now(), event: null }),
    [
      { type: "ATTEMPT_SUCCESS", stepKey: step.key, attempt: attempts },
      { type: "STEP_SUCCESS", stepKey: step.key, attempt: attempts },
    ],
  );
  return value;
}

/** Records a failed attempt; returns when the next attempt may start, or throws the final error. */
async function afterFailure(
  a: Activation,
  step: StepId,
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
      type: "ATTEMPT_FAILURE",
      stepKey: step.key,
      attempt: attempts,
      data: { error: errorRecord, retryDelayMs: delayMs },
    },
  ]);
  return wakeAt;
}

async function retryDelay(
  a: Activation,
  step: StepId,
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
  step: StepId,
  attempts: number,
  errorRecord: ErrorRecord,
  error: unknown,
): Promise<never> {
  await a.commit(record(step, { status: "failed", attempts, error: errorRecord, endedAt: a.now() }), [
    { type: "ATTEMPT_FAILURE", stepKey: step.key, attempt: attempts, data: { error: errorRecord } },
    { type: "STEP_FAILURE", stepKey: step.key, attempt: attempts, data: { error: errorRecord } },
  ]);
  throw error instanceof Error ? error : fromErrorRecord(errorRecord);
}
