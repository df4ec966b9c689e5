// The read side of the PostgreSQL store: instances, lists and counts, the journal, the log, stream
// chunks, and the next time something becomes claimable. Plain statements on the pool, retried
// once by Database.read when a pooled connection turned out to be dead.

import type { InstanceRecord, ListPage, ListQuery, LogEntry, StepRecord, StoredStatus } from "../types.js";
import type { Tables } from "./connection.js";
import type { Database } from "./database.js";
import { num, numOrNull, toInstance, toLog, toStep } from "./rows.js";

export class Reads {
  private readonly db: Database;
  private readonly sql: Record<
    "instance" | "counts" | "nextWake" | "journal" | "log" | "list" | "chunks" | "stateBytes",
    string
  >;

  constructor(db: Database, t: Tables) {
    this.db = db;
    this.sql = {
      instance: `SELECT * FROM ${t.instances} WHERE workflow = $1 AND id = $2`,
      counts: `SELECT status, count(*)::int AS n FROM ${t.instances} WHERE workflow = $1 GROUP BY status`,
      // The timer index gives the first wake-up; other owners' leases may run out before it.
      nextWake: `SELECT least(
          (SELECT min(wake_at) FROM ${t.instances} WHERE status = 'waiting' AND wake_at IS NOT NULL),
          (SELECT min(lease_expires_at) FROM ${t.instances} WHERE status IN ('running', 'waitingForPause')
            AND (lease_owner IS NULL OR lease_owner <> $1))) AS t`,
      journal: `SELECT * FROM ${t.steps} WHERE instance_seq = $1`,
      log: `SELECT seq, at, type, step_key, attempt, data FROM ${t.log} WHERE instance_seq = $1 ORDER BY seq`,
      list: `SELECT * FROM ${t.instances} WHERE workflow = $1`,
      chunks: `SELECT bytes FROM ${t.chunks} WHERE instance_seq = $1 AND step_key = $2 ORDER BY idx`,
      stateBytes: `SELECT coalesce((SELECT sum(octet_length(value)) FROM ${t.steps} WHERE instance_seq = $1), 0)
        + coalesce((SELECT sum(octet_length(bytes)) FROM ${t.chunks} WHERE instance_seq = $1), 0) AS n`,
    };
  }

  async getInstance(workflow: string, id: string): Promise<InstanceRecord | undefined> {
    const [row] = await this.db.read("reading an instance", this.sql.instance, [workflow, id]);
    return row ? toInstance(row) : undefined;
  }

  /** Pages by `seq` (the cursor), so instances created between pages never shift a page. */
  async listInstances(query: ListQuery): Promise<ListPage> {
    const desc = (query.order ?? "desc") === "desc";
    const values: unknown[] = [query.workflow];
    let sql = this.sql.list;
    if (query.status) {
      values.push(query.status);
      sql += ` AND status = $${values.length}`;
    }
    if (query.cursor) {
      values.push(Number(query.cursor));
      sql += ` AND seq ${desc ? "<" : ">"} $${values.length}`;
    }
    values.push(query.limit + 1);
    sql += ` ORDER BY seq ${desc ? "DESC" : "ASC"} LIMIT $${values.length}`;
    const rows = await this.db.read("listing instances", sql, values);
    const items = rows.slice(0, query.limit).map(toInstance);
    const more = rows.length > query.limit;
    return { items, nextCursor: more ? String(items[items.length - 1]!.seq) : null };
  }

  async countByStatus(workflow: string): Promise<Partial<Record<StoredStatus, number>>> {
    const out: Partial<Record<StoredStatus, number>> = {};
    for (const r of await this.db.read("counting instances", this.sql.counts, [workflow])) {
      out[r.status as StoredStatus] = num(r.n);
    }
    return out;
  }

  async nextWakeAt(owner: string): Promise<number | null> {
    const [row] = await this.db.read("finding the next wake-up", this.sql.nextWake, [owner]);
    return numOrNull(row?.t);
  }

  async loadJournal(seq: number): Promise<StepRecord[]> {
    return (await this.db.read("loading a journal", this.sql.journal, [seq])).map(toStep);
  }

  async readLog(seq: number): Promise<LogEntry[]> {
    return (await this.db.read("reading a log", this.sql.log, [seq])).map(toLog);
  }

  async loadStreamChunks(seq: number, key: string): Promise<Uint8Array[]> {
    const rows = await this.db.read("loading stream chunks", this.sql.chunks, [seq, key]);
    return rows.map((r) => r.bytes as Uint8Array);
  }

  async stateBytes(seq: number): Promise<number> {
    const [row] = await this.db.read("measuring instance state", this.sql.stateBytes, [seq]);
    return num(row?.n ?? 0);
  }
}
