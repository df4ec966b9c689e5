// Records that every adapter builds the same way, kept in one place so the adapters cannot drift.

import type { EventRecord, StepRecord } from "./types.js";

/** The journal record of a `waitForEvent` that received `event` (written by `consumeEvent`). */
export function receivedEventRecord(
  step: { key: string; name: string; count: number; startedAt: number },
  event: EventRecord,
  now: number,
): StepRecord {
  return {
    key: step.key,
    kind: "waitForEvent",
    name: step.name,
    count: step.count,
    startedAt: step.startedAt,
    config: null,
    status: "succeeded",
    attempts: 1,
    value: event.payload,
    endedAt: now,
    event: { type: event.type, sentAt: event.sentAt },
  };
}
