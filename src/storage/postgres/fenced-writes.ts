// The runner's writes on PostgreSQL, each fenced by the lease epoch: the instance row is locked
// (FOR SHARE for journal writes, FOR UPDATE when the row changes) and its epoch compared in the
// same transaction, so a write racing a takeover or a terminate either lands before it or is
// refused with StaleLeaseError. The hot writes are one statement each, a single round trip, and
// the step records of many instances written in one turn share one statement.

import { StaleLeaseError } from "../../errors.js";
import { decideFinish, decideSettlePause, decideSuspend, statusesWhere, storeSignals } from "../lifecycle.js";
import { logDataText, receivedEventLog, STEP_COLUMN_NAMES } from "../records.js";
import type {
  EventRecord,
  Fence,
  FinishResult,
  LogInput,
  StepRecord,
  StoredStatus,
  StoreSignal,
} from "../types.js";
import type { Tables } from "./connection.js";
import type { Database, Tx } from "./database.js";
import { logRows, sqlLiteral, statusList } from "./lifecycle-sql.js";
import { num, stepValues, toBuffer } from "./rows.js";

type StepRef = { key: string; name: string; count: number; startedAt: number; type: string };

/** Log entries as the five parallel arrays the statements unnest. */
function logArrays(entries: LogInput[]): unknown[] {
  return [
    entries.map((e) => e.at ?? null),
    entries.map((e) => e.type),
    entries.map((e) => e.stepKey ?? null),
    entries.map((e) => e.attempt ?? null),
    entries.map(logDataText),
  ];
}

