// The read side of the PostgreSQL store: instances, lists and counts, activity per minute, the
// journal, the log, stream chunks, and the next time something becomes claimable. Plain
// statements on the pool, retried once by Database.read when a pooled connection turned out to
// be dead.

import { decodeListCursor, encodeListCursor, filterTerms, prefixBounds } from "../list-query.js";
import {
  ACTIVITY_MINUTE_MS,
  type ActivityCounts,
  type ChangedInstance,
  type ChangeScope,
  type DeletedInstance,
  type InstanceFilter,
  type InstanceRecord,
  type ListPage,
  type ListQuery,
  type LogEntry,
  type MinuteCount,
  type StepRecord,
  type StoredStatus,
} from "../types.js";
import type { Tables } from "./connection.js";
import type { Database } from "./database.js";
import type { LeaseTime } from "./lease-time.js";
import { num, numOrNull, toInstance, toLog, toStep } from "./rows.js";

/** A catch-up narrowed to a workflow ($3) and an id ($4), each only when given. */
const SCOPE = "($3::text IS NULL OR workflow = $3) AND ($4::text IS NULL OR id = $4)";

export class Reads {
  private readonly db: Database;
  private readonly sql: Record<
    | "instance"
    | "counts"
    | "createdPerMinute"
    | "finishedPerMinute"
    | "nextWake"
    | "journal"
    | "log"
    | "list"
    | "changed"
    | "deleted"
    | "chunks"
    | "stateBytes",
    string
  >;

  private readonly tables: Tables;

  constructor(db: Database, t: Tables, lease: LeaseTime) {
    this.db = db;
    this.tables = t;
    this.sql = {
      instance: `SELECT * FROM ${t.instances} WHERE workflow = $1 AND id = $2`,
      counts: `SELECT status, count(*)::int AS n FROM ${t.instances} WHERE workflow = $1 GROUP BY status`,
      // Ranges of instances_by_created and of the partial instances_by_end (a range on ended_at
      // implies ended_at IS NOT NULL), grouped by minute.
      createdPerMinute: perMinute(t, "created_at"),
      finishedPerMinute: perMinute(t, "ended_at"),
      // The timer index gives the first wake-up; other owners' leases may run out before it.
      // Instances whose affinity names another owner are not this owner's to wake. A lease's
      // expiry is on the lease clock: what is left of it is added to the caller's now ($2).
      nextWake: `SELECT least(
          (SELECT min(wake_at) FROM ${t.instances} WHERE status = 'waiting' AND wake_at IS NOT NULL
            AND (affinity IS NULL OR affinity = $1)),
          $2::bigint + (SELECT min(lease_expires_at) FROM ${t.instances}
            WHERE status IN ('running', 'waitingForPause')
            AND (lease_owner IS NULL OR lease_owner <> $1) AND (affinity IS NULL OR affinity = $1))
            - ${lease.now(2)}) AS t`,
      journal: `SELECT * FROM ${t.steps} WHERE instance_seq = $1`,
      log: `SELECT seq, at, type, step_key, attempt, data FROM ${t.log} WHERE instance_seq = $1 ORDER BY seq`,
      list: `SELECT * FROM ${t.instances}`,
      changed: `SELECT workflow, id, status, updated_at FROM ${t.instances} WHERE updated_at >= $1 AND ${SCOPE}
        UNION
        SELECT workflow, id, status, updated_at FROM ${t.instances}
          WHERE status IN ('running', 'waitingForPause') AND ${SCOPE}
        ORDER BY updated_at LIMIT $2`,
      deleted: `SELECT workflow, id, deleted_at FROM ${t.schema}.deleted_instances WHERE deleted_at >= $1
        AND ${SCOPE} ORDER BY deleted_at, seq LIMIT $2`,
      chunks: `SELECT bytes FROM ${t.chunks} WHERE instance_seq = $1 AND step_key = $2 ORDER BY idx`,
      stateBytes: `SELECT coalesce((SELECT sum(octet_length(value)) FROM ${t.steps} WHERE instance_seq = $1), 0)
        + coalesce((SELECT sum(octet_length(bytes)) FROM ${t.chunks} WHERE instance_seq = $1), 0) AS n`,
    };
  }

  async getInstance(workflow: string, id: string): Promise<InstanceRecord | undefined> {
    const [row] = await this.db.read("reading an instance", this.sql.instance, [workflow, id]);
    return row ? toInstance(row) : undefined;
  }

