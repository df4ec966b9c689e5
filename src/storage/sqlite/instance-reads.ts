// The SQLite reads behind lists, counts, activity per minute and change-feed catch-up, on the
// main thread's reader connection. Lists page by (created_at, seq) so a page never shifts when
// instances are created meanwhile; counts by status come from the instance_counts table that
// triggers keep, so they cost the same on a million instances as on ten; activity counts a
// window's range of the creation and end indexes, never the whole workflow.

import type Database from "better-sqlite3";
import { decodeListCursor, encodeListCursor, filterTerms, prefixBounds } from "../list-query.js";
import {
  ACTIVITY_MINUTE_MS,
  type ActivityCounts,
  type ChangedInstance,
  type ChangeScope,
  type DeletedInstance,
  type InstanceFilter,
  type ListPage,
  type ListQuery,
  type MinuteCount,
  type StoredStatus,
} from "../types.js";
import { type InstanceRow, toInstance } from "./rows.js";

export class SqliteInstanceReads {
  private readonly db: Database.Database;
  /** Statements whose SQL varies with the query's shape, prepared once per shape. */
  private readonly shapes = new Map<string, Database.Statement>();
  private readonly counts: Database.Statement;
  private readonly changed: Database.Statement;
  private readonly deleted: Database.Statement;
  private readonly createdPerMinute: Database.Statement;
  private readonly finishedPerMinute: Database.Statement;

  constructor(db: Database.Database) {
    this.db = db;
    this.counts = db.prepare("SELECT status, n FROM instance_counts WHERE workflow = ? AND n > 0");
    const scope = "(@workflow IS NULL OR workflow = @workflow) AND (@id IS NULL OR id = @id)";
    this.changed = db.prepare(
      `SELECT workflow, id, status, updated_at FROM instances WHERE updated_at >= @since AND ${scope}
       UNION
       SELECT workflow, id, status, updated_at FROM instances
         WHERE status IN ('running', 'waitingForPause') AND ${scope}
       ORDER BY updated_at LIMIT @limit`,
    );
    this.deleted = db.prepare(
      `SELECT workflow, id, deleted_at FROM deleted_instances WHERE deleted_at >= @since AND ${scope}
       ORDER BY deleted_at, seq LIMIT @limit`,
    );
    // Ranges of instances_by_created and of the partial instances_by_end (a range on ended_at
    // implies ended_at IS NOT NULL), grouped by minute without reading the rows.
    const perMinute = (column: "created_at" | "ended_at") =>
      db.prepare(
        `SELECT ${column} / ${ACTIVITY_MINUTE_MS} AS m, count(*) AS n FROM instances
         WHERE workflow = ? AND ${column} >= ? AND ${column} < ? GROUP BY m ORDER BY m`,
      );
    this.createdPerMinute = perMinute("created_at");
    this.finishedPerMinute = perMinute("ended_at");
  }

  listInstances(query: ListQuery): ListPage {
    const desc = (query.order ?? "desc") === "desc";
    const { where, args } = this.where(query);
    const cursor = query.cursor ? decodeListCursor(query.cursor) : null;
    if (cursor) {
      where.push(desc ? "(created_at, seq) < (?, ?)" : "(created_at, seq) > (?, ?)");
      args.push(cursor.createdAt, cursor.seq);
    }
    const dir = desc ? "DESC" : "ASC";
    const offset = cursor ? 0 : Math.max(0, query.offset ?? 0);
    const sql = `SELECT * FROM instances WHERE ${where.join(" AND ")}
      ORDER BY created_at ${dir}, seq ${dir} LIMIT ? OFFSET ?`;
    const rows = this.prepared(sql).all(...args, query.limit + 1, offset) as InstanceRow[];
    const more = rows.length > query.limit;
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toInstance),
      nextCursor: more && last ? encodeListCursor(last.created_at, last.seq) : null,
    };
  }

  countInstances(filter: InstanceFilter): number {
    const narrowed = filter.createdFrom !== undefined || filter.createdTo !== undefined || filter.idPrefix;
    if (!narrowed) {
      const counts = this.countByStatus(filter.workflow);
      if (filter.status) return counts[filter.status] ?? 0;
      return Object.values(counts).reduce((sum, n) => sum + n, 0);
    }
    const { where, args } = this.where(filter);
    const row = this.prepared(`SELECT count(*) AS n FROM instances WHERE ${where.join(" AND ")}`).get(
      ...args,
    ) as { n: number };
    return row.n;
  }

  countByStatus(workflow: string): Partial<Record<StoredStatus, number>> {
    const out: Partial<Record<StoredStatus, number>> = {};
    for (const r of this.counts.all(workflow) as { status: StoredStatus; n: number }[]) out[r.status] = r.n;
    return out;
  }

  activity(workflow: string, fromMs: number, toMs: number): ActivityCounts {
    const counts = (stmt: Database.Statement): MinuteCount[] =>
      (stmt.all(workflow, fromMs, toMs) as { m: number; n: number }[]).map((r) => ({
        minute: r.m * ACTIVITY_MINUTE_MS,
        count: r.n,
      }));
    return { created: counts(this.createdPerMinute), finished: counts(this.finishedPerMinute) };
  }

  changedSince(since: number, limit: number, scope: ChangeScope = {}): ChangedInstance[] {
    const rows = this.changed.all(scopeArgs(since, limit, scope)) as {
      workflow: string;
      id: string;
      status: StoredStatus;
      updated_at: number;
    }[];
    return rows.map((r) => ({ workflow: r.workflow, id: r.id, status: r.status, updatedAt: r.updated_at }));
  }

  deletedSince(since: number, limit: number, scope: ChangeScope = {}): DeletedInstance[] {
    const rows = this.deleted.all(scopeArgs(since, limit, scope)) as {
      workflow: string;
      id: string;
      deleted_at: number;
    }[];
    return rows.map((r) => ({ workflow: r.workflow, id: r.id, deletedAt: r.deleted_at }));
  }

  private where(filter: InstanceFilter): { where: string[]; args: unknown[] } {
    const where: string[] = [];
    const args: unknown[] = [];
    for (const term of filterTerms(filter)) {
      if (term.kind === "prefix") {
        const [low, high] = prefixBounds(term.value);
        where.push("id >= ?", "id < ?");
        args.push(low, high);
      } else {
        where.push(`${term.column} ${term.op} ?`);
        args.push(term.value);
      }
    }
    return { where, args };
  }

  private prepared(sql: string): Database.Statement {
    let stmt = this.shapes.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.shapes.set(sql, stmt);
    }
    return stmt;
  }
}

function scopeArgs(since: number, limit: number, scope: ChangeScope) {
  return { since, limit, workflow: scope.workflow ?? null, id: scope.id ?? null };
}
