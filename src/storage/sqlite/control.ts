// The operations any caller may perform on an instance by (workflow, id), run on the writer
// thread: create, send an event, pause, resume, terminate, restart, delete, and cron schedule
// marks. lifecycle.ts decides each outcome from the instance's status; this file writes it.

import type Database from "better-sqlite3";
import {
  controlResult,
  decideAffinity,
  decideCreate,
  decidePause,
  decideRestart,
  decideRestartFrom,
  decideResume,
  decideSendEvent,
  decideTerminate,
  decideWake,
  pausedForMs,
} from "../lifecycle.js";
import type { ControlResult, CreateResult, NewInstance, StepKind, StoredStatus } from "../types.js";
import type { LogWriter } from "./log-writer.js";
import type { SqliteRetention } from "./retention.js";
import { prepareAll } from "./statements.js";

/** What control operations read of an instance before deciding. */
type InstanceHead = {
  seq: number;
  status: StoredStatus;
  wait_types: string | null;
  paused_at: number | null;
  lease_owner: string | null;
};

type StepHead = { key: string; kind: string; name: string; count: number };

/** Control operations by (workflow, id). */
export class SqliteControl {
  private readonly log: LogWriter;
  private readonly retention: SqliteRetention;
  private readonly stmt;

  constructor(db: Database.Database, log: LogWriter, retention: SqliteRetention) {
    this.log = log;
    this.retention = retention;
    this.stmt = prepareAll(db, {
      insertInstance: `INSERT INTO instances (workflow, id, status, params, trigger, created_at, updated_at,
           success_retention_ms, error_retention_ms, affinity, traceparent, tracestate)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (workflow, id) DO NOTHING`,
      byId: "SELECT seq, status, wait_types, paused_at, lease_owner FROM instances WHERE workflow = ? AND id = ?",
      setAffinity: "UPDATE instances SET affinity = ? WHERE seq = ?",
      // The holder's writes are refused from now on (epoch), and the lease has run out: the next
      // claim takes the instance over as an orphan.
      revokeLease: `UPDATE instances SET lease_owner = NULL, lease_expires_at = ?, epoch = epoch + 1, updated_at = ?
         WHERE seq = ?`,
      insertEvent: "INSERT INTO events (instance_seq, type, payload, sent_at) VALUES (?, ?, ?, ?)",
      wakeNow: "UPDATE instances SET wake_at = ?, updated_at = ? WHERE seq = ?",
      setStatus: "UPDATE instances SET status = ?, updated_at = ? WHERE seq = ?",
      pauseNow: `UPDATE instances SET status = ?, paused_at = ?, wake_at = NULL, wait_types = NULL, updated_at = ?
         WHERE seq = ?`,
      shiftTimers:
        "UPDATE steps SET wake_at = wake_at + ? WHERE instance_seq = ? AND status IN ('waiting', 'retrying')",
      requeue: "UPDATE instances SET status = ?, paused_at = NULL, updated_at = ? WHERE seq = ?",
      terminate: `UPDATE instances SET status = ?, ended_at = ?, expires_at = ? + error_retention_ms,
           lease_owner = NULL, lease_expires_at = NULL, epoch = epoch + 1, wake_at = NULL, wait_types = NULL,
           updated_at = ? WHERE seq = ?`,
      // No lease and an expiry already passed: claimable at once, by the first claim.
      terminateWithRollback: `UPDATE instances SET status = ?, rollback_pending = 1, lease_owner = NULL,
           lease_expires_at = 0, epoch = epoch + 1, wake_at = NULL, wait_types = NULL, paused_at = NULL, updated_at = ?
         WHERE seq = ?`,
      restart: `UPDATE instances SET status = ?, output = NULL, error = NULL, started_at = NULL, ended_at = NULL,
           wake_at = NULL, wait_types = NULL, paused_at = NULL, lease_owner = NULL, lease_expires_at = NULL,
           epoch = epoch + 1, expires_at = NULL, rollback_pending = 0, updated_at = ? WHERE seq = ?`,
      // As restart, but started_at stays: the instance has run before and keeps part of its journal.
      restartKeepingStart: `UPDATE instances SET status = ?, output = NULL, error = NULL, ended_at = NULL,
           wake_at = NULL, wait_types = NULL, paused_at = NULL, lease_owner = NULL, lease_expires_at = NULL,
           epoch = epoch + 1, expires_at = NULL, rollback_pending = 0, updated_at = ? WHERE seq = ?`,
      stepsInOrder:
        "SELECT key, kind, name, count FROM steps WHERE instance_seq = ? ORDER BY start_order, key",
      deleteStep: "DELETE FROM steps WHERE instance_seq = ? AND key = ?",
      discardChunks: "DELETE FROM stream_chunks WHERE instance_seq = ? AND step_key = ?",
      unconsume:
        "UPDATE events SET consumed_by = NULL, consumed_at = NULL WHERE instance_seq = ? AND consumed_by = ?",
      mark: "SELECT scheduled_time FROM schedule_marks WHERE workflow = ? AND cron = ?",
      setMark: `INSERT INTO schedule_marks (workflow, cron, scheduled_time) VALUES (?, ?, ?)
         ON CONFLICT (workflow, cron) DO UPDATE SET scheduled_time = excluded.scheduled_time`,
    });
    this.stmt.mark.pluck();
  }

