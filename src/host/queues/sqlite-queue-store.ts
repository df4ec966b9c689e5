// The queue table in a SQLite file of its own (`<stateDir>/queues.sqlite`), for projects whose
// engine runs on SQLite. WAL with synchronous=FULL makes every committed send survive a crash of
// the process or the machine. One process owns the state folder (the engine's lock sees to it), so
// at start every lease left in the file belongs to a dead process and is released at once.

import type Database from "better-sqlite3";
import { openStateDatabase } from "../state-database.js";
import type { ContentType } from "./message-encoding.js";
import type { Backlog, Claim, NewMessage, QueueStore, Settlement, StoredMessage } from "./queue-store.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS queue_messages (
  id TEXT PRIMARY KEY,
  queue TEXT NOT NULL,
  body BLOB NOT NULL,
  content_type TEXT NOT NULL,
  sent_at INTEGER NOT NULL,
  visible_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT
);
CREATE INDEX IF NOT EXISTS queue_messages_due ON queue_messages (queue, visible_at);
`;

type Row = {
  id: string;
  queue: string;
  body: Buffer;
  content_type: string;
  sent_at: number;
  visible_at: number;
  attempts: number;
  lease_owner: string | null;
};

function toMessage(row: Row): StoredMessage {
  return {
    id: row.id,
    queue: row.queue,
    body: row.body,
    contentType: row.content_type as ContentType,
    sentAt: row.sent_at,
    visibleAt: row.visible_at,
    attempts: row.attempts,
    leaseOwner: row.lease_owner,
  };
}

export class SqliteQueueStore implements QueueStore {
  private readonly db: Database.Database;
  private readonly stmt;

  constructor(file: string) {
    this.db = openStateDatabase(file);
    this.db.exec(SCHEMA);
    this.stmt = {
      insert: this.db.prepare(
        `INSERT INTO queue_messages (id, queue, body, content_type, sent_at, visible_at)
         VALUES (@id, @queue, @body, @contentType, @sentAt, @visibleAt)`,
      ),
      ready: this.db.prepare(
        `SELECT count(*) AS ready, min(visible_at) AS oldest FROM (
           SELECT visible_at FROM queue_messages WHERE queue = ? AND visible_at <= ?
           ORDER BY visible_at LIMIT ?)`,
      ),
      next: this.db.prepare(
        "SELECT min(visible_at) AS next FROM queue_messages WHERE queue = ? AND visible_at > ?",
      ),
      due: this.db.prepare(
        `SELECT id FROM queue_messages WHERE queue = ? AND visible_at <= ?
         ORDER BY visible_at, rowid LIMIT ?`,
      ),
      take: this.db.prepare(
        `UPDATE queue_messages SET attempts = attempts + 1, lease_owner = ?, visible_at = ?
         WHERE id = ? RETURNING *`,
      ),
      renew: this.db.prepare(
        "UPDATE queue_messages SET visible_at = ? WHERE id = ? AND lease_owner = ? AND attempts = ?",
      ),
      remove: this.db.prepare("DELETE FROM queue_messages WHERE id = ?"),
      retry: this.db.prepare(
        `UPDATE queue_messages SET visible_at = ?, lease_owner = NULL
         WHERE id = ? AND lease_owner = ? AND attempts = ?`,
      ),
      move: this.db.prepare(
        `UPDATE queue_messages SET queue = ?, visible_at = ?, attempts = 0, lease_owner = NULL
         WHERE id = ? AND lease_owner = ? AND attempts = ?`,
      ),
      drop: this.db.prepare("DELETE FROM queue_messages WHERE id = ? AND lease_owner = ? AND attempts = ?"),
      releaseAll: this.db.prepare(
        "UPDATE queue_messages SET visible_at = ?, lease_owner = NULL WHERE lease_owner IS NOT NULL",
      ),
      list: this.db.prepare("SELECT * FROM queue_messages WHERE queue = ? ORDER BY visible_at, rowid"),
    };
  }

  /** At start: leases in the file were held by a process that is gone. */
  releaseAll(now: number): void {
    this.stmt.releaseAll.run(now);
  }

  async insert(messages: NewMessage[]): Promise<void> {
    this.db.transaction(() => {
      for (const m of messages) this.stmt.insert.run(m);
    })();
  }

  async backlog(queue: string, now: number, limit: number): Promise<Backlog> {
    const ready = this.stmt.ready.get(queue, now, limit) as { ready: number; oldest: number | null };
    const next = this.stmt.next.get(queue, now) as { next: number | null };
    return { ready: ready.ready, oldestReadyAt: ready.oldest, nextVisibleAt: next.next };
  }

  async claim(
    queue: string,
    now: number,
    limit: number,
    owner: string,
    leaseUntil: number,
  ): Promise<StoredMessage[]> {
    return this.db.transaction(() => {
      const ids = this.stmt.due.all(queue, now, limit) as { id: string }[];
      return ids.map(({ id }) => toMessage(this.stmt.take.get(owner, leaseUntil, id) as Row));
    })();
  }

  async renew(claims: Claim[], owner: string, leaseUntil: number): Promise<void> {
    this.db.transaction(() => {
      for (const c of claims) this.stmt.renew.run(leaseUntil, c.id, owner, c.attempts);
    })();
  }

  async settle(owner: string, settlement: Settlement, now: number): Promise<void> {
    this.db.transaction(() => {
      for (const c of settlement.acked) this.stmt.remove.run(c.id);
      for (const c of settlement.retried) this.stmt.retry.run(c.visibleAt, c.id, owner, c.attempts);
      for (const c of settlement.deadLettered) this.stmt.move.run(c.queue, now, c.id, owner, c.attempts);
      for (const c of settlement.dropped) this.stmt.drop.run(c.id, owner, c.attempts);
    })();
  }

  async release(claims: Claim[], owner: string, now: number): Promise<void> {
    this.db.transaction(() => {
      for (const c of claims) this.stmt.retry.run(now, c.id, owner, c.attempts);
    })();
  }

  async list(queue: string): Promise<StoredMessage[]> {
    return (this.stmt.list.all(queue) as Row[]).map(toMessage);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
