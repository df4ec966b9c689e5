// The store's write transitions, as run by the writer thread inside a group-commit transaction.
// Each method is atomic on its own (the writer wraps it in a savepoint), so one failing
// transition never undoes another that shared the same commit.

import type Database from "better-sqlite3";
import { StaleLeaseError } from "../../errors.js";
import { receivedEventRecord } from "../records.js";
import type {
  Claim,
  ClaimRequest,
  ControlResult,
  CreateResult,
  EventRecord,
  Fence,
  FinishResult,
  LogInput,
  NewInstance,
  StepRecord,
  StoredStatus,
} from "../types.js";
import { FINISHED_STATUSES } from "../types.js";
import {
  encodeWaitTypes,
  type FlatLog,
  flattenLog,
  type InstanceRow,
  PACKED_LOG_TYPE,
  packedLogData,
  type StepValues,
  stepValues,
  toInstance,
} from "./rows.js";

type Db = Database.Database;

/**
 * Running orphans of the workflows asked for (others would fill the window and starve them); a
 * pause in progress settles whatever its workflow. The status term stays as written so that the
 * partial index instances_leased serves the query (a test checks the plan).
 */
export const EXPIRED_LEASES_SQL = `SELECT seq, workflow, status FROM instances WHERE status IN ('running', 'waitingForPause')
           AND lease_expires_at <= ?
           AND (status = 'waitingForPause' OR workflow IN (SELECT value FROM json_each(?)))
           AND (lease_owner IS NULL OR lease_owner <> ?) ORDER BY lease_expires_at LIMIT ?`;

type Row = Record<string, unknown>;

export class SqliteTransitions {
  private readonly db: Db;
  private readonly stmt: Record<string, Database.Statement>;
  /**
   * The next log seq. Assigned here rather than by SQLite because a packed row takes one seq
   * per entry; this thread is the file's only writer (the process lock), so a counter is safe,
   * and a gap left by a rolled-back batch only skips numbers.
   */
  private nextLogSeq: number;