  private findInstance(workflow: string, id: string): InstanceHead | undefined {
    return this.stmt.byId.get(workflow, id) as InstanceHead | undefined;
  }

  /** Creates instances; an id that exists in its workflow is reported as not created. */
  createInstances(items: NewInstance[], now: number): CreateResult[] {
    const d = decideCreate();
    return items.map((item) => {
      const info = this.stmt.insertInstance.run(
        item.workflow,
        item.id,
        d.status,
        item.params,
        item.trigger,
        now,
        now,
        item.successRetentionMs,
        item.errorRetentionMs,
        item.affinity ?? null,
        item.traceContext?.traceparent ?? null,
        item.traceContext?.tracestate ?? null,
      );
      if (info.changes === 0) return { id: item.id, created: false };
      const seq = Number(info.lastInsertRowid);
      this.log.write(seq, d.log, now);
      return { id: item.id, created: true, seq };
    });
  }

  /** Buffers an event and makes the instance due if it waits for the event's type. */
  sendEvent(
    workflow: string,
    id: string,
    event: { type: string; payload: Uint8Array },
    now: number,
  ): ControlResult<"sent" | "finished"> {
    const row = this.findInstance(workflow, id);
    if (!row) return { outcome: "not_found" };
    const awaited = row.wait_types?.includes(`,${event.type},`) === true;
    const d = decideSendEvent(row.status, event.type, awaited);
    if (d.outcome === "sent") {
      this.stmt.insertEvent.run(row.seq, event.type, event.payload, now);
      this.log.write(row.seq, d.log, now);
      if (d.wake) this.stmt.wakeNow.run(now, now, row.seq);
    }
    return controlResult(d);
  }

  /** Sets the affinity; revokes a lease another owner holds (see Store.setAffinity). */
  setAffinity(
    workflow: string,
    id: string,
    owner: string | null,
    now: number,
  ): ControlResult<"set" | "revoked"> {
    const row = this.findInstance(workflow, id);
    if (!row) return { outcome: "not_found" };
    const d = decideAffinity(row.status, row.lease_owner !== null && row.lease_owner !== owner);
    this.stmt.setAffinity.run(owner, row.seq);
    if (d.outcome === "revoked") this.stmt.revokeLease.run(now, now, row.seq);
    return controlResult(d);
  }

  /** Makes a waiting instance due now. */
  wake(workflow: string, id: string, now: number): ControlResult<"woken" | "noop"> {
    const row = this.findInstance(workflow, id);
    if (!row) return { outcome: "not_found" };
    const d = decideWake(row.status);
    if (d.outcome === "woken") this.stmt.wakeNow.run(now, now, row.seq);
    return controlResult(d);
  }

  /** Pauses a queued or waiting instance now; asks a running one's runner to pause. */
  requestPause(workflow: string, id: string, now: number): ControlResult<"paused" | "pausing" | "noop"> {
    const row = this.findInstance(workflow, id);
    if (!row) return { outcome: "not_found" };
    const d = decidePause(row.status);
    if (d.outcome === "paused") this.stmt.pauseNow.run(d.status, now, now, row.seq);
    else if (d.outcome === "pausing") this.stmt.setStatus.run(d.status, now, row.seq);
    this.log.write(row.seq, d.log, now);
    return controlResult(d);
  }

