// `step.sleep`, `step.sleepUntil` and `step.waitForEvent`: durable waits. The wake time (or the
// wait's deadline) is journaled when the wait starts, so a replay resumes the same wait; an
// event is taken from the durable inbox in the same transaction that records the step.

import type { WorkflowSleepDuration, WorkflowStepEvent } from "../api/types.js";
import { WorkflowsError } from "../errors.js";
import type { StepRecord } from "../storage/types.js";
import type { Activation } from "./activation.js";
import { formatDuration, MAX_SLEEP_MS, parseDuration } from "./duration.js";
import { WorkflowTimeoutError } from "./step-errors.js";
import { describeValue, validateEventType, validateStepName } from "./validate.js";
import { decodeValue, encodeValue, fromErrorRecord, toErrorRecord } from "./values.js";

export const DEFAULT_EVENT_TIMEOUT_MS = 24 * 3_600_000;
export const MIN_EVENT_TIMEOUT_MS = 1000;

const UNDEFINED_BYTES = encodeValue(undefined, "undefined", "step.result_too_large");

export function runSleep(a: Activation, name: string, duration: WorkflowSleepDuration): Promise<void> {
  validateStepName(name);
  const ms = parseDuration(duration, `the duration of sleep "${name}"`);
  if (ms > MAX_SLEEP_MS) {
    throw new WorkflowsError(
      "step.invalid_config",
      `the duration of sleep "${name}" is ${formatDuration(ms)}; the limit is 365 days`,
    );
  }
  return sleepUntilTime(a, name, () => a.now() + ms);
}

export function runSleepUntil(a: Activation, name: string, timestamp: Date | number): Promise<void> {
  validateStepName(name);
  const at = timestamp instanceof Date ? timestamp.getTime() : timestamp;
  if (typeof at !== "number" || !Number.isFinite(at)) {
    throw new WorkflowsError(
      "step.invalid_config",
      `sleepUntil "${name}" needs a Date or a number of ms since the epoch, got ${describeValue(timestamp)}`,
    );
  }
  if (at - a.now() > MAX_SLEEP_MS) {
    throw new WorkflowsError(
      "step.invalid_config",
      `sleepUntil "${name}" targets ${new Date(at).toISOString()}, more than 365 days ahead`,
    );
  }
  // A time in the past completes at once (SPEC A7).
  return sleepUntilTime(a, name, () => at);
}

async function sleepUntilTime(a: Activation, name: string, target: () => number): Promise<void> {
  const { key, count } = a.nextKey("sleep", name);
  const cached = a.journal.get(key);
  if (cached?.status === "succeeded") return;
  if (cached?.status === "failed") throw fromErrorRecord(cached.error);
  if (a.replayOnly) return a.frontier();
  await a.gate();
  const startedAt = cached?.startedAt ?? a.now();
  const startOrder = cached?.startOrder ?? a.nextStartOrder();
  const base = { key, kind: "sleep" as const, name, count, startedAt, startOrder, config: null };
  const wakeAt = cached?.status === "waiting" ? cached.wakeAt : target();
  if (cached?.status !== "waiting") {
    a.write({ ...base, status: "waiting", wakeAt, eventType: null }, [
      { type: "SLEEP_START", stepKey: key, data: { wakeAt } },
    ]);
  }
  if (wakeAt > a.now()) {
    await a.waitFor(wakeAt, null);
    await a.gate();
  }
  // Not awaited: if this record is lost, the replay finds the wake time passed and completes again.
  a.write(
    { ...base, status: "succeeded", attempts: 1, value: UNDEFINED_BYTES, endedAt: a.now(), event: null },
    [{ type: "SLEEP_COMPLETE", stepKey: key }],
  );
}

export function runWaitForEvent<T>(
  a: Activation,
  name: string,
  options: { type: string; timeout?: WorkflowSleepDuration | number },
): Promise<WorkflowStepEvent<T>> {
  validateStepName(name);
  if (typeof options !== "object" || options === null) {
    throw new WorkflowsError(
      "step.invalid_config",
      `waitForEvent "${name}" needs options { type, timeout? }, got ${describeValue(options)}`,
    );
  }
  const type = validateEventType(options.type);
  const timeoutMs =
    options.timeout === undefined
      ? DEFAULT_EVENT_TIMEOUT_MS
      : parseDuration(options.timeout, `the timeout of waitForEvent "${name}"`);
  if (timeoutMs < MIN_EVENT_TIMEOUT_MS || timeoutMs > MAX_SLEEP_MS) {
    throw new WorkflowsError(
      "step.invalid_config",
      `the timeout of waitForEvent "${name}" is ${formatDuration(timeoutMs)}; it must be between 1 second and 365 days`,
    );
  }
  return waitForEventLoop<T>(a, name, type, timeoutMs);
}

function toStepEvent<T>(record: StepRecord & { status: "succeeded" }, type: string): WorkflowStepEvent<T> {
  return {
    payload: decodeValue(record.value) as T,
    timestamp: new Date(record.event?.sentAt ?? record.endedAt),
    type: record.event?.type ?? type,
  };
}

async function waitForEventLoop<T>(
  a: Activation,
  name: string,
  type: string,
  timeoutMs: number,
): Promise<WorkflowStepEvent<T>> {
  const { key, count } = a.nextKey("waitForEvent", name);
  const cached = a.journal.get(key);
  if (cached?.status === "succeeded") return toStepEvent<T>(cached, type);
  if (cached?.status === "failed") throw fromErrorRecord(cached.error);
  if (a.replayOnly) return a.frontier();
  await a.gate();
  const startedAt = cached?.startedAt ?? a.now();
  const startOrder = cached?.startOrder ?? a.nextStartOrder();
  const base = { key, kind: "waitForEvent" as const, name, count, startedAt, startOrder, config: null };
  const deadline = cached?.status === "waiting" ? cached.wakeAt : a.now() + timeoutMs;
  if (cached?.status !== "waiting") {
    a.write({ ...base, status: "waiting", wakeAt: deadline, eventType: type }, [
      { type: "WAIT_START", stepKey: key, data: { type, deadline } },
    ]);
  }
  for (;;) {
    const step = { key, name, count, startedAt, type };
    a.flushStarts();
    const event = await a.track(a.host.store.consumeEvent(a.fence, step, a.now()));
    if (event) {
      const record = {
        ...base,
        status: "succeeded" as const,
        attempts: 1,
        value: event.payload,
        endedAt: a.now(),
        event: { type: event.type, sentAt: event.sentAt },
      };
      a.journal.set(key, record);
      return toStepEvent<T>(record, type);
    }
    if (a.now() >= deadline) {
      const error = new WorkflowTimeoutError(
        `waitForEvent "${name}" timed out waiting for an event of type "${type}"`,
      );
      const errorRecord = toErrorRecord(error);
      await a.commit({ ...base, status: "failed", attempts: 1, error: errorRecord, endedAt: a.now() }, [
        { type: "WAIT_TIMED_OUT", stepKey: key, data: { type } },
      ]);
      throw error;
    }
    await a.waitFor(deadline, type);
    await a.gate();
  }
}
