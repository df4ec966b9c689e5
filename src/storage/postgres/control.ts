// The transitions any process may perform on any instance, by (workflow, id): create, send an
// event, pause, resume, terminate, restart, and cron schedule marks. Each locks the instance row
// FOR UPDATE, so it is ordered with the runner's fenced writes and with claims, asks lifecycle.ts
// what to do from the status it read, and queues the signals (NOTIFY) the decision names, sent
// when the transaction commits.

import {
  controlResult,
  type Decision,
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
  STORED_STATUSES,
  storeSignals,
} from "../lifecycle.js";
import { logDataText } from "../records.js";
import type {
  ControlResult,
  CreateResult,
  LogInput,
  NewInstance,
  SendEventResult,
  StepKind,
  StoredStatus,
  StoreSignal,
} from "../types.js";
import type { Tables } from "./connection.js";
import { CreateBatches } from "./create-batches.js";
import type { Database, Row, Tx } from "./database.js";
import type { LeaseTime } from "./lease-time.js";
import { logRows, sqlLiteral, statusList } from "./lifecycle-sql.js";
import type { Retention } from "./retention.js";
import { num, toBuffer } from "./rows.js";

/** What control operations read of an instance (locked) before deciding. */
type InstanceHead = {
  seq: number;
  status: StoredStatus;
  waitTypes: string[];
  pausedAt: number | null;
  leaseOwner: string | null;
};

/** Operations by (workflow, id) that any process may perform. */
export class Control {
  private readonly db: Database;
  private readonly signal: (s: StoreSignal) => string;
  private readonly retention: Retention;
  private readonly lease: LeaseTime;
  private readonly sql;
  private readonly creates = new CreateBatches((items, now) => this.createNow(items, now));

