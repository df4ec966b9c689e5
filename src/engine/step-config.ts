// Step configuration: strict validation of what a workflow passes to `step.do`, the merge with
// Cairn's defaults (Cloudflare's retries, delay, backoff and timeout), the retry arithmetic, and the evaluation of
// dynamic delay functions. The runner asks this module "how long, how often" and nothing else.

import { NonRetryableError } from "../api/non-retryable-error.js";
import type {
  ResolvedStepConfig,
  WorkflowBackoff,
  WorkflowDelayDuration,
  WorkflowDelayFunction,
  WorkflowStepContext,
  WorkflowTimeoutDuration,
} from "../api/types.js";
import { WorkflowsError } from "../errors.js";
import { parseDuration } from "./duration.js";
import { describeValue } from "./validate.js";

/** Retry policy of a step that gives no `retries` (Cloudflare's documented production default). */
export const DEFAULT_RETRIES = { limit: 5, delay: 10_000, backoff: "exponential" } as const;
/** Per-attempt timeout of a step that gives no `timeout`. */
export const DEFAULT_TIMEOUT = "10 minutes";
/** Most retries a step may ask for. */
export const MAX_RETRY_LIMIT = 10_000;
/** How long a delay function may take before the step fails. */
export const DELAY_FUNCTION_TIMEOUT_MS = 5000;

/** A validated step config: the copy shown as `ctx.config`, plus the parsed numbers the runner uses. */
export type StepPlan = {
  resolved: ResolvedStepConfig;
  limit: number;
  delayMs: number | undefined;
  delayFn: WorkflowDelayFunction | undefined;
  backoff: WorkflowBackoff;
  timeoutMs: number;
  sensitive: boolean;
};

type Delay = WorkflowDelayDuration | number | WorkflowDelayFunction;
type Retries = { limit: number; delay: Delay; backoff: WorkflowBackoff };

const CONFIG_KEYS = ["retries", "timeout", "sensitive"];
const RETRY_KEYS = ["limit", "delay", "backoff"];
const BACKOFFS: readonly WorkflowBackoff[] = ["constant", "linear", "exponential"];

