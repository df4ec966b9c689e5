// Maps PostgreSQL's driver types to the shared row mapping in records.ts, both ways. The driver
// returns bigint columns as strings (and a caller's Pool may parse them otherwise), so every
// number goes through `num`; bytea comes back as a Buffer, which is a Uint8Array.

import {
  type ColumnEncoding,
  instanceRecord,
  logEntry,
  type StepColumns,
  stepColumns,
  stepRecord,
} from "../records.js";
import type { InstanceRecord, LogEntry, StepRecord } from "../types.js";
import type { Row } from "./database.js";

/** A number column as a number, whether the driver gave a number or a bigint string. */
export function num(value: unknown): number {
  return typeof value === "number" ? value : Number(value);
}

/** num() for a nullable column. */
export function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : num(value);
}

/** A Buffer view of any Uint8Array, as the driver sends bytea parameters. */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The record of an instances row: bigint columns may come as strings, the flag as a boolean. */
export function toInstance(row: Row): InstanceRecord {
  return instanceRecord({
    seq: num(row.seq),
    workflow: row.workflow as string,
    id: row.id as string,
    status: row.status as string,
    params: row.params as Uint8Array,
    output: (row.output as Uint8Array | null) ?? null,
    error: (row.error as string | null) ?? null,
    trigger: row.trigger as string,
    createdAt: num(row.created_at),
    startedAt: numOrNull(row.started_at),
    endedAt: numOrNull(row.ended_at),
    updatedAt: num(row.updated_at),
    wakeAt: numOrNull(row.wake_at),
    waitTypes: (row.wait_types as string[] | null) ?? null,
    pausedAt: numOrNull(row.paused_at),
    leaseOwner: (row.lease_owner as string | null) ?? null,
    leaseExpiresAt: numOrNull(row.lease_expires_at),
    epoch: num(row.epoch),
    successRetentionMs: num(row.success_retention_ms),
    errorRetentionMs: num(row.error_retention_ms),
    expiresAt: numOrNull(row.expires_at),
    rollbackPending: row.rollback_pending === true,
    affinity: (row.affinity as string | null | undefined) ?? null,
    traceparent: (row.traceparent as string | null | undefined) ?? null,
    tracestate: (row.tracestate as string | null | undefined) ?? null,
  });
}

/** The journal record of a steps row. */
export function toStep(row: Row): StepRecord {
  return stepRecord({
    key: row.key as string,
    kind: row.kind as string,
    name: row.name as string,
    count: num(row.count),
    status: row.status as string,
    attempts: num(row.attempts),
    value: (row.value as Uint8Array | null) ?? null,
    error: (row.error as string | null) ?? null,
    config: (row.config as string | null) ?? null,
    event: (row.event as string | null) ?? null,
    eventType: (row.event_type as string | null) ?? null,
    startedAt: num(row.started_at),
    endedAt: numOrNull(row.ended_at),
    wakeAt: numOrNull(row.wake_at),
    hasRollback: row.has_rollback === true,
    startOrder: num(row.start_order ?? 0),
    stream: row.stream === true,
  });
}

/** PostgreSQL takes flags as booleans and bytea as Buffers. */
const POSTGRES_ENCODING: ColumnEncoding<boolean, Buffer> = { yes: true, no: false, bytes: toBuffer };

/** A journal record as the step upsert's parameters after `instance_seq` (see STEP_COLUMN_NAMES). */
export function stepValues(record: StepRecord): StepColumns<boolean, Buffer> {
  return stepColumns(record, POSTGRES_ENCODING);
}

/** A log row as its entry. */
export function toLog(row: Row): LogEntry {
  return logEntry(
    num(row.seq),
    num(row.at),
    row.type as string,
    (row.step_key as string | null) ?? null,
    numOrNull(row.attempt),
    (row.data as string | null) ?? null,
  );
}