  constructor(
    db: Database,
    t: Tables,
    signal: (s: StoreSignal) => string,
    retention: Retention,
    lease: LeaseTime,
  ) {
    this.db = db;
    this.lease = lease;
    this.signal = signal;
    this.retention = retention;
    // Creating is one statement: its status and log entries are built in from the decision.
    const created = decideCreate();
    this.sql = {
      create: `WITH input AS (
          SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::text[], $5::bigint[], $6::bigint[],
              $10::text[], $11::text[], $12::text[])
            WITH ORDINALITY AS i(workflow, id, params, trigger, success_ms, error_ms, affinity, traceparent,
              tracestate, ord)),
        ins AS (
          INSERT INTO ${t.instances} (workflow, id, status, params, trigger, created_at, updated_at,
            success_retention_ms, error_retention_ms, affinity, traceparent, tracestate)
          SELECT workflow, id, ${sqlLiteral(created.status)}, params, trigger, $7, $7, success_ms, error_ms,
            affinity, traceparent, tracestate
          FROM input ORDER BY ord
          ON CONFLICT (workflow, id) DO NOTHING RETURNING seq, workflow, id),
        logged AS (INSERT INTO ${t.log} (instance_seq, at, type, data)
          SELECT ins.seq, $7, e.type, e.data FROM ins, ${logRows(created.log)} ORDER BY ins.seq, e.ord)
        SELECT seq, workflow, id, (SELECT pg_notify($8, $9)) AS notified FROM ins`,
      lock: `SELECT seq, status, wait_types, paused_at, lease_owner FROM ${t.instances}
        WHERE workflow = $1 AND id = $2 FOR UPDATE`,
      setAffinity: `UPDATE ${t.instances} SET affinity = $2 WHERE seq = $1`,
      // The holder's writes are refused from now on (epoch), and the lease has run out: the next
      // claim takes the instance over as an orphan.
      revokeLease: `UPDATE ${t.instances} SET lease_owner = NULL, lease_expires_at = ${lease.now(3)}, epoch = epoch + 1,
          updated_at = $2 WHERE seq = $1`,
      log: `INSERT INTO ${t.log} (instance_seq, at, type, data)
        SELECT $1, $2, e.type, e.data FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS e(type, data, ord)
        ORDER BY e.ord`,
      sendEvent: sendEventStatement(t),
      wakeNow: `UPDATE ${t.instances} SET wake_at = $2, updated_at = $2 WHERE seq = $1`,
      setStatus: `UPDATE ${t.instances} SET status = $2, updated_at = $3 WHERE seq = $1`,
      pauseNow: `UPDATE ${t.instances} SET status = $3, paused_at = $2, wake_at = NULL, wait_types = NULL,
          updated_at = $2 WHERE seq = $1`,
      shiftTimers: `UPDATE ${t.steps} SET wake_at = wake_at + $2
        WHERE instance_seq = $1 AND status IN ('waiting', 'retrying')`,
      requeue: `UPDATE ${t.instances} SET status = $3, paused_at = NULL, updated_at = $2 WHERE seq = $1`,
      terminate: `UPDATE ${t.instances} SET status = $3, ended_at = $2, expires_at = $2 + error_retention_ms,
          lease_owner = NULL, lease_expires_at = NULL, epoch = epoch + 1, wake_at = NULL, wait_types = NULL,
          updated_at = $2 WHERE seq = $1`,
      // No lease and an expiry already passed: claimable at once by any process, which runs the
      // rollbacks and then finishes the instance.
      terminateWithRollback: `UPDATE ${t.instances} SET status = $3, rollback_pending = true,
          lease_owner = NULL, lease_expires_at = 0, epoch = epoch + 1, wake_at = NULL, wait_types = NULL,
          paused_at = NULL, updated_at = $2 WHERE seq = $1`,
      stepsInOrder: `SELECT key, kind, name, count FROM ${t.steps} WHERE instance_seq = $1 ORDER BY start_order, key`,
      dropSteps: `DELETE FROM ${t.steps} WHERE instance_seq = $1 AND key = ANY($2::text[])`,
      dropChunks: `DELETE FROM ${t.chunks} WHERE instance_seq = $1 AND step_key = ANY($2::text[])`,
      unconsume: `UPDATE ${t.events} SET consumed_by = NULL, consumed_at = NULL
        WHERE instance_seq = $1 AND consumed_by = ANY($2::text[])`,
      restart: `UPDATE ${t.instances} SET status = $3, output = NULL, error = NULL, started_at = NULL,
          ended_at = NULL, wake_at = NULL, wait_types = NULL, paused_at = NULL, lease_owner = NULL,
          lease_expires_at = NULL, epoch = epoch + 1, expires_at = NULL, rollback_pending = false,
          updated_at = $2 WHERE seq = $1`,
      // As restart, but started_at stays: the instance has run before and keeps part of its journal.
      restartKeepingStart: `UPDATE ${t.instances} SET status = $3, output = NULL, error = NULL, ended_at = NULL,
          wake_at = NULL, wait_types = NULL, paused_at = NULL, lease_owner = NULL, lease_expires_at = NULL,
          epoch = epoch + 1, expires_at = NULL, rollback_pending = false, updated_at = $2 WHERE seq = $1`,
      mark: `SELECT scheduled_time FROM ${t.marks} WHERE workflow = $1 AND cron = $2`,
      advanceMark: `INSERT INTO ${t.marks} AS m (workflow, cron, scheduled_time) VALUES ($1, $2, $3)
        ON CONFLICT (workflow, cron) DO UPDATE SET scheduled_time = excluded.scheduled_time
        WHERE m.scheduled_time < excluded.scheduled_time RETURNING 1`,
    };
  }

  /**
   * Creates instances; an id that exists in its workflow is not created. Calls made while others
   * are in flight share a statement (create-batches.ts).
   */
  async createInstances(items: NewInstance[], now: number): Promise<CreateResult[]> {
    if (items.length === 0) return [];
    return this.creates.create(items, now);
  }

  /** Creates instances in one statement. */
  private async createNow(items: NewInstance[], now: number): Promise<CreateResult[]> {
    const rows = await this.db.write("creating instances", this.sql.create, this.createArgs(items, now));
    return createResults(items, rows);
  }

  private createArgs(items: NewInstance[], now: number): unknown[] {
    // The statement sends one NOTIFY: the decision's signal (a wake: any process may claim it).
    const [signal] = storeSignals(decideCreate().signals);
    return [
      items.map((i) => i.workflow),
      items.map((i) => i.id),
      items.map((i) => toBuffer(i.params)),
      items.map((i) => i.trigger),
      items.map((i) => i.successRetentionMs),
      items.map((i) => i.errorRetentionMs),
      now,
      // The channel and payload for `pg_notify` in a statement that is not a Tx.
      this.db.channel,
      this.signal(signal ?? { kind: "wake" }),
      items.map((i) => i.affinity ?? null),
      items.map((i) => i.traceContext?.traceparent ?? null),
      items.map((i) => i.traceContext?.tracestate ?? null),
    ];
  }