function invalid(step: string, key: string, rule: string, value: unknown): WorkflowsError {
  return new WorkflowsError(
    "step.invalid_config",
    `step "${step}": ${key} ${rule}; got ${describeValue(value)} (see https://developers.cloudflare.com/workflows/build/sleeping-and-retrying/)`,
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function checkObject(step: string, key: string, value: unknown, allowed: string[]): Record<string, unknown> {
  if (!isPlainObject(value)) throw invalid(step, key, `must be a plain object`, value);
  const unknown = Object.keys(value).find((k) => !allowed.includes(k));
  if (unknown !== undefined) {
    throw invalid(
      step,
      `${key}.${unknown}`,
      `is not a known key (allowed: ${allowed.join(", ")})`,
      value[unknown],
    );
  }
  return value;
}

function checkLimit(step: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_RETRY_LIMIT) {
    throw invalid(step, "retries.limit", `must be an integer from 0 to ${MAX_RETRY_LIMIT}`, value);
  }
  return value;
}

function checkDelay(step: string, value: unknown): { delay: Delay; delayMs: number | undefined } {
  if (typeof value === "function") return { delay: value as WorkflowDelayFunction, delayMs: undefined };
  if (value === undefined) {
    throw invalid(
      step,
      "retries.delay",
      "is required when retries is given (a duration or a function)",
      value,
    );
  }
  const delayMs = parseDuration(value, `step "${step}": retries.delay`);
  return { delay: value as WorkflowDelayDuration, delayMs };
}

function checkBackoff(step: string, value: unknown): WorkflowBackoff {
  if (value === undefined) return DEFAULT_RETRIES.backoff;
  if (!BACKOFFS.includes(value as WorkflowBackoff)) {
    throw invalid(step, "retries.backoff", `must be one of ${BACKOFFS.join(", ")}`, value);
  }
  return value as WorkflowBackoff;
}

function checkRetries(step: string, value: unknown): Retries & { delayMs: number | undefined } {
  if (value === undefined) return { ...DEFAULT_RETRIES, delayMs: DEFAULT_RETRIES.delay };
  const retries = checkObject(step, "retries", value, RETRY_KEYS);
  const limit = checkLimit(step, retries.limit);
  const { delay, delayMs } = checkDelay(step, retries.delay);
  return { limit, delay, delayMs, backoff: checkBackoff(step, retries.backoff) };
}

function checkTimeout(step: string, value: unknown): { timeout: WorkflowTimeoutDuration; timeoutMs: number } {
  if (value === undefined)
    return { timeout: DEFAULT_TIMEOUT, timeoutMs: parseDuration(DEFAULT_TIMEOUT, "timeout") };
  const timeoutMs = parseDuration(value, `step "${step}": timeout`);
  if (timeoutMs === 0) throw invalid(step, "timeout", "must be greater than 0", value);
  return { timeout: value as WorkflowTimeoutDuration, timeoutMs };
}

function checkSensitive(step: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (value !== "output") throw invalid(step, "sensitive", 'must be "output" when given', value);
  return true;
}

function resolve(retries: Retries, timeout: WorkflowTimeoutDuration, sensitive: boolean): ResolvedStepConfig {
  const { limit, delay, backoff } = retries;
  const resolvedRetries: ResolvedStepConfig["retries"] =
    typeof delay === "function" ? { limit, backoff } : { limit, delay, backoff };
  return sensitive
    ? { retries: resolvedRetries, timeout, sensitive: "output" }
    : { retries: resolvedRetries, timeout };
}

/**
 * Validates a `step.do` config and merges it over the defaults, keeping the user's delay/timeout
 * form in `resolved` and omitting `retries.delay` when it is a function. `resolved` may be shared
 * (the plan without a config is built once, frozen): hand out copies, never `resolved` itself.
 * @throws WorkflowsError `step.invalid_config` naming the step, the key and the value.
 * @example planStep("charge", { retries: { limit: 2, delay: "1 second" } }).delayMs // 1000
 */
export function planStep(stepName: string, config: unknown): StepPlan {
  if (config === undefined) {
    // The common case: no config. The plan is shared; `resolved` is never mutated by the engine.
    defaultPlan ??= deepFreeze(buildPlan(stepName, undefined));
    return defaultPlan;
  }
  return buildPlan(stepName, config);
}

let defaultPlan: StepPlan | undefined;

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function buildPlan(stepName: string, config: unknown): StepPlan {
  const input = config === undefined ? {} : checkObject(stepName, "config", config, CONFIG_KEYS);
  const retries = checkRetries(stepName, input.retries);
  const { timeout, timeoutMs } = checkTimeout(stepName, input.timeout);
  const sensitive = checkSensitive(stepName, input.sensitive);
  return {
    resolved: resolve(retries, timeout, sensitive),
    limit: retries.limit,
    delayMs: retries.delayMs,
    delayFn: typeof retries.delay === "function" ? retries.delay : undefined,
    backoff: retries.backoff,
    timeoutMs,
    sensitive,
  };
}

/**
 * The wait before the next attempt, with `attemptsMade` attempts already failed (1 after the first
 * failure): constant `base`, linear `base·n`, exponential `base·2^(n−1)`; no jitter, capped at
 * `Number.MAX_SAFE_INTEGER`. Values of `attemptsMade` below 1 count as 1.
 * @example backoffDelay(10_000, "exponential", 3) // 40000
 */
export function backoffDelay(baseMs: number, backoff: WorkflowBackoff, attemptsMade: number): number {
  if (baseMs <= 0) return 0;
  const n = Math.max(1, attemptsMade);
  const factor = backoff === "constant" ? 1 : backoff === "linear" ? n : 2 ** (n - 1);
  return Math.min(baseMs * factor, Number.MAX_SAFE_INTEGER);
}

/**
 * Whether a step retries after `attemptsMade` failed attempts: `limit` counts retries, so
 * `limit: 0` means one attempt and `limit: 5` six.
 */
export function shouldRetry(attemptsMade: number, limit: number): boolean {
  return attemptsMade <= limit;
}

/** Starts a timer and returns the function that cancels it. */
export type Schedule = (ms: number, callback: () => void) => () => void;

const defaultSchedule: Schedule = (ms, callback) => {
  const timer = setTimeout(callback, ms);
  return () => clearTimeout(timer);
};

function delayError(stepKey: string, what: string, cause?: unknown): NonRetryableError {
  const error = new NonRetryableError(
    `The delay function for step "${stepKey}" ${what}`,
    "NonRetryableDelayError",
  );
  if (cause !== undefined) error.cause = cause;
  return error;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : describeValue(error);
}

/** Resolves to `{ value }`, or to `undefined` when `promise` has not settled after `timeoutMs`. */
async function settleWithin<T>(
  promise: PromiseLike<T>,
  timeoutMs: number,
  schedule: Schedule,
): Promise<{ value: T } | undefined> {
  let cancel: (() => void) | undefined;
  const timer = new Promise<undefined>((resolve) => {
    cancel = schedule(timeoutMs, () => resolve(undefined));
  });
  try {
    return await Promise.race([Promise.resolve(promise).then((value) => ({ value })), timer]);
  } finally {
    cancel?.();
  }
}

async function callDelayFunction(
  fn: WorkflowDelayFunction,
  input: { ctx: WorkflowStepContext; error: Error },
  stepKey: string,
  timeoutMs: number,
  schedule: Schedule,
): Promise<unknown> {
  let settled: { value: unknown } | undefined;
  try {
    const result = fn(input);
    settled = isThenable(result) ? await settleWithin(result, timeoutMs, schedule) : { value: result };
  } catch (error) {
    throw delayError(stepKey, `threw: ${messageOf(error)}`, error);
  }
  if (!settled) throw delayError(stepKey, `did not answer within ${timeoutMs} ms`);
  return settled.value;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/**
 * Runs a step's `retries.delay` function and returns its answer in milliseconds (before backoff).
 * Sync and async functions are both fine; the timer is cleared whatever happens.
 * @throws NonRetryableError named `NonRetryableDelayError` when the function throws or rejects,
 *   returns something that is not a duration ≥ 0, or does not settle within `timeoutMs`.
 */
export async function evaluateDelayFunction(
  fn: WorkflowDelayFunction,
  input: { ctx: WorkflowStepContext; error: Error },
  stepKey: string,
  timeoutMs = DELAY_FUNCTION_TIMEOUT_MS,
  schedule: Schedule = defaultSchedule,
): Promise<number> {
  const value = await callDelayFunction(fn, input, stepKey, timeoutMs, schedule);
  try {
    return parseDuration(value, `the delay function for step "${stepKey}"`);
  } catch {
    throw delayError(stepKey, `returned an invalid value: ${describeValue(value)}`);
  }
}
