// Erasing instances on PostgreSQL: deleting instances by id, the retention sweep that deletes
// finished instances whose expiry passed (processes sweeping at once skip each other's rows), and
// the erasing of an instance's history that delete and restart share. A deletion is remembered
// for a day in deleted_instances, so that a change feed can catch up with it.

import { decideDelete, storeSignals } from "../lifecycle.js";
import { DELETIONS_KEPT_MS, type StoreSignal } from "../types.js";
import type { Tables } from "./connection.js";
import type { Database, Tx } from "./database.js";
import { num } from "./rows.js";

/** Deletes instances and their journal, inbox, log and stream chunks. */
export class Retention {
  private readonly db: Database;
  private readonly signal: (s: StoreSignal) => string;
  private readonly sql;

  constructor(db: Database, t: Tables, signal: (s: StoreSignal) => string) {
    this.db = db;
    this.signal = signal;
    this.sql = {
      wipeChunks: `DELETE FROM ${t.chunks} WHERE instance_seq = ANY($1::bigint[])`,
      wipeSteps: `DELETE FROM ${t.steps} WHERE instance_seq = ANY($1::bigint[])`,
      wipeEvents: `DELETE FROM ${t.events} WHERE instance_seq = ANY($1::bigint[])`,
      wipeLog: `DELETE FROM ${t.log} WHERE instance_seq = ANY($1::bigint[])`,
      lockMany: `SELECT seq, id FROM ${t.instances} WHERE workflow = $1 AND id = ANY($2::text[]) FOR UPDATE`,
      expired: `SELECT seq, workflow, id FROM ${t.instances} WHERE expires_at <= $1 ORDER BY expires_at, seq LIMIT $2
        FOR UPDATE SKIP LOCKED`,
      deleteInstances: `DELETE FROM ${t.instances} WHERE seq = ANY($1::bigint[])`,
      remember: `INSERT INTO ${t.schema}.deleted_instances (seq, workflow, id, deleted_at)
        SELECT seq, workflow, id, $2 FROM ${t.instances} WHERE seq = ANY($1::bigint[]) ON CONFLICT DO NOTHING`,
      forget: `DELETE FROM ${t.schema}.deleted_instances WHERE deleted_at < $1`,
    };
  }

  /** Erases what the instances recorded (journal, inbox, log, stream chunks), keeping their rows. */
  async eraseHistory(tx: Tx, seqs: number[]): Promise<void> {
    await tx.query(this.sql.wipeChunks, [seqs]);
    await tx.query(this.sql.wipeSteps, [seqs]);
    await tx.query(this.sql.wipeEvents, [seqs]);
    await tx.query(this.sql.wipeLog, [seqs]);
  }

  private async deleteSeqs(tx: Tx, seqs: number[], now: number): Promise<void> {
    await tx.query(this.sql.remember, [seqs, now]);
    await this.eraseHistory(tx, seqs);
    await tx.query(this.sql.deleteInstances, [seqs]);
  }

  /** Deletes instances with everything they recorded, whatever their status. */
  deleteInstances(
    workflow: string,
    ids: string[],
    now: number,
  ): Promise<{ id: string; outcome: "deleted" | "not_found" }[]> {
    return this.db.tx("deleting instances", async (tx) => {
      const rows = await tx.query(this.sql.lockMany, [workflow, ids]);
      const found = new Map<string, number>(rows.map((r) => [r.id as string, num(r.seq)]));
      if (found.size > 0) {
        await this.deleteSeqs(tx, [...found.values()], now);
        // A runner of a deleted instance elsewhere finds it gone and stops.
        const d = decideDelete();
        for (const deleted of found.keys()) {
          for (const signal of storeSignals(d.signals, { workflow, id: deleted }))
            tx.notify(this.signal(signal));
        }
      }
      return ids.map((id) => ({
        id,
        outcome: found.has(id) ? ("deleted" as const) : ("not_found" as const),
      }));
    });
  }

  /** Deletes up to `limit` expired instances; returns how many. */
  deleteExpired(now: number, limit: number): Promise<{ workflow: string; id: string }[]> {
    return this.db.tx("deleting expired instances", async (tx) => {
      const rows = await tx.query(this.sql.expired, [now, limit]);
      if (rows.length > 0)
        await this.deleteSeqs(
          tx,
          rows.map((r) => num(r.seq)),
          now,
        );
      await tx.query(this.sql.forget, [now - DELETIONS_KEPT_MS]);
      return rows.map((r) => ({ workflow: r.workflow as string, id: r.id as string }));
    });
  }
}