  /**
   * A transition a caller asked for: a COMMIT whose reply is lost is looked into rather than
   * reported as not done, since repeating it is not harmless (a second event is a second event).
   */
  private confirmed<T>(what: string, body: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.tx(what, body, { confirmCommit: true });
  }

  /** Locks the instance row and reads what a decision needs. */
  private async lockInstance(tx: Tx, workflow: string, id: string): Promise<InstanceHead | undefined> {
    const [row] = await tx.query(this.sql.lock, [workflow, id]);
    if (!row) return undefined;
    return {
      seq: num(row.seq),
      status: row.status as StoredStatus,
      waitTypes: (row.wait_types as string[] | null) ?? [],
      pausedAt: row.paused_at === null ? null : num(row.paused_at),
      leaseOwner: (row.lease_owner as string | null) ?? null,
    };
  }

  /** Writes a decision's log entries and queues its signals. */
  private async apply(
    tx: Tx,
    seq: number,
    d: Decision<string>,
    instance: { workflow: string; id: string; type?: string },
    now: number,
  ): Promise<void> {
    if (d.log.length > 0) await this.log(tx, seq, now, d.log);
    for (const signal of storeSignals(d.signals, instance)) tx.notify(this.signal(signal));
  }

  private async log(tx: Tx, seq: number, now: number, entries: LogInput[]): Promise<void> {
    await tx.query(this.sql.log, [seq, now, entries.map((e) => e.type), entries.map(logDataText)]);
  }

  /**
   * Buffers an event and makes the instance due if it waits for the event's type: one statement
   * (see sendEventStatement) between the transaction's start and its commit. Reports the seq of an
   * instance it made due, for the caller to claim just that one.
   */
  sendEvent(
    workflow: string,
    id: string,
    event: { type: string; payload: Uint8Array },
    now: number,
  ): Promise<SendEventResult> {
    return this.confirmed("sending an event", async (tx) => {
      // Every accepted status logs and signals alike (checked where the statement is built).
      const accepted = decideSendEvent("queued", event.type, false);
      const signals = storeSignals(accepted.signals, { workflow, id, type: event.type }).map(this.signal);
      const [row] = await tx.query(this.sql.sendEvent, [
        workflow,
        id,
        event.type,
        toBuffer(event.payload),
        now,
        accepted.log.map((e) => e.type),
        accepted.log.map(logDataText),
        this.db.channel,
        signals,
      ]);
      if (!row) return { outcome: "not_found" };
      const d = decideSendEvent(row.status as StoredStatus, event.type, row.wake === true);
      if (d.outcome !== "sent") return controlResult(d);
      return d.wake ? { ...controlResult(d), woken: num(row.seq) } : controlResult(d);
    });
  }

  /** Sets the affinity; revokes a lease another owner holds (see Store.setAffinity). */
  setAffinity(
    workflow: string,
    id: string,
    owner: string | null,
    now: number,
  ): Promise<ControlResult<"set" | "revoked">> {
    return this.db.tx("setting an instance's affinity", async (tx) => {
      const row = await this.lockInstance(tx, workflow, id);
      if (!row) return { outcome: "not_found" };
      const d = decideAffinity(row.status, row.leaseOwner !== null && row.leaseOwner !== owner);
      await tx.query(this.sql.setAffinity, [row.seq, owner]);
      if (d.outcome === "revoked")
        await tx.query(this.sql.revokeLease, [row.seq, now, ...this.lease.args(now)]);
      await this.apply(tx, row.seq, d, { workflow, id }, now);
      return controlResult(d);
    });
  }

  /** Makes a waiting instance due now. */
  wake(workflow: string, id: string, now: number): Promise<ControlResult<"woken" | "noop">> {
    return this.db.tx("waking an instance", async (tx) => {
      const row = await this.lockInstance(tx, workflow, id);
      if (!row) return { outcome: "not_found" };
      const d = decideWake(row.status);
      if (d.outcome === "woken") await tx.query(this.sql.wakeNow, [row.seq, now]);
      await this.apply(tx, row.seq, d, { workflow, id }, now);
      return controlResult(d);
    });
  }

