// Converts PostgreSQL rows to the contract's records and records to statement parameters. The
// driver returns bigint columns as strings (and a caller's Pool may parse them otherwise), so
// every number goes through `num`; bytea comes back as a Buffer, which is a Uint8Array.

import { stepColumns } from "../records.js";
import type {
  ErrorRecord,
  InstanceRecord,
  LogEntry,
  StepRecord,
  StoredStatus,
  TriggerSource,
} from "../types.js";
import type { Row } from "./database.js";

export function num(value: unknown): number {
  return typeof value === "number" ? value : Number(value);
}

export function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : num(value);
}

/** A Buffer view of any Uint8Array, as the driver sends bytea parameters. */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const emptyError: ErrorRecord = { name: "Error", message: "" };

function parseError(text: string | null): ErrorRecord {
  return text ? (JSON.parse(text) as ErrorRecord) : emptyError;
}

function json(value: string | null): any {
  return value ? JSON.parse(value) : null;
}

export function toInstance(row: Row): InstanceRecord {
  const updatedAt = num(row.updated_at);
  const common = {
    seq: num(row.seq),
    workflow: row.workflow as string,
    id: row.id as string,
    params: row.params as Uint8Array,
    trigger: row.trigger as TriggerSource,
    createdAt: num(row.created_at),
    startedAt: numOrNull(row.started_at),
    updatedAt,
    epoch: num(row.epoch),
    leaseOwner: (row.lease_owner as string | null) ?? null,
    leaseExpiresAt: numOrNull(row.lease_expires_at),
    successRetentionMs: num(row.success_retention_ms),
    errorRetentionMs: num(row.error_retention_ms),
    rollbackPending: row.rollback_pending === true,
  };
  const status = row.status as StoredStatus;
  const ended = {
    endedAt: numOrNull(row.ended_at) ?? updatedAt,
    expiresAt: numOrNull(row.expires_at) ?? updatedAt,
  };
  switch (status) {
    case "waiting":
      return {
        ...common,
        status,
        wakeAt: numOrNull(row.wake_at),
        waitTypes: (row.wait_types as string[]) ?? [],
      };
    case "paused":
      return { ...common, status, pausedAt: numOrNull(row.paused_at) ?? updatedAt };
    case "complete":
      return { ...common, status, output: (row.output as Uint8Array) ?? new Uint8Array(), ...ended };
    case "errored":
      return { ...common, status, error: parseError(row.error), ...ended };
    case "terminated":
      return { ...common, status, ...ended };
    default:
      return { ...common, status };
  }
}

export function toStep(row: Row): StepRecord {
  const common = {
    key: row.key as string,
    kind: row.kind as StepRecord["kind"],
    name: row.name as string,
    count: num(row.count),
    startedAt: num(row.started_at),
    config: json(row.config),
    ...(row.has_rollback === true ? { hasRollback: true } : {}),
    ...(num(row.start_order ?? 0) > 0 ? { startOrder: num(row.start_order) } : {}),
  };
  const attempts = num(row.attempts);
  const endedAt = numOrNull(row.ended_at) ?? common.startedAt;
  switch (row.status) {
    case "running":
      return { ...common, status: "running", attempts };
    case "retrying":
      return {
        ...common,
        status: "retrying",
        attempts,
        wakeAt: numOrNull(row.wake_at) ?? 0,
        error: parseError(row.error),
      };
    case "waiting":
      return { ...common, status: "waiting", wakeAt: numOrNull(row.wake_at) ?? 0, eventType: row.event_type };
    case "succeeded":
      return {
        ...common,
        status: "succeeded",
        attempts,
        value: (row.value as Uint8Array) ?? new Uint8Array(),
        endedAt,
        event: json(row.event),
        ...(row.stream === true ? { stream: true } : {}),
      };
    default:
      return { ...common, status: "failed", attempts, error: parseError(row.error), endedAt };
  }
}

/** The parameters of the step upsert after the instance's seq, in the column order of fenced-writes.ts. */
export function stepValues(record: StepRecord): unknown[] {
  const c: unknown[] = stepColumns(record);
  const value = c[6] as Uint8Array | null;
  c[6] = value === null ? null : toBuffer(value);
  return c;
}

export function toLog(row: Row): LogEntry {
  return {
    seq: num(row.seq),
    at: num(row.at),
    type: row.type as LogEntry["type"],
    stepKey: (row.step_key as string | null) ?? null,
    attempt: numOrNull(row.attempt),
    data: json(row.data),
  };
}
