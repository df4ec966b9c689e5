// Converts SQLite rows to the contract's records and back. Used by the read side on the main
// thread and by the writer thread, so both speak the same shapes.

import { stepColumns } from "../records.js";
import type {
  ErrorRecord,
  InstanceRecord,
  LogEntry,
  LogInput,
  StepRecord,
  StoredStatus,
  TriggerSource,
} from "../types.js";

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
};

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

export type LogRow = {
  seq: number;
  at: number;
  type: string;
  step_key: string | null;
  attempt: number | null;
  data: string | null;
};

const emptyError: ErrorRecord = { name: "Error", message: "" };

function parseError(text: string | null): ErrorRecord {
  return text ? (JSON.parse(text) as ErrorRecord) : emptyError;
}

/** Wait types are stored as ",a,b," so that one LIKE finds a type (types cannot hold commas). */
export function encodeWaitTypes(types: string[]): string | null {
  return types.length === 0 ? null : `,${types.join(",")},`;
}

function decodeWaitTypes(text: string | null): string[] {
  return text ? text.split(",").filter((t) => t.length > 0) : [];
}

export function toInstance(row: InstanceRow): InstanceRecord {
  const common = {
    seq: row.seq,
    workflow: row.workflow,
    id: row.id,
    params: row.params,
    trigger: row.trigger as TriggerSource,
    createdAt: row.created_at,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    epoch: row.epoch,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
    successRetentionMs: row.success_retention_ms,
    errorRetentionMs: row.error_retention_ms,
    rollbackPending: row.rollback_pending === 1,
  };
  const status = row.status as StoredStatus;
  const ended = { endedAt: row.ended_at ?? row.updated_at, expiresAt: row.expires_at ?? row.updated_at };
  switch (status) {
    case "waiting":
      return { ...common, status, wakeAt: row.wake_at, waitTypes: decodeWaitTypes(row.wait_types) };
    case "paused":
      return { ...common, status, pausedAt: row.paused_at ?? row.updated_at };
    case "complete":
      return { ...common, status, output: row.output ?? new Uint8Array(), ...ended };
    case "errored":
      return { ...common, status, error: parseError(row.error), ...ended };
    case "terminated":
      return { ...common, status, ...ended };
    default:
      return { ...common, status };
  }
}

export function toStep(row: StepRow): StepRecord {
  const common = {
    key: row.key,
    kind: row.kind as StepRecord["kind"],
    name: row.name,
    count: row.count,
    startedAt: row.started_at,
    config: row.config ? JSON.parse(row.config) : null,
    ...(row.has_rollback === 1 ? { hasRollback: true } : {}),
    ...(row.start_order > 0 ? { startOrder: row.start_order } : {}),
  };
  switch (row.status) {
    case "running":
      return { ...common, status: "running", attempts: row.attempts };
    case "retrying":
      return {
        ...common,
        status: "retrying",
        attempts: row.attempts,
        wakeAt: row.wake_at ?? 0,
        error: parseError(row.error),
      };
    case "waiting":
      return { ...common, status: "waiting", wakeAt: row.wake_at ?? 0, eventType: row.event_type };
    case "succeeded":
      return {
        ...common,
        status: "succeeded",
        attempts: row.attempts,
        value: row.value ?? new Uint8Array(),
        endedAt: row.ended_at ?? row.started_at,
        event: row.event ? JSON.parse(row.event) : null,
        ...(row.stream === 1 ? { stream: true } : {}),
      };
    default:
      return {
        ...common,
        status: "failed",
        attempts: row.attempts,
        error: parseError(row.error),
        endedAt: row.ended_at ?? row.started_at,
      };
  }
}

/**
 * A journal record as the upsert's positional parameters, in the column order of `upsertStep`
 * (positional binding is cheaper than named on the writer's hottest path); flags as 0/1.
 */
export function stepValues(seq: number, record: StepRecord): StepValues {
  const c: unknown[] = stepColumns(record);
  c[14] = c[14] ? 1 : 0;
  c[16] = c[16] ? 1 : 0;
  return [seq, ...c];
}

/** A step row as the upsert's positional parameters (index 1 is the step key). */
export type StepValues = unknown[];

/**
 * Log entries as a flat array, five values each: type, time (null: the call's `now`), step
 * key, attempt, and the detail as JSON text. Cheaper to send to the writer thread than objects.
 */
export type FlatLog = (string | number | null)[];

export function flattenLog(entries: LogInput[]): FlatLog {
  const flat: FlatLog = [];
  for (const e of entries) {
    flat.push(
      e.type,
      e.at ?? null,
      e.stepKey ?? null,
      e.attempt ?? null,
      e.data ? JSON.stringify(e.data) : null,
    );
  }
  return flat;
}

/**
 * The `type` of a log row that holds several entries written by one transition (a step's
 * start, attempt and result, folded into one row): its `data` is a JSON array of
 * [type, at, stepKey, attempt, data], and the entries take the row's seq and the next ones.
 */
export const PACKED_LOG_TYPE = "*";

export type PackedLogEntry = [string, number, string | null, number | null, Record<string, unknown> | null];

/** The `data` text of a packed row holding the flat entries (a missing time is `now`). */
export function packedLogData(flat: FlatLog, now: number): string {
  const parts: string[] = [];
  for (let i = 0; i < flat.length; i += 5) {
    const at = flat[i + 1] ?? now;
    const key = flat[i + 2];
    parts.push(
      `[${JSON.stringify(flat[i])},${at},${key === null ? "null" : JSON.stringify(key)},${flat[i + 3] ?? "null"},${flat[i + 4] ?? "null"}]`,
    );
  }
  return `[${parts.join(",")}]`;
}

/** A log row as its entries: one, or several for a packed row. */
export function toLog(row: LogRow): LogEntry[] {
  if (row.type !== PACKED_LOG_TYPE) {
    return [
      {
        seq: row.seq,
        at: row.at,
        type: row.type as LogEntry["type"],
        stepKey: row.step_key,
        attempt: row.attempt,
        data: row.data ? JSON.parse(row.data) : null,
      },
    ];
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
