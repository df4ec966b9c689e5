// The runner's writes on PostgreSQL, each fenced by the lease epoch: the instance row is locked
// (FOR SHARE for journal writes, FOR UPDATE when the row changes) and its epoch compared in the
// same transaction, so a write racing a takeover or a terminate either lands before it or is
// refused with StaleLeaseError. The hot writes are one statement each, a single round trip, and
// the step records of many instances written in one turn share one statement.

import { StaleLeaseError } from "../../errors.js";
import type { EventRecord, Fence, FinishResult, LogInput, LogType, StepRecord } from "../types.js";
import type { Tables } from "./connection.js";
import type { Database, Tx } from "./database.js";
import { num, stepValues, toBuffer } from "./rows.js";

type StepRef = { key: string; name: string; count: number; startedAt: number; type: string };

/** Log entries as the four parallel arrays the statements unnest. */
function logArrays(entries: LogInput[]): unknown[] {
  return [
    entries.map((e) => e.at ?? null),
    entries.map((e) => e.type),
    entries.map((e) => e.stepKey ?? null),
    entries.map((e) => e.attempt ?? null),
    entries.map((e) => (e.data ? JSON.stringify(e.data) : null)),
  ];
}

/** SQL types of the values stepValues returns, in its order. */
const STEP_TYPES = [
  ...["text", "text", "text", "int", "text", "int", "bytea", "text", "text", "text", "text"],
  ...["bigint", "bigint", "bigint", "boolean", "int", "boolean"],
];

/** The steps columns stepValues fills, in its order (after instance_seq). */
const STEP_COLUMNS = [
  ...["key", "kind", "name", "count", "status", "attempts", "value", "error", "config", "event"],
  ...["event_type", "started_at", "ended_at", "wake_at", "has_rollback", "start_order", "stream"],
];

/** The step columns as typed array parameters from $first on. */
const arrays = (first: number) => STEP_TYPES.map((type, i) => `$${first + i}::${type}[]`).join(", ");

type PendingStep = {
  fence: Fence;
  record: StepRecord;
  log: LogInput[];
  now: number;
  resolve: () => void;
  reject: (error: unknown) => void;
};

const FINISH_LOG: Record<FinishResult["status"], LogType> = {
  complete: "WORKFLOW_SUCCESS",
  errored: "WORKFLOW_FAILURE",
  terminated: "WORKFLOW_TERMINATED",
};

function stale(fence: Fence): StaleLeaseError {
  return new StaleLeaseError(String(fence.seq), fence.epoch);
}

export class FencedWrites {
  private readonly db: Database;
  private readonly sql: Record<string, string>;
  private readonly wakeSignal: () => string;
  private pendingSteps: PendingStep[] = [];

