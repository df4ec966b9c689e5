// Records as every adapter builds them, and their mapping to table columns both ways, kept in one
// place so the adapters cannot drift. An adapter maps only its driver's types: SQLite's 0/1
// flags and ",a,b," wait types, PostgreSQL's booleans, bigint strings and Buffers.

import type {
  ErrorRecord,
  EventRecord,
  InstanceRecord,
  LogEntry,
  LogInput,
  LogType,
  StepKind,
  StepRecord,
  StoredStatus,
  TriggerSource,
} from "./types.js";

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

/** The log entry `consumeEvent` writes with that record. */
export function receivedEventLog(step: { key: string; type: string }): LogInput {
  return { type: "WAIT_COMPLETE", stepKey: step.key, data: { type: step.type } };
}

// ---- records to columns ----------------------------------------------------------------------

/** How a driver takes a flag and bytes: SQLite 0/1 and Uint8Array, PostgreSQL booleans and Buffers. */
export type ColumnEncoding<Flag, Bytes> = { yes: Flag; no: Flag; bytes: (value: Uint8Array) => Bytes };

/** The steps table's columns after `instance_seq`, in the order stepColumns fills them. */
export const STEP_COLUMN_NAMES = [
  ...["key", "kind", "name", "count", "status", "attempts", "value", "error", "config", "event"],
  ...["event_type", "started_at", "ended_at", "wake_at", "has_rollback", "start_order", "stream"],
] as const;

/** A journal record as the steps columns of STEP_COLUMN_NAMES, flags and bytes in the driver's types. */
export type StepColumns<Flag, Bytes> = [
  key: string,
  kind: string,
  name: string,
  count: number,
  status: string,
  attempts: number,
  value: Bytes | null,
  error: string | null,
  config: string | null,
  event: string | null,
  eventType: string | null,
  startedAt: number,
  endedAt: number | null,
  wakeAt: number | null,
  hasRollback: Flag,
  startOrder: number,
  stream: Flag,
];

/**
 * A journal record as its columns. One array and nothing else is allocated: this runs for every
 * step on the write path.
 */
