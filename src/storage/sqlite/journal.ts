// The runner's writes on SQLite, each fenced by the lease epoch: step records with their log
// entries (the writer's hottest path), log entries alone, stream chunks, taking a buffered event,
// and the transitions that end a run (suspend, settle a pause, finish), decided by lifecycle.ts.
// The writer thread is the file's only writer, so reading the epoch and then writing is atomic.

import type Database from "better-sqlite3";
import { StaleLeaseError } from "../../errors.js";
import { decideFinish, decideSettlePause, decideSuspend } from "../lifecycle.js";
import { receivedEventLog, receivedEventRecord, STEP_COLUMN_NAMES } from "../records.js";
import type { EventRecord, Fence, FinishResult, LogInput, StepRecord, StoredStatus } from "../types.js";
import type { LogWriter } from "./log-writer.js";
import { encodeWaitTypes, type FlatLog, flattenLog, type StepValues, stepValues } from "./rows.js";
import { prepareAll } from "./statements.js";

/** The step a `waitForEvent` is, and the event type it takes. */
export type EventStep = { key: string; name: string; count: number; startedAt: number; type: string };

type EventRow = { seq: number; type: string; payload: Uint8Array; sent_at: number };

/** Fenced journal writes and the runner's end-of-run transitions. */
export class SqliteJournal {
  private readonly log: LogWriter;
  private readonly stmt;
  /** The epoch of an instance, as a bare number (no row object on the per-step path). */
  private readonly epochOf: Database.Statement;

  constructor(db: Database.Database, log: LogWriter) {
    this.log = log;
    this.epochOf = db.prepare("SELECT epoch FROM instances WHERE seq = ?").pluck();
    this.stmt = prepareAll(db, {
      fencedStatus: "SELECT epoch, status FROM instances WHERE seq = ?",
      // instance_seq is bound first, then the record's values (stepValues) in their order.
      upsertStep: `INSERT INTO steps (instance_seq, ${STEP_COLUMN_NAMES.join(", ")})
         VALUES (?${", ?".repeat(STEP_COLUMN_NAMES.length)})
         ON CONFLICT (instance_seq, key) DO UPDATE SET status = excluded.status, attempts = excluded.attempts,
           value = excluded.value, error = excluded.error, config = coalesce(steps.config, excluded.config),
           event = excluded.event, event_type = excluded.event_type, ended_at = excluded.ended_at,
           wake_at = excluded.wake_at, has_rollback = max(steps.has_rollback, excluded.has_rollback),
           stream = excluded.stream`,
      pendingEvent: `SELECT seq, type, payload, sent_at FROM events
        WHERE instance_seq = ? AND type = ? AND consumed_by IS NULL ORDER BY seq LIMIT 1`,
      consume: "UPDATE events SET consumed_by = ?, consumed_at = ? WHERE seq = ?",
      anyPendingOf: `SELECT 1 FROM events
        WHERE instance_seq = ? AND consumed_by IS NULL AND instr(?, ',' || type || ',') > 0 LIMIT 1`,
      suspendWaiting: `UPDATE instances SET status = @status, paused_at = NULL, wake_at = @wake, wait_types = @types,
           lease_owner = NULL, lease_expires_at = NULL, updated_at = @now WHERE seq = @seq`,
      suspendPaused: `UPDATE instances SET status = @status, paused_at = @now, wake_at = NULL, wait_types = NULL,
           lease_owner = NULL, lease_expires_at = NULL, updated_at = @now WHERE seq = @seq`,
      settlePause: `UPDATE instances SET status = ?, paused_at = ?, lease_owner = NULL, lease_expires_at = NULL,
           updated_at = ? WHERE seq = ?`,
      finish: `UPDATE instances SET status = @status, output = @output, error = @error, ended_at = @now,
           expires_at = @now + CASE WHEN @retention = 'success' THEN success_retention_ms ELSE error_retention_ms END,
           lease_owner = NULL, lease_expires_at = NULL, wake_at = NULL, wait_types = NULL, rollback_pending = 0,
           updated_at = @now
         WHERE seq = @seq`,
      appendChunk: `INSERT INTO stream_chunks (instance_seq, step_key, idx, bytes) VALUES (?, ?,
           (SELECT coalesce(max(idx), -1) + 1 FROM stream_chunks WHERE instance_seq = ? AND step_key = ?), ?)`,
      discardChunks: "DELETE FROM stream_chunks WHERE instance_seq = ? AND step_key = ?",
    });
  }