  constructor(db: Database, t: Tables, wakeSignal: () => string) {
    this.db = db;
    this.wakeSignal = wakeSignal;
    const fenceShare = `SELECT seq FROM ${t.instances} WHERE seq = $1 AND epoch = $2 FOR SHARE`;
    const upsertSet = `ON CONFLICT (instance_seq, key) DO UPDATE SET status = excluded.status,
      attempts = excluded.attempts, value = excluded.value, error = excluded.error,
      config = coalesce(st.config, excluded.config), event = excluded.event,
      event_type = excluded.event_type, ended_at = excluded.ended_at, wake_at = excluded.wake_at,
      has_rollback = st.has_rollback OR excluded.has_rollback, stream = excluded.stream`;
    const columns = `instance_seq, key, kind, name, count, status, attempts, value, error, config, event,
      event_type, started_at, ended_at, wake_at, has_rollback, start_order, stream`;
    // The record's columns (see stepValues) as typed parameters from $first on.
    const typed = (first: number) => STEP_TYPES.map((type, i) => `$${first + i}::${type}`).join(", ");
    const afterStep = 3 + STEP_TYPES.length;
    const logFrom = (first: number) =>
      `unnest($${first}::bigint[], $${first + 1}::text[], $${first + 2}::text[], $${first + 3}::int[],
          $${first + 4}::text[])
        WITH ORDINALITY AS e(at, type, step_key, attempt, data, ord)`;
    this.sql = {
      recordStep: `WITH f AS (${fenceShare}),
        s AS (INSERT INTO ${t.steps} AS st (${columns}) SELECT f.seq, ${typed(3)} FROM f ${upsertSet}),
        l AS (INSERT INTO ${t.log} (instance_seq, at, type, step_key, attempt, data)
          SELECT f.seq, coalesce(e.at, $${afterStep}), e.type, e.step_key, e.attempt, e.data
          FROM f, ${logFrom(afterStep + 1)} ORDER BY e.ord)
        SELECT count(*)::int AS n FROM f`,
      appendLog: `WITH f AS (${fenceShare}),
        l AS (INSERT INTO ${t.log} (instance_seq, at, type, step_key, attempt, data)
          SELECT f.seq, coalesce(e.at, $3), e.type, e.step_key, e.attempt, e.data FROM f, ${logFrom(4)}
          ORDER BY e.ord)
        SELECT count(*)::int AS n FROM f`,
      upsertStep: `INSERT INTO ${t.steps} AS st (${columns}) VALUES ($1, ${typed(2)}) ${upsertSet}`,
      log: `INSERT INTO ${t.log} (instance_seq, at, type, step_key, attempt, data)
        SELECT $1, coalesce(e.at, $2), e.type, e.step_key, e.attempt, e.data FROM ${logFrom(3)} ORDER BY e.ord`,
      fenceShare,
      fenceUpdate: `SELECT status FROM ${t.instances} WHERE seq = $1 AND epoch = $2 FOR UPDATE`,
      // One statement (one round trip): fence, the oldest pending event of the type (locked),
      // its consumption, the step's record (as receivedEventRecord builds it) and the log entry.
      consumeEvent: `WITH f AS (${fenceShare}),
        e AS (SELECT ev.seq, ev.type, ev.payload, ev.sent_at FROM ${t.events} ev JOIN f ON ev.instance_seq = f.seq
          WHERE ev.type = $3 AND ev.consumed_by IS NULL ORDER BY ev.seq LIMIT 1 FOR UPDATE OF ev),
        c AS (UPDATE ${t.events} SET consumed_by = $4, consumed_at = $5 FROM e WHERE ${t.events}.seq = e.seq),
        s AS (INSERT INTO ${t.steps} AS st (${columns})
          SELECT f.seq, $4, 'waitForEvent', $6, $7::int, 'succeeded', 1, e.payload, NULL, NULL,
            json_build_object('type', e.type, 'sentAt', e.sent_at)::text, NULL, $8::bigint, $5::bigint, NULL,
            false, 0, false
          FROM f, e ${upsertSet}),
        l AS (INSERT INTO ${t.log} (instance_seq, at, type, step_key, data) SELECT f.seq, $5, 'WAIT_COMPLETE', $4, $9
          FROM f, e)
        SELECT (SELECT count(*) FROM f)::int AS n, e.seq, e.type, e.payload, e.sent_at
        FROM (SELECT 1) AS one LEFT JOIN e ON true`,
      anyPendingOf: `SELECT 1 FROM ${t.events}
        WHERE instance_seq = $1 AND consumed_by IS NULL AND type = ANY($2::text[]) LIMIT 1`,
      suspend: `UPDATE ${t.instances} SET
          status = CASE WHEN status = 'waitingForPause' THEN 'paused' ELSE 'waiting' END,
          paused_at = CASE WHEN status = 'waitingForPause' THEN $2::bigint END,
          wake_at = CASE WHEN status = 'waitingForPause' THEN NULL ELSE $3::bigint END,
          wait_types = CASE WHEN status = 'waitingForPause' THEN NULL ELSE $4::text[] END,
          lease_owner = NULL, lease_expires_at = NULL, updated_at = $2
        WHERE seq = $1 RETURNING status`,
      // One statement each (one round trip): the epoch is checked by the UPDATE itself, and the
      // log entry is written from what the UPDATE returns. `n` is 0 when the fence is stale.
      settlePause: `WITH f AS (SELECT seq FROM ${t.instances} WHERE seq = $1 AND epoch = $2 FOR UPDATE),
        u AS (UPDATE ${t.instances} SET status = 'paused', paused_at = $3, lease_owner = NULL,
            lease_expires_at = NULL, updated_at = $3
          WHERE seq = $1 AND epoch = $2 AND status = 'waitingForPause' RETURNING seq),
        l AS (INSERT INTO ${t.log} (instance_seq, at, type) SELECT u.seq, $3, 'WORKFLOW_PAUSED' FROM u)
        SELECT count(*)::int AS n FROM f`,
      finish: `WITH u AS (UPDATE ${t.instances} SET status = $4, output = $5, error = $6, ended_at = $3,
            expires_at = $3 + CASE WHEN $4 = 'complete' THEN success_retention_ms ELSE error_retention_ms END,
            lease_owner = NULL, lease_expires_at = NULL, wake_at = NULL, wait_types = NULL,
            rollback_pending = false, updated_at = $3
          WHERE seq = $1 AND epoch = $2 RETURNING seq),
        l AS (INSERT INTO ${t.log} (instance_seq, at, type, data) SELECT u.seq, $3, $7, $8 FROM u)
        SELECT count(*)::int AS n FROM u`,
      // Many instances' step records in one statement (see recordStep): one record per instance
      // at most (InstanceQueue keeps one write of an instance in flight), each fenced on its own;
      // the result lists the records whose fence held.
      recordSteps: `WITH i AS (
          SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], ${arrays(4)})
            WITH ORDINALITY AS i(seq, epoch, now, ${STEP_COLUMNS.join(", ")}, ord)),
        f AS (SELECT i.ord, i.seq FROM i JOIN ${t.instances} t ON t.seq = i.seq AND t.epoch = i.epoch
          FOR SHARE OF t),
        s AS (INSERT INTO ${t.steps} AS st (${columns})
          SELECT i.seq, ${STEP_COLUMNS.map((c) => `i.${c}`).join(", ")} FROM i JOIN f ON f.ord = i.ord ${upsertSet}),
        l AS (INSERT INTO ${t.log} (instance_seq, at, type, step_key, attempt, data)
          SELECT i.seq, coalesce(e.at, i.now), e.type, e.step_key, e.attempt, e.data
          FROM unnest($${4 + STEP_TYPES.length}::bigint[], $${5 + STEP_TYPES.length}::bigint[],
              $${6 + STEP_TYPES.length}::text[], $${7 + STEP_TYPES.length}::text[], $${8 + STEP_TYPES.length}::int[],
              $${9 + STEP_TYPES.length}::text[])
            WITH ORDINALITY AS e(rec, at, type, step_key, attempt, data, ord)
          JOIN f ON f.ord = e.rec JOIN i ON i.ord = e.rec ORDER BY e.ord)
        SELECT ord FROM f`,
      appendChunks: `WITH f AS (${fenceShare}),
        last AS (SELECT coalesce(max(idx), -1) AS idx FROM ${t.chunks} WHERE instance_seq = $1 AND step_key = $3),
        ins AS (INSERT INTO ${t.chunks} (instance_seq, step_key, idx, bytes)
          SELECT f.seq, $3, last.idx + c.ord, c.bytes FROM f, last, unnest($4::bytea[]) WITH ORDINALITY AS c(bytes, ord))
        SELECT count(*)::int AS n FROM f`,
      discardChunks: `WITH f AS (${fenceShare}),
        d AS (DELETE FROM ${t.chunks} AS c USING f WHERE c.instance_seq = f.seq AND c.step_key = $3)
        SELECT count(*)::int AS n FROM f`,
    };
  }