  /** Pauses a queued or waiting instance now; asks a running one's runner to pause. */
  requestPause(
    workflow: string,
    id: string,
    now: number,
  ): Promise<ControlResult<"paused" | "pausing" | "noop">> {
    return this.confirmed("pausing an instance", async (tx) => {
      const row = await this.lockInstance(tx, workflow, id);
      if (!row) return { outcome: "not_found" };
      const d = decidePause(row.status);
      if (d.outcome === "paused") await tx.query(this.sql.pauseNow, [row.seq, now, d.status]);
      else if (d.outcome === "pausing") await tx.query(this.sql.setStatus, [row.seq, d.status, now]);
      await this.apply(tx, row.seq, d, { workflow, id }, now);
      return controlResult(d);
    });
  }

  /** Queues a paused instance again (timers shifted by the paused time), or calls off a pending pause. */
  resume(workflow: string, id: string, now: number): Promise<ControlResult<"resumed" | "unpaused" | "noop">> {
    return this.confirmed("resuming an instance", async (tx) => {
      const row = await this.lockInstance(tx, workflow, id);
      if (!row) return { outcome: "not_found" };
      const pausedFor = pausedForMs(row.pausedAt, now);
      const d = decideResume(row.status, pausedFor);
      if (d.outcome === "resumed") {
        await tx.query(this.sql.shiftTimers, [row.seq, pausedFor]);
        await tx.query(this.sql.requeue, [row.seq, now, d.status]);
      } else if (d.outcome === "unpaused") {
        await tx.query(this.sql.setStatus, [row.seq, d.status, now]);
      }
      await this.apply(tx, row.seq, d, { workflow, id }, now);
      return controlResult(d);
    });
  }

  /** Terminates an unfinished instance now, or hands it to a runner that rolls back first. */
  terminate(
    workflow: string,
    id: string,
    now: number,
    options?: { rollback?: boolean },
  ): Promise<ControlResult<"terminated" | "finished" | "rolling_back">> {
    return this.confirmed("terminating an instance", async (tx) => {
      const row = await this.lockInstance(tx, workflow, id);
      if (!row) return { outcome: "not_found" };
      const d = decideTerminate(row.status, options?.rollback === true);
      if (d.outcome === "rolling_back")
        await tx.query(this.sql.terminateWithRollback, [row.seq, now, d.status]);
      else if (d.outcome === "terminated") await tx.query(this.sql.terminate, [row.seq, now, d.status]);
      await this.apply(tx, row.seq, d, { workflow, id }, now);
      return controlResult(d);
    });
  }

  /** Erases journal, inbox and log and queues the instance again. */
  restart(workflow: string, id: string, now: number): Promise<ControlResult<"restarted">> {
    return this.confirmed("restarting an instance", async (tx) => {
      const row = await this.lockInstance(tx, workflow, id);
      if (!row) return { outcome: "not_found" };
      const d = decideRestart(row.status);
      await this.retention.eraseHistory(tx, [row.seq]);
      await tx.query(this.sql.restart, [row.seq, now, d.status]);
      await this.apply(tx, row.seq, d, { workflow, id }, now);
      return controlResult(d);
    });
  }

  /** Erases the target step and every step started after it, and queues the instance again. */
  restartFrom(
    workflow: string,
    id: string,
    target: { kind: StepKind; name: string; count: number },
    now: number,
  ): Promise<ControlResult<"restarted" | "step_not_found">> {
    return this.confirmed("restarting an instance from a step", async (tx) => {
      const row = await this.lockInstance(tx, workflow, id);
      if (!row) return { outcome: "not_found" };
      const steps = await tx.query(this.sql.stepsInOrder, [row.seq]);
      const at = steps.findIndex(
        (r) => r.kind === target.kind && r.name === target.name && num(r.count) === target.count,
      );
      const d = decideRestartFrom(row.status, target, at >= 0);
      if (d.outcome === "step_not_found") return controlResult(d);
      const keys = steps.slice(at).map((r) => r.key as string);
      await tx.query(this.sql.dropSteps, [row.seq, keys]);
      await tx.query(this.sql.dropChunks, [row.seq, keys]);
      // The events their waits took are buffered again, for the rerun to take.
      await tx.query(this.sql.unconsume, [row.seq, keys]);
      await tx.query(this.sql.restartKeepingStart, [row.seq, now, d.status]);
      await this.apply(tx, row.seq, d, { workflow, id }, now);
      return controlResult(d);
    });
  }