  /**
   * Throws StaleLeaseError unless `epoch` is instance `seq`'s current epoch. Takes the fence's
   * two numbers rather than a Fence so that the per-step path builds no object for it.
   */
  private assertFence(seq: number, epoch: number): void {
    if (this.epochOf.get(seq) !== epoch) throw new StaleLeaseError(String(seq), epoch);
  }

  /** assertFence(), returning the instance's status for a lifecycle decision. */
  private fencedStatus(fence: Fence): StoredStatus {
    const row = this.stmt.fencedStatus.get(fence.seq) as { epoch: number; status: StoredStatus } | undefined;
    if (!row || row.epoch !== fence.epoch) throw new StaleLeaseError(String(fence.seq), fence.epoch);
    return row.status;
  }

  /** Upserts a journal record with its log entries. */
  recordStep(fence: Fence, record: StepRecord, log: LogInput[], now: number): void {
    this.recordStepRow(fence.seq, fence.epoch, stepValues(record), flattenLog(log), now);
  }

  /** recordStep with the record and log already flat, as the main thread sends them. */
  recordStepRow(seq: number, epoch: number, values: StepValues, log: FlatLog, now: number): void {
    this.assertFence(seq, epoch);
    this.stmt.upsertStep.run(seq, values);
    this.log.writeFlat(seq, log, now);
  }

  /** Appends log entries only. */
  appendLog(fence: Fence, log: LogInput[], now: number): void {
    this.assertFence(fence.seq, fence.epoch);
    this.log.write(fence.seq, log, now);
  }

  /** Takes the oldest buffered event of the step's type and records the step as received. */
  consumeEvent(fence: Fence, step: EventStep, now: number): EventRecord | undefined {
    this.assertFence(fence.seq, fence.epoch);
    const row = this.stmt.pendingEvent.get(fence.seq, step.type) as EventRow | undefined;
    if (!row) return undefined;
    this.stmt.consume.run(step.key, now, row.seq);
    const event: EventRecord = { seq: row.seq, type: row.type, payload: row.payload, sentAt: row.sent_at };
    this.stmt.upsertStep.run(fence.seq, stepValues(receivedEventRecord(step, event, now)));
    this.log.write(fence.seq, [receivedEventLog(step)], now);
    return event;
  }

  /** Hibernates the instance until `wake` (due at once if an awaited event is buffered), or pauses it. */
  suspend(
    fence: Fence,
    wake: { wakeAt: number | null; waitTypes: string[] },
    now: number,
  ): "waiting" | "paused" {
    const status = this.fencedStatus(fence);
    const types = encodeWaitTypes(wake.waitTypes);
    const due = types !== null && this.stmt.anyPendingOf.get(fence.seq, types) !== undefined;
    const d = decideSuspend(status, wake, due);
    if (d.outcome === "paused") {
      this.stmt.suspendPaused.run({ status: d.status, now, seq: fence.seq });
    } else {
      this.stmt.suspendWaiting.run({
        status: d.status,
        wake: due ? now : wake.wakeAt,
        types,
        now,
        seq: fence.seq,
      });
    }
    this.log.write(fence.seq, d.log, now);
    return d.outcome === "paused" ? "paused" : "waiting";
  }

  /** A requested pause takes effect, if it is still requested. */
  settlePause(fence: Fence, now: number): void {
    const d = decideSettlePause(this.fencedStatus(fence));
    if (d.outcome !== "paused") return;
    this.stmt.settlePause.run(d.status, now, now, fence.seq);
    this.log.write(fence.seq, d.log, now);
  }

  /** Ends the instance with `result` and sets its expiry. */
  finish(fence: Fence, result: FinishResult, now: number): void {
    this.assertFence(fence.seq, fence.epoch);
    const d = decideFinish(result);
    this.stmt.finish.run({
      seq: fence.seq,
      now,
      status: d.status,
      retention: d.retention,
      output: result.status === "complete" ? result.output : null,
      error: result.status === "errored" ? JSON.stringify(result.error) : null,
    });
    this.log.write(fence.seq, d.log, now);
  }

  /** Appends chunks of step `key`'s stream result after those already stored. */
  appendStreamChunks(fence: Fence, key: string, chunks: Uint8Array[]): void {
    this.assertFence(fence.seq, fence.epoch);
    for (const chunk of chunks) this.stmt.appendChunk.run(fence.seq, key, fence.seq, key, chunk);
  }

  /** Deletes step `key`'s stored chunks. */
  discardStreamChunks(fence: Fence, key: string): void {
    this.assertFence(fence.seq, fence.epoch);
    this.stmt.discardChunks.run(fence.seq, key);
  }
}