  /**
   * Records a step. The records of many instances written in the same turn of the event loop go
   * to the server in one statement (one round trip and one commit for all of them), so that a
   * busy process does not pay a commit per step.
   */
  recordStep(fence: Fence, record: StepRecord, log: LogInput[], now: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pendingSteps.push({ fence, record, log, now, resolve, reject });
      if (this.pendingSteps.length === 1) process.nextTick(() => void this.flushSteps());
    });
  }

  private async flushSteps(): Promise<void> {
    const batch = this.pendingSteps;
    this.pendingSteps = [];
    if (batch.length === 1) {
      const { fence, record, log, now, resolve, reject } = batch[0]!;
      return this.recordOne(fence, record, log, now).then(resolve, reject);
    }
    try {
      const records = batch.map((p) => stepValues(p.record));
      const columns = STEP_TYPES.map((_, c) => records.map((r) => r[c]));
      const entries = batch.flatMap((p, i) => p.log.map((e) => ({ rec: i + 1, e })));
      const values = [
        batch.map((p) => p.fence.seq),
        batch.map((p) => p.fence.epoch),
        batch.map((p) => p.now),
        ...columns,
        entries.map((x) => x.rec),
        ...logArrays(entries.map((x) => x.e)),
      ];
      const rows = await this.db.write("recording steps", this.sql.recordSteps!, values);
      const fenced = new Set(rows.map((r) => num(r.ord)));
      for (const [i, p] of batch.entries()) {
        if (fenced.has(i + 1)) p.resolve();
        else p.reject(stale(p.fence));
      }
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }

  private async recordOne(fence: Fence, record: StepRecord, log: LogInput[], now: number): Promise<void> {
    const values = [fence.seq, fence.epoch, ...stepValues(record), now, ...logArrays(log)];
    const [row] = await this.db.write("recording a step", this.sql.recordStep!, values);
    if (row?.n !== 1) throw stale(fence);
  }

  async appendLog(fence: Fence, log: LogInput[], now: number): Promise<void> {
    const values = [fence.seq, fence.epoch, now, ...logArrays(log)];
    const [row] = await this.db.write("appending to the log", this.sql.appendLog!, values);
    if (row?.n !== 1) throw stale(fence);
  }

  /** Locks the instance row and checks the epoch; returns its status. */
  private async check(tx: Tx, fence: Fence, mode: "share" | "update"): Promise<string> {
    const sql = mode === "share" ? this.sql.fenceShare! : this.sql.fenceUpdate!;
    const [row] = await tx.query(sql, [fence.seq, fence.epoch]);
    if (!row) throw stale(fence);
    return row.status as string;
  }

  private async log(tx: Tx, seq: number, entries: LogInput[], now: number): Promise<void> {
    await tx.query(this.sql.log!, [seq, now, ...logArrays(entries)]);
  }

  async consumeEvent(fence: Fence, step: StepRef, now: number): Promise<EventRecord | undefined> {
    const [row] = await this.db.write("consuming an event", this.sql.consumeEvent!, [
      fence.seq,
      fence.epoch,
      step.type,
      step.key,
      now,
      step.name,
      step.count,
      step.startedAt,
      JSON.stringify({ type: step.type }),
    ]);
    if (row?.n !== 1) throw stale(fence);
    if (row.seq === null || row.seq === undefined) return undefined;
    return {
      seq: num(row.seq),
      type: row.type as string,
      payload: row.payload as Uint8Array,
      sentAt: num(row.sent_at),
    };
  }

  suspend(fence: Fence, wake: { wakeAt: number | null; waitTypes: string[] }, now: number): Promise<void> {
    return this.db.tx("suspending an instance", async (tx) => {
      await this.check(tx, fence, "update");
      const types = wake.waitTypes.length > 0 ? wake.waitTypes : null;
      const due = types !== null && (await tx.query(this.sql.anyPendingOf!, [fence.seq, types])).length > 0;
      const [row] = await tx.query(this.sql.suspend!, [fence.seq, now, due ? now : wake.wakeAt, types]);
      const entry: LogInput =
        row?.status === "paused"
          ? { type: "WORKFLOW_PAUSED" }
          : { type: "WORKFLOW_WAITING", data: { wakeAt: wake.wakeAt, waitTypes: wake.waitTypes } };
      await this.log(tx, fence.seq, [entry], now);
      // Due at once because its event is already here: any process may take it.
      if (due && row?.status === "waiting") tx.notify(this.wakeSignal());
    });
  }

  async settlePause(fence: Fence, now: number): Promise<void> {
    const [row] = await this.db.write("settling a pause", this.sql.settlePause!, [
      fence.seq,
      fence.epoch,
      now,
    ]);
    if (row?.n !== 1) throw stale(fence);
  }

  async finish(fence: Fence, result: FinishResult, now: number): Promise<void> {
    const [row] = await this.db.write("finishing an instance", this.sql.finish!, [
      fence.seq,
      fence.epoch,
      now,
      result.status,
      result.status === "complete" ? toBuffer(result.output) : null,
      result.status === "errored" ? JSON.stringify(result.error) : null,
      FINISH_LOG[result.status],
      result.status === "errored" ? JSON.stringify({ error: result.error }) : null,
    ]);
    if (row?.n !== 1) throw stale(fence);
  }

  async appendStreamChunks(fence: Fence, key: string, chunks: Uint8Array[], _now: number): Promise<void> {
    const values = [fence.seq, fence.epoch, key, chunks.map(toBuffer)];
    const [row] = await this.db.write("storing stream chunks", this.sql.appendChunks!, values);
    if (row?.n !== 1) throw stale(fence);
  }

  async discardStreamChunks(fence: Fence, key: string, _now: number): Promise<void> {
    const [row] = await this.db.write("discarding stream chunks", this.sql.discardChunks!, [
      fence.seq,
      fence.epoch,
      key,
    ]);
    if (row?.n !== 1) throw stale(fence);
  }
}