  /** Moves the cron mark forward and creates the scheduled instance in the same transaction. */
  advanceSchedule(
    workflow: string,
    cron: string,
    scheduledTime: number,
    instance: NewInstance | null,
    now: number,
  ): Promise<boolean> {
    return this.db.tx("advancing a cron schedule", async (tx) => {
      const moved = await tx.query(this.sql.advanceMark, [workflow, cron, scheduledTime]);
      if (moved.length === 0) return false;
      if (instance) await tx.query(this.sql.create, this.createArgs([instance], now));
      return true;
    });
  }

  /** The last scheduled time fired for (workflow, cron). */
  async scheduleMark(workflow: string, cron: string): Promise<number | null> {
    const [row] = await this.db.read("reading a cron schedule mark", this.sql.mark, [workflow, cron]);
    return row ? num(row.scheduled_time) : null;
  }
}

/**
 * Sending an event as one statement: it locks the instance, buffers the event and logs it when
 * the instance's status accepts events, makes the instance due when it waits for the type, and
 * queues the decision's NOTIFYs ($9 on channel $8, sent at commit). Which statuses accept and
 * which wake come from decideSendEvent, asked here for every status, so lifecycle.ts stays the
 * one place that decides; the row returned (none: no such instance) lets the caller decide again
 * from the same status, for its result.
 */
function sendEventStatement(t: Tables): string {
  const sample = decideSendEvent("queued", "sample", false);
  const accepting = STORED_STATUSES.filter((s) => decideSendEvent(s, "sample", false).outcome === "sent");
  const waking = STORED_STATUSES.filter((s) => decideSendEvent(s, "sample", true).wake);
  for (const s of accepting) {
    const d = decideSendEvent(s, "sample", false);
    const same =
      JSON.stringify(d.log) === JSON.stringify(sample.log) &&
      JSON.stringify(d.signals) === JSON.stringify(sample.signals);
    if (!same)
      throw new Error(`sendEvent logs or signals differently from status ${s}: one statement cannot say it`);
  }
  return `WITH i AS (
      SELECT seq, status, $3 = ANY(coalesce(wait_types, '{}')) AS awaited FROM ${t.instances}
      WHERE workflow = $1 AND id = $2 FOR UPDATE),
    d AS (SELECT seq, status, status IN (${statusList(accepting)}) AS sent,
        status IN (${statusList(waking)}) AND awaited AS wake FROM i),
    ev AS (INSERT INTO ${t.events} (instance_seq, type, payload, sent_at)
      SELECT seq, $3, $4, $5 FROM d WHERE sent),
    woke AS (UPDATE ${t.instances} AS x SET wake_at = $5, updated_at = $5 FROM d WHERE x.seq = d.seq AND d.wake),
    logged AS (INSERT INTO ${t.log} (instance_seq, at, type, data)
      SELECT d.seq, $5, e.type, e.data FROM d, unnest($6::text[], $7::text[]) WITH ORDINALITY AS e(type, data, ord)
      WHERE d.sent ORDER BY e.ord)
    SELECT seq, status, wake,
      CASE WHEN sent THEN (SELECT count(pg_notify($8, p)) FROM unnest($9::text[]) AS p) END AS notified
    FROM d`;
}

/** Which items a create statement inserted: the first of each (workflow, id) it returned. */
function createResults(items: NewInstance[], rows: Row[]): CreateResult[] {
  const created = new Map<string, number>(rows.map((r) => [key(r.workflow, r.id), num(r.seq)]));
  return items.map((item) => {
    const k = key(item.workflow, item.id);
    const seq = created.get(k);
    if (seq === undefined) return { id: item.id, created: false };
    created.delete(k); // a later duplicate in the same batch was not created
    return { id: item.id, created: true, seq };
  });
}

function key(workflow: string, id: string): string {
  return `${workflow}\u0000${id}`;
}
