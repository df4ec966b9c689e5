// Erasing instances on SQLite: the retention sweep that deletes finished instances whose expiry
// passed, and the erasing of an instance's history that delete and restart share. A deletion is
// remembered for a day in deleted_instances, so that a change feed can catch up with it.

import type Database from "better-sqlite3";
import { DELETIONS_KEPT_MS } from "../types.js";
import { prepareAll } from "./statements.js";

/** Deletes instances and their journal, inbox, log and stream chunks. */
export class SqliteRetention {
  private readonly stmt;

  constructor(db: Database.Database) {
    this.stmt = prepareAll(db, {
      expired: "SELECT seq, workflow, id FROM instances WHERE expires_at <= ? ORDER BY expires_at LIMIT ?",
      wipeChunks: "DELETE FROM stream_chunks WHERE instance_seq = ?",
      wipeSteps: "DELETE FROM steps WHERE instance_seq = ?",
      wipeEvents: "DELETE FROM events WHERE instance_seq = ?",
      wipeLog: "DELETE FROM log WHERE instance_seq = ?",
      deleteInstance: "DELETE FROM instances WHERE seq = ?",
      remember: `INSERT OR IGNORE INTO deleted_instances (seq, workflow, id, deleted_at)
        SELECT seq, workflow, id, ? FROM instances WHERE seq = ?`,
      forget: "DELETE FROM deleted_instances WHERE deleted_at < ?",
    });
  }

  /** Deletes up to `limit` finished instances whose retention ended; returns which. */
  deleteExpired(now: number, limit: number): { workflow: string; id: string }[] {
    const rows = this.stmt.expired.all(now, limit) as { seq: number; workflow: string; id: string }[];
    for (const row of rows) this.deleteInstance(row.seq, now);
    this.stmt.forget.run(now - DELETIONS_KEPT_MS);
    return rows.map((r) => ({ workflow: r.workflow, id: r.id }));
  }

  /** Erases what instance `seq` has recorded (journal, inbox, log, stream chunks), keeping its row. */
  eraseHistory(seq: number): void {
    this.stmt.wipeChunks.run(seq);
    this.stmt.wipeSteps.run(seq);
    this.stmt.wipeEvents.run(seq);
    this.stmt.wipeLog.run(seq);
  }

  /** Deletes instance `seq` with everything it recorded, and remembers the deletion. */
  deleteInstance(seq: number, now: number): void {
    this.stmt.remember.run(now, seq);
    this.eraseHistory(seq);
    this.stmt.deleteInstance.run(seq);
  }
}
