// Maps SQLite's driver types (0/1 flags, ",a,b," wait types, packed log rows) to the shared row
// mapping in records.ts, both ways. Used by the read side on the main thread and by the writer
// thread, so both speak the same shapes; the flat log is how a step's entries cross threads.

import {
  type ColumnEncoding,
  instanceRecord,
  logDataText,
  logEntry,
  type StepColumns,
  stepColumns,
  stepRecord,
} from "../records.js";
import type { InstanceRecord, LogEntry, LogInput, StepRecord } from "../types.js";

/** An instances row as better-sqlite3 returns it. */
export type InstanceRow = {
  seq: number;
  workflow: string;
  id: string;
  status: string;
  params: Uint8Array;
  output: Uint8Array | null;
  error: string | null;
  trigger: string;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  updated_at: number;
  wake_at: number | null;
  wait_types: string | null;
  paused_at: number | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  epoch: number;
  success_retention_ms: number;
  error_retention_ms: number;
  expires_at: number | null;
  rollback_pending: number;
  affinity: string | null;
  traceparent: string | null;
  tracestate: string | null;
};

/** A steps row as better-sqlite3 returns it. */
export type StepRow = {
  instance_seq: number;
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
  event_type: string | null;
  started_at: number;
  ended_at: number | null;
  wake_at: number | null;
  has_rollback: number;
  start_order: number;
  stream: number;
};

/** A log row as better-sqlite3 returns it (a packed row holds several entries). */
export type LogRow = {
  seq: number;
  at: number;
  type: string;
  step_key: string | null;
  attempt: number | null;
  data: string | null;
};

/** Wait types are stored as ",a,b," so that one LIKE finds a type (types cannot hold commas). */
export function encodeWaitTypes(types: string[]): string | null {
  return types.length === 0 ? null : `,${types.join(",")},`;
}

function decodeWaitTypes(text: string | null): string[] | null {
  return text ? text.split(",").filter((t) => t.length > 0) : null;
}

/** The record of an instances row: SQLite gives numbers as numbers, the flag as 0/1. */
export function toInstance(row: InstanceRow): InstanceRecord {
  return instanceRecord({
    seq: row.seq,
    workflow: row.workflow,
    id: row.id,
    status: row.status,
    params: row.params,
    output: row.output,
    error: row.error,
    trigger: row.trigger,
    createdAt: row.created_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    updatedAt: row.updated_at,
    wakeAt: row.wake_at,
    waitTypes: decodeWaitTypes(row.wait_types),
    pausedAt: row.paused_at,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
    epoch: row.epoch,
    successRetentionMs: row.success_retention_ms,
    errorRetentionMs: row.error_retention_ms,
    expiresAt: row.expires_at,
    rollbackPending: row.rollback_pending === 1,
    affinity: row.affinity ?? null,
    traceparent: row.traceparent ?? null,
    tracestate: row.tracestate ?? null,
  });
}

/** The journal record of a steps row. */
export function toStep(row: StepRow): StepRecord {
  return stepRecord({
    key: row.key,
    kind: row.kind,
    name: row.name,
    count: row.count,
    status: row.status,
    attempts: row.attempts,
    value: row.value,
    error: row.error,
    config: row.config,
    event: row.event,
    eventType: row.event_type,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    wakeAt: row.wake_at,
    hasRollback: row.has_rollback === 1,
    startOrder: row.start_order,
    stream: row.stream === 1,
  });
}

/** SQLite stores flags as 0/1 and takes bytes as they are. */
const SQLITE_ENCODING: ColumnEncoding<0 | 1, Uint8Array> = { yes: 1, no: 0, bytes: (value) => value };

/**
 * A journal record as the step upsert's positional parameters after `instance_seq`, in the order
 * of STEP_COLUMN_NAMES (positional binding is cheaper than named on the writer's hottest path).
 */
export function stepValues(record: StepRecord): StepValues {
  return stepColumns(record, SQLITE_ENCODING);
}

/** A step row as the upsert's positional parameters after `instance_seq`. */
export type StepValues = StepColumns<0 | 1, Uint8Array>;

/**
 * Log entries as a flat array, LOG_STRIDE values each (at the LOG_* offsets): type, time (null:
 * the call's `now`), step key, attempt, and the detail as JSON text. A flat array of plain values
 * crosses to the writer thread faster than objects.
 */
export type FlatLog = (string | number | null)[];

/** Values per entry in a FlatLog. */
export const LOG_STRIDE = 5;
/** Offset of an entry's type in a FlatLog. */
export const LOG_TYPE = 0;
/** Offset of an entry's time (null: the call's `now`). */
export const LOG_AT = 1;
/** Offset of an entry's step key. */
export const LOG_STEP_KEY = 2;
/** Offset of an entry's attempt. */
export const LOG_ATTEMPT = 3;
/** Offset of an entry's detail, as JSON text. */
export const LOG_DATA = 4;

/** Log entries as a FlatLog. */
export function flattenLog(entries: LogInput[]): FlatLog {
  const flat: FlatLog = [];
  // Pushed in LOG_* order.
  for (const e of entries)
    flat.push(e.type, e.at ?? null, e.stepKey ?? null, e.attempt ?? null, logDataText(e));
  return flat;
}

/**
 * The `type` of a log row that holds several entries written by one transition (a step's
 * start, attempt and result, folded into one row): its `data` is a JSON array of
 * [type, at, stepKey, attempt, data], and the entries take the row's seq and the next ones.
 */
export const PACKED_LOG_TYPE = "*";

/** One entry inside a packed row's `data`. */
export type PackedLogEntry = [
  type: string,
  at: number,
  stepKey: string | null,
  attempt: number | null,
  data: Record<string, unknown> | null,
];

/** The `data` text of a packed row holding the flat entries (a missing time is `now`). */
export function packedLogData(flat: FlatLog, now: number): string {
  const parts: string[] = [];
  for (let i = 0; i < flat.length; i += LOG_STRIDE) {
    const type = JSON.stringify(flat[i + LOG_TYPE]);
    const at = flat[i + LOG_AT] ?? now;
    const key = flat[i + LOG_STEP_KEY] ?? null;
    const stepKey = key === null ? "null" : JSON.stringify(key);
    const attempt = flat[i + LOG_ATTEMPT] ?? "null";
    // The detail is JSON text already.
    const data = flat[i + LOG_DATA] ?? "null";
    parts.push(`[${type},${at},${stepKey},${attempt},${data}]`);
  }
  return `[${parts.join(",")}]`;
}

/** A log row as its entries: one, or several for a packed row. */
export function toLog(row: LogRow): LogEntry[] {
  if (row.type !== PACKED_LOG_TYPE) {
    return [logEntry(row.seq, row.at, row.type, row.step_key, row.attempt, row.data)];
  }
  const packed = JSON.parse(row.data ?? "[]") as PackedLogEntry[];
  return packed.map(([type, at, stepKey, attempt, data], i) => ({
    seq: row.seq + i,
    at,
    type: type as LogEntry["type"],
    stepKey,
    attempt,
    data,
  }));
}