  /** Queues a paused instance again (timers shifted by the paused time), or calls off a pending pause. */
  resume(workflow: string, id: string, now: number): ControlResult<"resumed" | "unpaused" | "noop"> {
    const row = this.findInstance(workflow, id);
    if (!row) return { outcome: "not_found" };
    const pausedFor = pausedForMs(row.paused_at, now);
    const d = decideResume(row.status, pausedFor);
    if (d.outcome === "resumed") {
      this.stmt.shiftTimers.run(pausedFor, row.seq);
      this.stmt.requeue.run(d.status, now, row.seq);
    } else if (d.outcome === "unpaused") {
      this.stmt.setStatus.run(d.status, now, row.seq);
    }
    this.log.write(row.seq, d.log, now);
    return controlResult(d);
  }

  /** Terminates an unfinished instance now, or hands it to a runner that rolls back first. */
  terminate(
    workflow: string,
    id: string,
    now: number,
    options?: { rollback?: boolean },
  ): ControlResult<"terminated" | "finished" | "rolling_back"> {
    const row = this.findInstance(workflow, id);
    if (!row) return { outcome: "not_found" };
    const d = decideTerminate(row.status, options?.rollback === true);
    if (d.outcome === "rolling_back") this.stmt.terminateWithRollback.run(d.status, now, row.seq);
    else if (d.outcome === "terminated") this.stmt.terminate.run(d.status, now, now, now, row.seq);
    this.log.write(row.seq, d.log, now);
    return controlResult(d);
  }

  /** Erases journal, inbox and log and queues the instance again. */
  restart(workflow: string, id: string, now: number): ControlResult<"restarted"> {
    const row = this.findInstance(workflow, id);
    if (!row) return { outcome: "not_found" };
    const d = decideRestart(row.status);
    this.retention.eraseHistory(row.seq);
    this.stmt.restart.run(d.status, now, row.seq);
    this.log.write(row.seq, d.log, now);
    return controlResult(d);
  }

  /** Erases the target step and every step started after it, and queues the instance again. */
  restartFrom(
    workflow: string,
    id: string,
    target: { kind: StepKind; name: string; count: number },
    now: number,
  ): ControlResult<"restarted" | "step_not_found"> {
    const row = this.findInstance(workflow, id);
    if (!row) return { outcome: "not_found" };
    const steps = this.stmt.stepsInOrder.all(row.seq) as StepHead[];
    const at = steps.findIndex(
      (s) => s.kind === target.kind && s.name === target.name && s.count === target.count,
    );
    const d = decideRestartFrom(row.status, target, at >= 0);
    if (d.outcome === "step_not_found") return controlResult(d);
    for (const step of steps.slice(at)) {
      this.stmt.deleteStep.run(row.seq, step.key);
      this.stmt.discardChunks.run(row.seq, step.key);
      // The events its waits took are buffered again, for the rerun to take.
      this.stmt.unconsume.run(row.seq, step.key);
    }
    this.stmt.restartKeepingStart.run(d.status, now, row.seq);
    this.log.write(row.seq, d.log, now);
    return controlResult(d);
  }

  /** Deletes instances with everything they recorded, whatever their status. */
  deleteInstances(
    workflow: string,
    ids: string[],
    now: number,
  ): { id: string; outcome: "deleted" | "not_found" }[] {
    return ids.map((id) => {
      const row = this.findInstance(workflow, id);
      if (!row) return { id, outcome: "not_found" as const };
      this.retention.deleteInstance(row.seq, now);
      return { id, outcome: "deleted" as const };
    });
  }

  /** Moves the mark of (workflow, cron) forward and creates the scheduled instance, if later. */
  advanceSchedule(
    workflow: string,
    cron: string,
    scheduledTime: number,
    instance: NewInstance | null,
    now: number,
  ): boolean {
    const mark = this.stmt.mark.get(workflow, cron) as number | undefined;
    if (mark !== undefined && mark >= scheduledTime) return false;
    this.stmt.setMark.run(workflow, cron, scheduledTime);
    if (instance) this.createInstances([instance], now);
    return true;
  }
}
