// `step.sleep` and `step.sleepUntil`: durable sleeps. The wake time is journaled when the sleep
// starts, so a replay resumes the same sleep; a long one hibernates the instance meanwhile.

import type { WorkflowSleepDuration } from "../../api/types.js";
import { WorkflowsError } from "../../errors.js";
import type { StepHost } from "../activation/types.js";
import { formatDuration, MAX_SLEEP_MS, parseDuration } from "../duration.js";
import { describeValue, validateStepName } from "../validate.js";
import { encodeValue, fromErrorRecord } from "../values.js";

const UNDEFINED_BYTES = encodeValue(undefined, "undefined", "step.result_too_large");

/** `step.sleep(name, duration)`: up to 365 days. */
export function runSleep(a: StepHost, name: string, duration: WorkflowSleepDuration): Promise<void> {
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

/** `step.sleepUntil(name, timestamp)`: a time in the past completes at once. */
export function runSleepUntil(a: StepHost, name: string, timestamp: Date | number): Promise<void> {
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
  return sleepUntilTime(a, name, () => at);
}

async function sleepUntilTime(a: StepHost, name: string, target: () => number): Promise<void> {
  const { key, count, cached } = a.lookup("sleep", name);
  if (cached?.status === "succeeded") return;
  if (cached?.status === "failed") throw fromErrorRecord(cached.error);
  if (a.replayOnly) return a.frontier();
  await a.gate();
  const startedAt = cached?.startedAt ?? a.now();
  const startOrder = cached?.startOrder ?? a.nextStartOrder();
  const base = { key, kind: "sleep" as const, name, count, startedAt, startOrder, config: null };
  // A sleep disabled by a test (cairn/testing) ends at once, still journaled and logged.
  const disabled = a.overrides?.sleepDisabled(name, count) === true;
  const wakeAt = cached?.status === "waiting" ? cached.wakeAt : disabled ? a.now() : target();
  if (cached?.status !== "waiting") {
    a.record({ ...base, status: "waiting", wakeAt, eventType: null }, [
      { type: "SLEEP_START", stepKey: key, data: { wakeAt } },
    ]);
    a.observer?.sleeping?.(name, wakeAt);
  }
  if (wakeAt > a.now() && !disabled) {
    await a.waitFor(wakeAt, null);
    await a.gate();
  }
  // A sleep that was due while its instance hibernated resumes here too: its lateness counts.
  if (!disabled) a.observer?.woke?.(name, wakeAt, a.now());
  // Not awaited: if this record is lost, the replay finds the wake time passed and completes again.
  a.record(
    { ...base, status: "succeeded", attempts: 1, value: UNDEFINED_BYTES, endedAt: a.now(), event: null },
    [{ type: "SLEEP_COMPLETE", stepKey: key }],
  );
}