export function stepColumns<Flag, Bytes>(
  record: StepRecord,
  encoding: ColumnEncoding<Flag, Bytes>,
): StepColumns<Flag, Bytes> {
  const status = record.status;
  return [
    record.key,
    record.kind,
    record.name,
    record.count,
    status,
    "attempts" in record ? record.attempts : 0,
    status === "succeeded" ? encoding.bytes(record.value) : null,
    status === "failed" || status === "retrying" ? JSON.stringify(record.error) : null,
    configJson(record.config),
    status === "succeeded" && record.event ? JSON.stringify(record.event) : null,
    status === "waiting" ? record.eventType : null,
    record.startedAt,
    status === "succeeded" || status === "failed" ? record.endedAt : null,
    status === "waiting" || status === "retrying" ? record.wakeAt : null,
    record.hasRollback === true ? encoding.yes : encoding.no,
    record.startOrder ?? 0,
    status === "succeeded" && record.stream === true ? encoding.yes : encoding.no,
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

/** The detail of a log entry as the JSON text both adapters store. */
export function logDataText(entry: LogInput): string | null {
  return entry.data ? JSON.stringify(entry.data) : null;
}

// ---- columns to records ----------------------------------------------------------------------

/** An instance row as JavaScript values: what an adapter reads out of its driver's row. */
export type InstanceColumns = {
  seq: number;
  workflow: string;
  id: string;
  status: string;
  params: Uint8Array;
  output: Uint8Array | null;
  /** JSON text of an ErrorRecord. */
  error: string | null;
  trigger: string;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  updatedAt: number;
  wakeAt: number | null;
  waitTypes: string[] | null;
  pausedAt: number | null;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  epoch: number;
  successRetentionMs: number;
  errorRetentionMs: number;
  expiresAt: number | null;
  rollbackPending: boolean;
  affinity: string | null;
  traceparent: string | null;
  tracestate: string | null;
};

const emptyError: ErrorRecord = { name: "Error", message: "" };

function parseError(text: string | null): ErrorRecord {
  return text ? (JSON.parse(text) as ErrorRecord) : emptyError;
}

function parseJson(text: string | null): any {
  return text ? JSON.parse(text) : null;
}

/** The record of an instance row; a column its status needs but the row lacks falls back to updatedAt. */
export function instanceRecord(c: InstanceColumns): InstanceRecord {
  const common = {
    seq: c.seq,
    workflow: c.workflow,
    id: c.id,
    params: c.params,
    trigger: c.trigger as TriggerSource,
    createdAt: c.createdAt,
    startedAt: c.startedAt,
    updatedAt: c.updatedAt,
    epoch: c.epoch,
    leaseOwner: c.leaseOwner,
    leaseExpiresAt: c.leaseExpiresAt,
    successRetentionMs: c.successRetentionMs,
    errorRetentionMs: c.errorRetentionMs,
    rollbackPending: c.rollbackPending,
    affinity: c.affinity,
    traceContext: c.traceparent === null ? null : { traceparent: c.traceparent, tracestate: c.tracestate },
  };
  const status = c.status as StoredStatus;
  const endedAt = c.endedAt ?? c.updatedAt;
  const expiresAt = c.expiresAt ?? c.updatedAt;
  switch (status) {
    case "waiting":
      return { ...common, status, wakeAt: c.wakeAt, waitTypes: c.waitTypes ?? [] };
    case "paused":
      return { ...common, status, pausedAt: c.pausedAt ?? c.updatedAt };
    case "complete":
      return { ...common, status, output: c.output ?? new Uint8Array(), endedAt, expiresAt };
    case "errored":
      return { ...common, status, error: parseError(c.error), endedAt, expiresAt };
    case "terminated":
      return { ...common, status, endedAt, expiresAt };
    default:
      return { ...common, status };
  }
}

/** A steps row as JavaScript values (JSON columns still as text). */
export type StepRowColumns = {
  key: string;
  kind: string;
  name: string;
  count: number;
  status: string;
  attempts: number;
  value: Uint8Array | null;
  error: string | null;
  config: string | null;
  event: string | null;
  eventType: string | null;
  startedAt: number;
  endedAt: number | null;
  wakeAt: number | null;
  hasRollback: boolean;
  startOrder: number;
  stream: boolean;
};

/** The journal record of a steps row. */
export function stepRecord(c: StepRowColumns): StepRecord {
  const common = {
    key: c.key,
    kind: c.kind as StepKind,
    name: c.name,
    count: c.count,
    startedAt: c.startedAt,
    config: parseJson(c.config),
    ...(c.hasRollback ? { hasRollback: true } : {}),
    ...(c.startOrder > 0 ? { startOrder: c.startOrder } : {}),
  };
  const endedAt = c.endedAt ?? c.startedAt;
  switch (c.status) {
    case "running":
      return { ...common, status: "running", attempts: c.attempts };
    case "retrying":
      return {
        ...common,
        status: "retrying",
        attempts: c.attempts,
        wakeAt: c.wakeAt ?? 0,
        error: parseError(c.error),
      };
    case "waiting":
      return { ...common, status: "waiting", wakeAt: c.wakeAt ?? 0, eventType: c.eventType };
    case "succeeded":
      return {
        ...common,
        status: "succeeded",
        attempts: c.attempts,
        value: c.value ?? new Uint8Array(),
        endedAt,
        event: parseJson(c.event),
        ...(c.stream ? { stream: true } : {}),
      };
    default:
      return { ...common, status: "failed", attempts: c.attempts, error: parseError(c.error), endedAt };
  }
}

/** A log entry from its columns (the detail as JSON text). */
export function logEntry(
  seq: number,
  at: number,
  type: string,
  stepKey: string | null,
  attempt: number | null,
  data: string | null,
): LogEntry {
  return { seq, at, type: type as LogType, stepKey, attempt, data: parseJson(data) };
}