/** SQL types of the values stepValues returns, in the order of STEP_COLUMN_NAMES. */
const STEP_TYPES = [
  ...["text", "text", "text", "int", "text", "int", "bytea", "text", "text", "text", "text"],
  ...["bigint", "bigint", "bigint", "boolean", "int", "boolean"],
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

function staleLease(fence: Fence): StaleLeaseError {
  return new StaleLeaseError(String(fence.seq), fence.epoch);
}

/** The runner's writes, each refused with StaleLeaseError when its fence is stale. */
export class FencedWrites {
  private readonly db: Database;
  private readonly sql;
  private readonly signal: (s: StoreSignal) => string;
  private pendingSteps: PendingStep[] = [];

  constructor(db: Database, t: Tables, signal: (s: StoreSignal) => string) {
    this.db = db;
    this.signal = signal;
    const fenceShare = `SELECT seq FROM ${t.instances} WHERE seq = $1 AND epoch = $2 FOR SHARE`;
    const upsertSet = `ON CONFLICT (instance_seq, key) DO UPDATE SET status = excluded.status,
      attempts = excluded.attempts, value = excluded.value, error = excluded.error,
      config = coalesce(st.config, excluded.config), event = excluded.event,
      event_type = excluded.event_type, ended_at = excluded.ended_at, wake_at = excluded.wake_at,
      has_rollback = st.has_rollback OR excluded.has_rollback, stream = excluded.stream`;
    const columns = `instance_seq, ${STEP_COLUMN_NAMES.join(", ")}`;
    // The record's columns (see stepValues) as typed parameters from $first on.
    const typed = (first: number) => STEP_TYPES.map((type, i) => `$${first + i}::${type}`).join(", ");
    const afterStep = 3 + STEP_TYPES.length;
    // A pause settles the same way from every status it settles from (the first stands for all).
    const settlesFrom = statusesWhere(decideSettlePause, "paused");
    const [settlesFromFirst] = settlesFrom;
    if (!settlesFromFirst) throw new Error("lifecycle.ts settles a pause from no status");
    const settled = decideSettlePause(settlesFromFirst);
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
        l AS (INSERT INTO ${t.log} (instance_seq, at, type, step_key, data) SELECT f.seq, $5, $9, $4, $10
          FROM f, e)
        SELECT (SELECT count(*) FROM f)::int AS n, e.seq, e.type, e.payload, e.sent_at
        FROM (SELECT 1) AS one LEFT JOIN e ON true`,
      anyPendingOf: `SELECT 1 FROM ${t.events}
        WHERE instance_seq = $1 AND consumed_by IS NULL AND type = ANY($2::text[]) LIMIT 1`,
      suspendWaiting: `UPDATE ${t.instances} SET status = $2, paused_at = NULL, wake_at = $4::bigint,
          wait_types = $5::text[], lease_owner = NULL, lease_expires_at = NULL, updated_at = $3 WHERE seq = $1`,
      suspendPaused: `UPDATE ${t.instances} SET status = $2, paused_at = $3, wake_at = NULL, wait_types = NULL,
          lease_owner = NULL, lease_expires_at = NULL, updated_at = $3 WHERE seq = $1`,
      // One statement each (one round trip): the epoch is checked by the UPDATE itself, and the
      // log entries are written from what the UPDATE returns. `n` is 0 when the fence is stale.
      // The statuses a pause settles from, the status it sets and its log entries come from
      // lifecycle.ts, built into the text (see settling below).
      settlePause: `WITH f AS (SELECT seq FROM ${t.instances} WHERE seq = $1 AND epoch = $2 FOR UPDATE),
        u AS (UPDATE ${t.instances} SET status = ${sqlLiteral(settled.status)}, paused_at = $3, lease_owner = NULL,
            lease_expires_at = NULL, updated_at = $3
          WHERE seq = $1 AND epoch = $2 AND status IN (${statusList(settlesFrom)}) RETURNING seq),
        l AS (INSERT INTO ${t.log} (instance_seq, at, type, data)
          SELECT u.seq, $3, e.type, e.data FROM u, ${logRows(settled.log)} ORDER BY e.ord)
        SELECT count(*)::int AS n FROM f`,
      // The status, retention and log entries are lifecycle.ts's decision for the result.
      finish: `WITH u AS (UPDATE ${t.instances} SET status = $4, output = $5, error = $6, ended_at = $3,
            expires_at = $3 + CASE WHEN $7::text = 'success' THEN success_retention_ms ELSE error_retention_ms END,
            lease_owner = NULL, lease_expires_at = NULL, wake_at = NULL, wait_types = NULL,
            rollback_pending = false, updated_at = $3
          WHERE seq = $1 AND epoch = $2 RETURNING seq),
        l AS (INSERT INTO ${t.log} (instance_seq, at, type, data)
          SELECT u.seq, $3, e.type, e.data FROM u, unnest($8::text[], $9::text[]) WITH ORDINALITY AS e(type, data, ord)
          ORDER BY e.ord)
        SELECT count(*)::int AS n FROM u`,
      // Many instances' step records in one statement (see recordStep): one record per instance
      // at most (InstanceQueue keeps one write of an instance in flight), each fenced on its own;
      // the result lists the records whose fence held.
      recordSteps: `WITH i AS (
          SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], ${arrays(4)})
            WITH ORDINALITY AS i(seq, epoch, now, ${STEP_COLUMN_NAMES.join(", ")}, ord)),
        f AS (SELECT i.ord, i.seq FROM i JOIN ${t.instances} t ON t.seq = i.seq AND t.epoch = i.epoch
          ORDER BY t.seq FOR SHARE OF t),
        s AS (INSERT INTO ${t.steps} AS st (${columns})
          SELECT i.seq, ${STEP_COLUMN_NAMES.map((c) => `i.${c}`).join(", ")} FROM i JOIN f ON f.ord = i.ord ${upsertSet}),
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
    const [only] = batch;
    if (only && batch.length === 1) {
      return this.recordOne(only.fence, only.record, only.log, only.now).then(only.resolve, only.reject);
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
      const rows = await this.db.write("recording steps", this.sql.recordSteps, values);
      const fenced = new Set(rows.map((r) => num(r.ord)));
      for (const [i, p] of batch.entries()) {
        if (fenced.has(i + 1)) p.resolve();
        else p.reject(staleLease(p.fence));
      }
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }

  private async recordOne(fence: Fence, record: StepRecord, log: LogInput[], now: number): Promise<void> {
    const values = [fence.seq, fence.epoch, ...stepValues(record), now, ...logArrays(log)];
    const [row] = await this.db.write("recording a step", this.sql.recordStep, values);
    if (row?.n !== 1) throw staleLease(fence);
  }

  async appendLog(fence: Fence, log: LogInput[], now: number): Promise<void> {
    const values = [fence.seq, fence.epoch, now, ...logArrays(log)];
    const [row] = await this.db.write("appending to the log", this.sql.appendLog, values);
    if (row?.n !== 1) throw staleLease(fence);
  }

  /** Locks the instance row; throws StaleLeaseError unless `fence` holds its epoch. Returns its status. */
  private async assertFence(tx: Tx, fence: Fence, mode: "share" | "update"): Promise<StoredStatus> {
    const sql = mode === "share" ? this.sql.fenceShare : this.sql.fenceUpdate;
    const [row] = await tx.query(sql, [fence.seq, fence.epoch]);
    if (!row) throw staleLease(fence);
    return row.status as StoredStatus;
  }

  private async log(tx: Tx, seq: number, entries: LogInput[], now: number): Promise<void> {
    await tx.query(this.sql.log, [seq, now, ...logArrays(entries)]);
  }

  /** Takes the oldest buffered event of the step's type and records the step as received; one statement. */
  async consumeEvent(fence: Fence, step: StepRef, now: number): Promise<EventRecord | undefined> {
    const entry = receivedEventLog(step);
    const [row] = await this.db.write("consuming an event", this.sql.consumeEvent, [
      fence.seq,
      fence.epoch,
      step.type,
      step.key,
      now,
      step.name,
      step.count,
      step.startedAt,
      entry.type,
      logDataText(entry),
    ]);
    if (row?.n !== 1) throw staleLease(fence);
    if (row.seq === null || row.seq === undefined) return undefined;
    return {
      seq: num(row.seq),
      type: row.type as string,
      payload: row.payload as Uint8Array,
      sentAt: num(row.sent_at),
    };
  }

  /** Hibernates the instance until `wake` (due at once if an awaited event is buffered), or pauses it. */
  suspend(
    fence: Fence,
    wake: { wakeAt: number | null; waitTypes: string[] },
    now: number,
  ): Promise<"waiting" | "paused"> {
    return this.db.tx("suspending an instance", async (tx) => {
      const status = await this.assertFence(tx, fence, "update");
      const types = wake.waitTypes.length > 0 ? wake.waitTypes : null;
      const due = types !== null && (await tx.query(this.sql.anyPendingOf, [fence.seq, types])).length > 0;
      const d = decideSuspend(status, wake, due);
      if (d.outcome === "paused") {
        await tx.query(this.sql.suspendPaused, [fence.seq, d.status, now]);
      } else {
        await tx.query(this.sql.suspendWaiting, [fence.seq, d.status, now, due ? now : wake.wakeAt, types]);
      }
      await this.log(tx, fence.seq, d.log, now);
      for (const signal of storeSignals(d.signals)) tx.notify(this.signal(signal));
      return d.outcome === "paused" ? ("paused" as const) : ("waiting" as const);
    });
  }

  /** A requested pause takes effect if it is still requested; one statement. */
  async settlePause(fence: Fence, now: number): Promise<void> {
    const [row] = await this.db.write("settling a pause", this.sql.settlePause, [
      fence.seq,
      fence.epoch,
      now,
    ]);
    if (row?.n !== 1) throw staleLease(fence);
  }

  /** Ends the instance with `result` and sets its expiry; one statement. */
  async finish(fence: Fence, result: FinishResult, now: number): Promise<void> {
    const d = decideFinish(result);
    const [row] = await this.db.write("finishing an instance", this.sql.finish, [
      fence.seq,
      fence.epoch,
      now,
      d.status,
      result.status === "complete" ? toBuffer(result.output) : null,
      result.status === "errored" ? JSON.stringify(result.error) : null,
      d.retention,
      d.log.map((e) => e.type),
      d.log.map(logDataText),
    ]);
    if (row?.n !== 1) throw staleLease(fence);
  }

  async appendStreamChunks(fence: Fence, key: string, chunks: Uint8Array[], _now: number): Promise<void> {
    const values = [fence.seq, fence.epoch, key, chunks.map(toBuffer)];
    const [row] = await this.db.write("storing stream chunks", this.sql.appendChunks, values);
    if (row?.n !== 1) throw staleLease(fence);
  }

  async discardStreamChunks(fence: Fence, key: string, _now: number): Promise<void> {
    const [row] = await this.db.write("discarding stream chunks", this.sql.discardChunks, [
      fence.seq,
      fence.epoch,
      key,
    ]);
    if (row?.n !== 1) throw staleLease(fence);
  }
}