  /** Pages by (created_at, seq) (the cursor), so instances created between pages never shift a page. */
  async listInstances(query: ListQuery): Promise<ListPage> {
    const desc = (query.order ?? "desc") === "desc";
    const { where, values } = whereOf(query);
    const cursor = query.cursor ? decodeListCursor(query.cursor) : null;
    if (cursor) {
      values.push(cursor.createdAt, cursor.seq);
      where.push(`(created_at, seq) ${desc ? "<" : ">"} ($${values.length - 1}, $${values.length})`);
    }
    const dir = desc ? "DESC" : "ASC";
    values.push(query.limit + 1, cursor ? 0 : Math.max(0, query.offset ?? 0));
    const sql = `${this.sql.list} WHERE ${where.join(" AND ")} ORDER BY created_at ${dir}, seq ${dir}
      LIMIT $${values.length - 1} OFFSET $${values.length}`;
    const rows = await this.db.read("listing instances", sql, values);
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toInstance),
      nextCursor:
        rows.length > query.limit && last ? encodeListCursor(num(last.created_at), num(last.seq)) : null,
    };
  }

  async countInstances(filter: InstanceFilter): Promise<number> {
    const { where, values } = whereOf(filter);
    const sql = `SELECT count(*)::bigint AS n FROM ${this.tables.instances} WHERE ${where.join(" AND ")}`;
    const [row] = await this.db.read("counting instances", sql, values);
    return num(row?.n ?? 0);
  }

  async countByStatus(workflow: string): Promise<Partial<Record<StoredStatus, number>>> {
    const out: Partial<Record<StoredStatus, number>> = {};
    for (const r of await this.db.read("counting instances", this.sql.counts, [workflow])) {
      out[r.status as StoredStatus] = num(r.n);
    }
    return out;
  }

  async activity(workflow: string, fromMs: number, toMs: number): Promise<ActivityCounts> {
    const counts = async (sql: string): Promise<MinuteCount[]> =>
      (await this.db.read("counting activity", sql, [workflow, fromMs, toMs])).map((r) => ({
        minute: num(r.m) * ACTIVITY_MINUTE_MS,
        count: num(r.n),
      }));
    const [created, finished] = await Promise.all([
      counts(this.sql.createdPerMinute),
      counts(this.sql.finishedPerMinute),
    ]);
    return { created, finished };
  }

  async changedSince(since: number, limit: number, scope: ChangeScope = {}): Promise<ChangedInstance[]> {
    const args = [since, limit, scope.workflow ?? null, scope.id ?? null];
    const rows = await this.db.read("reading changed instances", this.sql.changed, args);
    return rows.map((r) => ({
      workflow: r.workflow as string,
      id: r.id as string,
      status: r.status as StoredStatus,
      updatedAt: num(r.updated_at),
    }));
  }

  async deletedSince(since: number, limit: number, scope: ChangeScope = {}): Promise<DeletedInstance[]> {
    const args = [since, limit, scope.workflow ?? null, scope.id ?? null];
    const rows = await this.db.read("reading deleted instances", this.sql.deleted, args);
    return rows.map((r) => ({
      workflow: r.workflow as string,
      id: r.id as string,
      deletedAt: num(r.deleted_at),
    }));
  }

  async nextWakeAt(owner: string, now: number): Promise<number | null> {
    const [row] = await this.db.read("finding the next wake-up", this.sql.nextWake, [owner, now]);
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

/** Instances of a workflow ($1) per minute of `column` from $2 (inclusive) to $3 (exclusive). */
function perMinute(t: Tables, column: "created_at" | "ended_at"): string {
  return `SELECT ${column} / ${ACTIVITY_MINUTE_MS} AS m, count(*)::int AS n FROM ${t.instances}
    WHERE workflow = $1 AND ${column} >= $2 AND ${column} < $3 GROUP BY m ORDER BY m`;
}

/** The filter as SQL terms with numbered parameters. */
function whereOf(filter: InstanceFilter): { where: string[]; values: unknown[] } {
  const where: string[] = [];
  const values: unknown[] = [];
  for (const term of filterTerms(filter)) {
    if (term.kind === "prefix") {
      // Compared in the C collation, so that the bounds are the binary order of the ids.
      const [low, high] = prefixBounds(term.value);
      values.push(low, high);
      where.push(`id COLLATE "C" >= $${values.length - 1}`, `id COLLATE "C" < $${values.length}`);
    } else {
      values.push(term.value);
      where.push(`${term.column} ${term.op} $${values.length}`);
    }
  }
  return { where, values };
}
