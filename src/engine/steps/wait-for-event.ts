// `step.waitForEvent`: a durable wait for an event of one type, with a deadline. The deadline is
// journaled when the wait starts; an event is taken from the durable inbox in the same
// transaction that records the step, so each event reaches exactly one waiter.

import type { WorkflowSleepDuration, WorkflowStepEvent } from "../../api/types.js";
import { WorkflowsError } from "../../errors.js";
import type { StepRecord } from "../../storage/types.js";
import type { StepHost, WaitBase } from "../activation/types.js";
import { formatDuration, MAX_SLEEP_MS, parseDuration } from "../duration.js";
import { WorkflowTimeoutError } from "../step-errors.js";
import { describeValue, validateEventType, validateStepName } from "../validate.js";
import { decodeValue, fromErrorRecord, toErrorRecord } from "../values.js";

export const DEFAULT_EVENT_TIMEOUT_MS = 24 * 3_600_000;
export const MIN_EVENT_TIMEOUT_MS = 1000;

/** `step.waitForEvent(name, { type, timeout? })`: the timeout is 1 second to 365 days (default 24 h). */
export function runWaitForEvent<T>(
  a: StepHost,
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
  a: StepHost,
  name: string,
  type: string,
  timeoutMs: number,
): Promise<WorkflowStepEvent<T>> {
  const { key, count, cached } = a.lookup("waitForEvent", name);
  if (cached?.status === "succeeded") return toStepEvent<T>(cached, type);
  if (cached?.status === "failed") throw fromErrorRecord(cached.error);
  if (a.replayOnly) return a.frontier();
  await a.gate();
  const startedAt = cached?.startedAt ?? a.now();
  const startOrder = cached?.startOrder ?? a.nextStartOrder();
  const base: WaitBase = { key, kind: "waitForEvent", name, count, startedAt, startOrder, config: null };
  const deadline = cached?.status === "waiting" ? cached.wakeAt : a.now() + timeoutMs;
  if (cached?.status !== "waiting") {
    a.record({ ...base, status: "waiting", wakeAt: deadline, eventType: type }, [
      { type: "WAIT_START", stepKey: key, data: { type, deadline } },
    ]);
    a.observer?.waiting?.(name, type, deadline);
  }
  if (a.overrides?.eventTimeoutForced(name, count)) {
    return timeOut(
      a,
      base,
      type,
      `Execution timed out after 0ms: waitForEvent "${name}" was made to time out`,
    );
  }
  const step = { key, name, count, startedAt, type };
  for (;;) {
    const mocked = a.overrides ? await takeMockedEvent(a, base, type) : undefined;
    const received = mocked ?? (await a.consumeEvent(step, base));
    if (received) {
      a.observer?.received?.(name, type, received.event?.sentAt ?? received.endedAt, received.endedAt);
      return toStepEvent<T>(received, type);
    }
    if (a.now() >= deadline) {
      // Cloudflare's wording for a timeout, with what was awaited.
      return timeOut(
        a,
        base,
        type,
        `Execution timed out after ${deadline - startedAt}ms: waitForEvent "${name}" received no event of type "${type}"`,
      );
    }
    await a.waitFor(deadline, type);
    await a.gate();
  }
}

/** Records the wait as timed out and throws its WorkflowTimeoutError into the run. */
async function timeOut(a: StepHost, base: WaitBase, type: string, message: string): Promise<never> {
  const error = new WorkflowTimeoutError(message);
  const record = {
    ...base,
    status: "failed" as const,
    attempts: 1,
    error: toErrorRecord(error),
    endedAt: a.now(),
  };
  await a.commit(record, [{ type: "WAIT_TIMED_OUT", stepKey: base.key, data: { type } }]);
  a.observer?.timedOut?.(base.name, type);
  throw error;
}

/**
 * Takes a mocked event (cairn/testing's `mockEvent`) of `type` that no wait in the journal took
 * yet, and journals the wait as received, as if the event had been sent. The mocked events live
 * in memory with the overrides, so a restart (which erases the journal) finds them all again, and
 * a restart from a step finds again those its erased waits had taken, as Cloudflare keeps them.
 */
async function takeMockedEvent(
  a: StepHost,
  base: WaitBase,
  type: string,
): Promise<(StepRecord & { status: "succeeded" }) | undefined> {
  const events = a.overrides?.events;
  if (!events || events.length === 0) return undefined;
  const taken = new Set<number>();
  for (const r of a.recordsOf("waitForEvent")) {
    if (r.status === "succeeded" && r.event?.mocked !== undefined) taken.add(r.event.mocked);
  }
  const index = events.findIndex((e, i) => e.type === type && !taken.has(i));
  const event = events[index];
  if (!event) return undefined;
  const record: StepRecord & { status: "succeeded" } = {
    ...base,
    status: "succeeded",
    attempts: 1,
    value: event.payload,
    endedAt: a.now(),
    event: { type, sentAt: event.sentAt, mocked: index },
  };
  // The journal holds the record from this call on, so a parallel wait cannot take the same event.
  await a.commit(record, [{ type: "WAIT_COMPLETE", stepKey: base.key, data: { type, mocked: true } }]);
  return record;
}