  constructor(db: Db) {
    this.db = db;
    // After the last row, and after every entry of it if it is a packed row (its entries took
    // the seqs that follow its own).
    const last = db
      .prepare(
        `SELECT seq + CASE WHEN type = '${PACKED_LOG_TYPE}' THEN json_array_length(data) - 1 ELSE 0 END AS seq
         FROM log ORDER BY seq DESC LIMIT 1`,
      )
      .get() as { seq: number } | undefined;
    this.nextLogSeq = (last?.seq ?? 0) + 1;
    const s = (sql: string) => db.prepare(sql);
    this.stmt = {
      epoch: s("SELECT epoch FROM instances WHERE seq = ?"),
      insertInstance: s(
        `INSERT INTO instances (workflow, id, status, params, trigger, created_at, updated_at,
           success_retention_ms, error_retention_ms)
         VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?) ON CONFLICT (workflow, id) DO NOTHING`,
      ),
      log: s(
        "INSERT INTO log (seq, instance_seq, at, type, step_key, attempt, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ),
      upsertStep: s(
        `INSERT INTO steps (instance_seq, key, kind, name, count, status, attempts, value, error, config, event,
           event_type, started_at, ended_at, wake_at, has_rollback, start_order, stream)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (instance_seq, key) DO UPDATE SET status = excluded.status, attempts = excluded.attempts,
           value = excluded.value, error = excluded.error, config = coalesce(steps.config, excluded.config),
           event = excluded.event, event_type = excluded.event_type, ended_at = excluded.ended_at,
           wake_at = excluded.wake_at, has_rollback = max(steps.has_rollback, excluded.has_rollback),
           stream = excluded.stream`,
      ),
      dueWaiting: s(
        "SELECT seq, workflow, wake_at FROM instances WHERE status = 'waiting' AND wake_at <= ? AND workflow = ? ORDER BY wake_at LIMIT ?",
      ),
      expiredLeases: s(EXPIRED_LEASES_SQL),
      queued: s(
        "SELECT seq, workflow, started_at FROM instances WHERE workflow = ? AND status = 'queued' ORDER BY seq LIMIT ?",
      ),
      take: s(
        `UPDATE instances SET status = 'running', started_at = coalesce(started_at, @now), lease_owner = @owner,
           lease_expires_at = @until, epoch = epoch + 1, wake_at = NULL, wait_types = NULL, updated_at = @now
         WHERE seq = @seq RETURNING *`,
      ),
      pauseOrphan: s(
        `UPDATE instances SET status = 'paused', paused_at = ?, lease_owner = NULL, lease_expires_at = NULL,
           epoch = epoch + 1, updated_at = ? WHERE seq = ?`,
      ),
      renew: s("UPDATE instances SET lease_expires_at = ? WHERE seq = ? AND epoch = ? AND lease_owner = ?"),
      release: s(
        `UPDATE instances SET lease_owner = NULL, lease_expires_at = ?, updated_at = ?
         WHERE seq = ? AND epoch = ? AND status IN ('running', 'waitingForPause')`,
      ),
      pendingEvent: s(
        "SELECT seq, type, payload, sent_at FROM events WHERE instance_seq = ? AND type = ? AND consumed_by IS NULL ORDER BY seq LIMIT 1",
      ),
      consume: s("UPDATE events SET consumed_by = ?, consumed_at = ? WHERE seq = ?"),
      anyPendingOf: s(
        "SELECT 1 FROM events WHERE instance_seq = ? AND consumed_by IS NULL AND instr(?, ',' || type || ',') > 0 LIMIT 1",
      ),
      suspend: s(
        `UPDATE instances SET status = CASE WHEN status = 'waitingForPause' THEN 'paused' ELSE 'waiting' END,
           paused_at = CASE WHEN status = 'waitingForPause' THEN @now END,
           wake_at = CASE WHEN status = 'waitingForPause' THEN NULL ELSE @wake END,
           wait_types = CASE WHEN status = 'waitingForPause' THEN NULL ELSE @types END,
           lease_owner = NULL, lease_expires_at = NULL, updated_at = @now WHERE seq = @seq RETURNING status`,
      ),
      settlePause: s(
        `UPDATE instances SET status = 'paused', paused_at = ?, lease_owner = NULL, lease_expires_at = NULL,
           updated_at = ? WHERE seq = ? AND status = 'waitingForPause'`,
      ),
      finish: s(
        `UPDATE instances SET status = @status, output = @output, error = @error, ended_at = @now,
           expires_at = @now + CASE WHEN @status = 'complete' THEN success_retention_ms ELSE error_retention_ms END,
           lease_owner = NULL, lease_expires_at = NULL, wake_at = NULL, wait_types = NULL, rollback_pending = 0,
           updated_at = @now
         WHERE seq = @seq`,
      ),
      appendChunk: s(
        `INSERT INTO stream_chunks (instance_seq, step_key, idx, bytes) VALUES (?, ?,
           (SELECT coalesce(max(idx), -1) + 1 FROM stream_chunks WHERE instance_seq = ? AND step_key = ?), ?)`,
      ),
      discardChunks: s("DELETE FROM stream_chunks WHERE instance_seq = ? AND step_key = ?"),
      wipeChunks: s("DELETE FROM stream_chunks WHERE instance_seq = ?"),
      terminateWithRollback: s(
        `UPDATE instances SET status = 'running', rollback_pending = 1, lease_owner = NULL, lease_expires_at = 0,
           epoch = epoch + 1, wake_at = NULL, wait_types = NULL, paused_at = NULL, updated_at = ? WHERE seq = ?`,
      ),
      stepsFrom: s(
        "SELECT key, kind, name, count, start_order FROM steps WHERE instance_seq = ? ORDER BY start_order, key",
      ),
      deleteStep: s("DELETE FROM steps WHERE instance_seq = ? AND key = ?"),
      unconsume: s(
        "UPDATE events SET consumed_by = NULL, consumed_at = NULL WHERE instance_seq = ? AND consumed_by = ?",
      ),
      restartKeep: s(
        `UPDATE instances SET status = 'queued', output = NULL, error = NULL, ended_at = NULL, wake_at = NULL,
           wait_types = NULL, paused_at = NULL, lease_owner = NULL, lease_expires_at = NULL, epoch = epoch + 1,
           expires_at = NULL, rollback_pending = 0, updated_at = ? WHERE seq = ?`,
      ),
      mark: s("SELECT scheduled_time FROM schedule_marks WHERE workflow = ? AND cron = ?"),
      setMark: s(
        `INSERT INTO schedule_marks (workflow, cron, scheduled_time) VALUES (?, ?, ?)
         ON CONFLICT (workflow, cron) DO UPDATE SET scheduled_time = excluded.scheduled_time`,
      ),
      byId: s("SELECT seq, status, wait_types, paused_at FROM instances WHERE workflow = ? AND id = ?"),
      insertEvent: s("INSERT INTO events (instance_seq, type, payload, sent_at) VALUES (?, ?, ?, ?)"),
      wakeNow: s("UPDATE instances SET wake_at = ?, updated_at = ? WHERE seq = ?"),
      setStatus: s("UPDATE instances SET status = ?, updated_at = ? WHERE seq = ?"),
      pauseNow: s(
        "UPDATE instances SET status = 'paused', paused_at = ?, wake_at = NULL, wait_types = NULL, updated_at = ? WHERE seq = ?",
      ),
      shiftTimers: s(
        "UPDATE steps SET wake_at = wake_at + ? WHERE instance_seq = ? AND status IN ('waiting', 'retrying')",
      ),
      requeue: s("UPDATE instances SET status = 'queued', paused_at = NULL, updated_at = ? WHERE seq = ?"),
      terminate: s(
        `UPDATE instances SET status = 'terminated', ended_at = ?, expires_at = ? + error_retention_ms,
           lease_owner = NULL, lease_expires_at = NULL, epoch = epoch + 1, wake_at = NULL, wait_types = NULL,
           updated_at = ? WHERE seq = ?`,
      ),
      wipeSteps: s("DELETE FROM steps WHERE instance_seq = ?"),
      wipeEvents: s("DELETE FROM events WHERE instance_seq = ?"),
      wipeLog: s("DELETE FROM log WHERE instance_seq = ?"),
      restart: s(
        `UPDATE instances SET status = 'queued', output = NULL, error = NULL, started_at = NULL, ended_at = NULL,
           wake_at = NULL, wait_types = NULL, paused_at = NULL, lease_owner = NULL, lease_expires_at = NULL,
           epoch = epoch + 1, expires_at = NULL, rollback_pending = 0, updated_at = ? WHERE seq = ?`,
      ),
      expired: s("SELECT seq FROM instances WHERE expires_at <= ? ORDER BY expires_at LIMIT ?"),
      deleteInstance: s("DELETE FROM instances WHERE seq = ?"),
    };
  }

  private check(fence: Fence): void {
    const row = this.stmt.epoch!.get(fence.seq) as { epoch: number } | undefined;
    if (!row || row.epoch !== fence.epoch) throw new StaleLeaseError(String(fence.seq), fence.epoch);
  }

  private writeLog(seq: number, entries: LogInput[], now: number): void {
    if (entries.length > 0) this.writeFlatLog(seq, flattenLog(entries), now);
  }

  /** One row per entry, or one packed row for the several entries of one transition. */
  private writeFlatLog(seq: number, flat: FlatLog, now: number): void {
    if (flat.length === 0) return;
    if (flat.length === 5) {
      const [type, at, stepKey, attempt, data] = flat;
      this.stmt.log!.run(this.nextLogSeq++, seq, at ?? now, type, stepKey, attempt, data);
      return;
    }
    const at = flat[1] ?? now;
    this.stmt.log!.run(this.nextLogSeq, seq, at, PACKED_LOG_TYPE, flat[2], null, packedLogData(flat, now));
    this.nextLogSeq += flat.length / 5;
  }

  createInstances(items: NewInstance[], now: number): CreateResult[] {
    return items.map((item) => {
      const info = this.stmt.insertInstance!.run(
        item.workflow,
        item.id,
        item.params,
        item.trigger,
        now,
        now,
        item.successRetentionMs,
        item.errorRetentionMs,
      );
      if (info.changes === 0) return { id: item.id, created: false };
      const seq = Number(info.lastInsertRowid);
      this.writeLog(seq, [{ type: "WORKFLOW_QUEUED" }], now);
      return { id: item.id, created: true, seq };
    });
  }

  claim(req: ClaimRequest): Claim[] {
    const claims: Claim[] = [];
    let total = req.total;
    const slots = { ...req.slots };
    const until = req.now + req.leaseMs;
    const take = (seq: number, waking: boolean, fresh = false) => {
      const row = this.stmt.take!.get({ now: req.now, owner: req.owner, until, seq }) as InstanceRow;
      if (!waking) this.writeLog(seq, [{ type: "WORKFLOW_START" }], req.now);
      claims.push({ instance: toInstance(row) as Claim["instance"], waking, fresh });
      total -= 1;
      slots[row.workflow] = (slots[row.workflow] ?? 0) - 1;
    };
    // Instances whose holder died: a pause in progress settles as paused (nothing runs it now).
    const asked = JSON.stringify(Object.keys(slots).filter((w) => (slots[w] ?? 0) > 0));
    const orphans = this.stmt.expiredLeases!.all(
      req.now,
      asked,
      req.owner,
      Math.max(total, 1) * 4 + 16,
    ) as Row[];
    for (const o of orphans) {
      if (o.status === "waitingForPause") {
        this.stmt.pauseOrphan!.run(req.now, req.now, o.seq);
        this.writeLog(o.seq as number, [{ type: "WORKFLOW_PAUSED" }], req.now);
      } else if (total > 0 && (slots[o.workflow as string] ?? 0) > 0) {
        take(o.seq as number, true);
      }
    }
    // Each workflow's first candidates, merged so that the total cap goes to the earliest due
    // (then the oldest queued) across workflows, not to whichever workflow is listed first.
    const takeInOrder = (pick: (workflow: string, n: number) => Row[], key: string, waking: boolean) => {
      const rows: Row[] = [];
      for (const workflow of Object.keys(slots)) {
        const n = Math.min(slots[workflow] ?? 0, total);
        if (n > 0) rows.push(...pick(workflow, n));
      }
      rows.sort((a, b) => (a[key] as number) - (b[key] as number) || (a.seq as number) - (b.seq as number));
      for (const r of rows) {
        // Never started (created, or restarted from the top): no journal and no stored state yet.
        const fresh = !waking && r.started_at === null;
        if (total > 0 && (slots[r.workflow as string] ?? 0) > 0) take(r.seq as number, waking, fresh);
      }
    };
    takeInOrder((w, n) => this.stmt.dueWaiting!.all(req.now, w, n) as Row[], "wake_at", true);
    takeInOrder((w, n) => this.stmt.queued!.all(w, n) as Row[], "seq", false);
    return claims;
  }

  renewLeases(owner: string, fences: Fence[], until: number): void {
    for (const f of fences) this.stmt.renew!.run(until, f.seq, f.epoch, owner);
  }

  releaseLease(fence: Fence, now: number): void {
    this.stmt.release!.run(now, now, fence.seq, fence.epoch);
  }

  recordStep(fence: Fence, record: StepRecord, log: LogInput[], now: number): void {
    this.recordStepRow(fence.seq, fence.epoch, stepValues(fence.seq, record), flattenLog(log), now);
  }

  /** recordStep with the record and log already flat, as the main thread sends them. */
  recordStepRow(seq: number, epoch: number, values: StepValues, log: FlatLog, now: number): void {
    this.check({ seq, epoch });
    this.stmt.upsertStep!.run(values);
    this.writeFlatLog(seq, log, now);
  }

  appendLog(fence: Fence, log: LogInput[], now: number): void {
    this.check(fence);
    this.writeLog(fence.seq, log, now);
  }

  consumeEvent(
    fence: Fence,
    step: { key: string; name: string; count: number; startedAt: number; type: string },
    now: number,
  ): EventRecord | undefined {
    this.check(fence);
    const row = this.stmt.pendingEvent!.get(fence.seq, step.type) as Row | undefined;
    if (!row) return undefined;
    this.stmt.consume!.run(step.key, now, row.seq);
    const event: EventRecord = {
      seq: row.seq as number,
      type: row.type as string,
      payload: row.payload as Uint8Array,
      sentAt: row.sent_at as number,
    };
    const record = receivedEventRecord(step, event, now);
    this.stmt.upsertStep!.run(stepValues(fence.seq, record));
    this.writeLog(fence.seq, [{ type: "WAIT_COMPLETE", stepKey: step.key, data: { type: step.type } }], now);
    return event;
  }

  suspend(fence: Fence, wake: { wakeAt: number | null; waitTypes: string[] }, now: number): void {
    this.check(fence);
    const types = encodeWaitTypes(wake.waitTypes);
    const due = types !== null && this.stmt.anyPendingOf!.get(fence.seq, types) !== undefined;
    const row = this.stmt.suspend!.get({ wake: due ? now : wake.wakeAt, types, now, seq: fence.seq }) as Row;
    const entry: LogInput =
      row.status === "paused"
        ? { type: "WORKFLOW_PAUSED" }
        : { type: "WORKFLOW_WAITING", data: { wakeAt: wake.wakeAt, waitTypes: wake.waitTypes } };
    this.writeLog(fence.seq, [entry], now);
  }

  settlePause(fence: Fence, now: number): void {
    this.check(fence);
    if (this.stmt.settlePause!.run(now, now, fence.seq).changes > 0) {
      this.writeLog(fence.seq, [{ type: "WORKFLOW_PAUSED" }], now);
    }
  }

  finish(fence: Fence, result: FinishResult, now: number): void {
    this.check(fence);
    this.stmt.finish!.run({
      seq: fence.seq,
      now,
      status: result.status,
      output: result.status === "complete" ? result.output : null,
      error: result.status === "errored" ? JSON.stringify(result.error) : null,
    });
    const type =
      result.status === "complete"
        ? "WORKFLOW_SUCCESS"
        : result.status === "errored"
          ? "WORKFLOW_FAILURE"
          : "WORKFLOW_TERMINATED";
    this.writeLog(
      fence.seq,
      [{ type, data: result.status === "errored" ? { error: result.error } : null }],
      now,
    );
  }

  appendStreamChunks(fence: Fence, key: string, chunks: Uint8Array[], _now: number): void {
    this.check(fence);
    for (const chunk of chunks) this.stmt.appendChunk!.run(fence.seq, key, fence.seq, key, chunk);
  }

  discardStreamChunks(fence: Fence, key: string, _now: number): void {
    this.check(fence);
    this.stmt.discardChunks!.run(fence.seq, key);
  }

  private find(workflow: string, id: string): Row | undefined {
    return this.stmt.byId!.get(workflow, id) as Row | undefined;
  }

  sendEvent(
    workflow: string,
    id: string,
    event: { type: string; payload: Uint8Array },
    now: number,
  ): ControlResult<"sent" | "finished"> {
    const row = this.find(workflow, id);
    if (!row) return { outcome: "not_found" };
    const status = row.status as StoredStatus;
    if (FINISHED_STATUSES.includes(status)) {
      return { outcome: "finished", status };
    }
    const seq = row.seq as number;
    this.stmt.insertEvent!.run(seq, event.type, event.payload, now);
    this.writeLog(seq, [{ type: "EVENT_SENT", data: { type: event.type } }], now);
    const types = row.wait_types as string | null;
    if (status === "waiting" && types?.includes(`,${event.type},`)) this.stmt.wakeNow!.run(now, now, seq);
    return { outcome: "sent", status };
  }

  requestPause(workflow: string, id: string, now: number): ControlResult<"paused" | "pausing" | "noop"> {
    const row = this.find(workflow, id);
    if (!row) return { outcome: "not_found" };
    const seq = row.seq as number;
    switch (row.status) {
      case "queued":
      case "waiting":
        this.stmt.pauseNow!.run(now, now, seq);
        this.writeLog(seq, [{ type: "WORKFLOW_PAUSED" }], now);
        return { outcome: "paused", status: "paused" };
      case "running":
        this.stmt.setStatus!.run("waitingForPause", now, seq);
        return { outcome: "pausing", status: "waitingForPause" };
      default:
        return { outcome: "noop", status: row.status as never };
    }
  }

  resume(workflow: string, id: string, now: number): ControlResult<"resumed" | "unpaused" | "noop"> {
    const row = this.find(workflow, id);
    if (!row) return { outcome: "not_found" };
    const seq = row.seq as number;
    if (row.status === "paused") {
      const pausedFor = Math.max(0, now - ((row.paused_at as number | null) ?? now));
      this.stmt.shiftTimers!.run(pausedFor, seq);
      this.stmt.requeue!.run(now, seq);
      this.writeLog(seq, [{ type: "WORKFLOW_RESUMED", data: { pausedForMs: pausedFor } }], now);
      return { outcome: "resumed", status: "queued" };
    }
    if (row.status === "waitingForPause") {
      this.stmt.setStatus!.run("running", now, seq);
      return { outcome: "unpaused", status: "running" };
    }
    return { outcome: "noop", status: row.status as never };
  }

  terminate(
    workflow: string,
    id: string,
    now: number,
    options?: { rollback?: boolean },
  ): ControlResult<"terminated" | "finished" | "rolling_back"> {
    const row = this.find(workflow, id);
    if (!row) return { outcome: "not_found" };
    const status = row.status as StoredStatus;
    if (FINISHED_STATUSES.includes(status)) {
      return { outcome: "finished", status };
    }
    if (options?.rollback) {
      this.stmt.terminateWithRollback!.run(now, row.seq);
      this.writeLog(row.seq as number, [{ type: "ROLLBACK_START", data: { reason: "terminate" } }], now);
      return { outcome: "rolling_back", status: "running" };
    }
    this.stmt.terminate!.run(now, now, now, row.seq);
    this.writeLog(row.seq as number, [{ type: "WORKFLOW_TERMINATED" }], now);
    return { outcome: "terminated", status: "terminated" };
  }

  restart(workflow: string, id: string, now: number): ControlResult<"restarted"> {
    const row = this.find(workflow, id);
    if (!row) return { outcome: "not_found" };
    const seq = row.seq as number;
    this.stmt.wipeSteps!.run(seq);
    this.stmt.wipeEvents!.run(seq);
    this.stmt.wipeLog!.run(seq);
    this.stmt.wipeChunks!.run(seq);
    this.stmt.restart!.run(now, seq);
    this.writeLog(seq, [{ type: "WORKFLOW_RESTARTED" }, { type: "WORKFLOW_QUEUED" }], now);
    return { outcome: "restarted", status: "queued" };
  }

  restartFrom(
    workflow: string,
    id: string,
    target: { kind: string; name: string; count: number },
    now: number,
  ): ControlResult<"restarted" | "step_not_found"> {
    const row = this.find(workflow, id);
    if (!row) return { outcome: "not_found" };
    const seq = row.seq as number;
    const steps = this.stmt.stepsFrom!.all(seq) as Row[];
    const at = steps.findIndex(
      (r) => r.kind === target.kind && r.name === target.name && r.count === target.count,
    );
    if (at < 0) return { outcome: "step_not_found", status: row.status as StoredStatus };
    for (const r of steps.slice(at)) {
      this.stmt.deleteStep!.run(seq, r.key);
      this.stmt.discardChunks!.run(seq, r.key);
      this.stmt.unconsume!.run(seq, r.key);
    }
    this.stmt.restartKeep!.run(now, seq);
    this.writeLog(
      seq,
      [{ type: "WORKFLOW_RESTARTED", data: { from: target } }, { type: "WORKFLOW_QUEUED" }],
      now,
    );
    return { outcome: "restarted", status: "queued" };
  }

  deleteInstances(
    workflow: string,
    ids: string[],
    _now: number,
  ): { id: string; outcome: "deleted" | "not_found" }[] {
    return ids.map((id) => {
      const row = this.find(workflow, id);
      if (!row) return { id, outcome: "not_found" as const };
      this.deleteSeq(row.seq as number);
      return { id, outcome: "deleted" as const };
    });
  }

  advanceSchedule(
    workflow: string,
    cron: string,
    scheduledTime: number,
    instance: NewInstance | null,
    now: number,
  ): boolean {
    const mark = this.stmt.mark!.get(workflow, cron) as { scheduled_time: number } | undefined;
    if (mark && mark.scheduled_time >= scheduledTime) return false;
    this.stmt.setMark!.run(workflow, cron, scheduledTime);
    if (instance) this.createInstances([instance], now);
    return true;
  }

  deleteExpired(now: number, limit: number): number {
    const rows = this.stmt.expired!.all(now, limit) as Row[];
    for (const r of rows) this.deleteSeq(r.seq as number);
    return rows.length;
  }

  private deleteSeq(seq: number): void {
    this.stmt.wipeChunks!.run(seq);
    this.stmt.wipeSteps!.run(seq);
    this.stmt.wipeEvents!.run(seq);
    this.stmt.wipeLog!.run(seq);
    this.stmt.deleteInstance!.run(seq);
  }

  /** Single-process stores only: at open every lease belongs to a dead process. */
  releaseAllLeases(): void {
    this.db
      .prepare(
        "UPDATE instances SET lease_expires_at = 0, lease_owner = NULL WHERE status IN ('running', 'waitingForPause')",
      )
      .run();
  }
}
