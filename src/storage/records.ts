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

/**
 * A journal record as the steps table's columns after `instance_seq`, in table order (key,
 * kind, name, count, status, attempts, value, error, config, event, event_type, started_at,
 * ended_at, wake_at, has_rollback, start_order, stream). Each adapter maps the two flags and the
 * bytes to its own types.
 */
export type StepColumns = [
  string,
  string,
  string,
  number,
  string,
  number,
  Uint8Array | null,
  string | null,
  string | null,
  string | null,
  string | null,
  number,
  number | null,
  number | null,
  boolean,
  number,
  boolean,
];

export function stepColumns(record: StepRecord): StepColumns {
  const status = record.status;
  return [
    record.key,
    record.kind,
    record.name,
    record.count,
    status,
    "attempts" in record ? record.attempts : 0,
    status === "succeeded" ? record.value : null,
    status === "failed" || status === "retrying" ? JSON.stringify(record.error) : null,
    configJson(record.config),
    status === "succeeded" && record.event ? JSON.stringify(record.event) : null,
    status === "waiting" ? record.eventType : null,
    record.startedAt,
    status === "succeeded" || status === "failed" ? record.endedAt : null,
    status === "waiting" || status === "retrying" ? record.wakeAt : null,
    record.hasRollback === true,
    record.startOrder ?? 0,
    status === "succeeded" && record.stream === true,
  ];
}

/** JSON of step configs already written: a step's records share one (frozen) config object. */
const configTexts = new WeakMap<object, string>();

function configJson(config: unknown): string | null {
  if (config === null || config === undefined) return null;
  if (typeof config !== "object") return JSON.stringify(config);
  let text = configTexts.get(config);
  if (text === undefined) {
    text = JSON.stringify(config);
    // Only a frozen config cannot change after its JSON was taken.
    if (Object.isFrozen(config)) configTexts.set(config, text);
  }
  return text;
}
