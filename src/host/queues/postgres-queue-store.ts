// The queue table on the engine's PostgreSQL server, in the engine's schema (`?schema=` of the
// storage URL, else "cairn"). Several processes may share it: the table is created under an
// advisory lock so that processes starting together do not trip over each other, and a claim
// skips rows another process has locked (`FOR UPDATE SKIP LOCKED`), so two consumers never take
// the same message while its lease runs.

import type pg from "pg";
import { openPartTable } from "../postgres-part-table.js";
import type { ContentType } from "./message-encoding.js";
import type { Backlog, Claim, NewMessage, QueueStore, Settlement, StoredMessage } from "./queue-store.js";

/** The queue table needs few connections: sends, one claim at a time per queue, settlements. */
const POOL_SIZE = 4;

type Row = {
  id: string;
  queue: string;
  body: Buffer;
  content_type: string;
  sent_at: string;
  visible_at: string;
  attempts: number;
  lease_owner: string | null;
  seq: string;
};

/** A stored message with its place in the order of sends. */
type Sequenced = StoredMessage & { seq: number };

function toMessage(row: Row): Sequenced {
  return {
    seq: Number(row.seq),
    id: row.id,
    queue: row.queue,
    body: row.body,
    contentType: row.content_type as ContentType,
    sentAt: Number(row.sent_at),
    visibleAt: Number(row.visible_at),
    attempts: row.attempts,
    leaseOwner: row.lease_owner,
  };
}

/** Due first, then sent first (a batch's messages in the order they were given). */
function inDeliveryOrder(rows: Row[]): StoredMessage[] {
  return rows
    .map(toMessage)
    .sort((a, b) => a.visibleAt - b.visibleAt || a.seq - b.seq)
    .map(({ seq: _seq, ...message }) => message);
}

export class PostgresQueueStore implements QueueStore {
  private readonly pool: pg.Pool;
  private readonly table: string;

  private constructor(pool: pg.Pool, table: string) {
    this.pool = pool;
    this.table = table;
  }

  /** Connects to the server of `url` and makes the table if it is not there yet. */
  static async open(url: string): Promise<PostgresQueueStore> {
    const { pool, table } = await openPartTable(url, {
      name: "queue_messages",
      what: "the queue table",
      poolSize: POOL_SIZE,
      create: [
        `CREATE TABLE IF NOT EXISTS {table} (
          id text PRIMARY KEY,
          seq bigserial,
          queue text NOT NULL,
          body bytea NOT NULL,
          content_type text NOT NULL,
          sent_at bigint NOT NULL,
          visible_at bigint NOT NULL,
          attempts integer NOT NULL DEFAULT 0,
          lease_owner text)`,
        "CREATE INDEX IF NOT EXISTS queue_messages_due ON {table} (queue, visible_at)",
      ],
    });
    return new PostgresQueueStore(pool, table);
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async insert(messages: NewMessage[]): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.table} (id, queue, body, content_type, sent_at, visible_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::text[], $5::bigint[], $6::bigint[])`,
      [
        messages.map((m) => m.id),
        messages.map((m) => m.queue),
        messages.map((m) => m.body),
        messages.map((m) => m.contentType),
        messages.map((m) => m.sentAt),
        messages.map((m) => m.visibleAt),
      ],
    );
  }

  async backlog(queue: string, now: number, limit: number): Promise<Backlog> {
    const { rows } = await this.pool.query(
      `SELECT
         (SELECT count(*) FROM (SELECT 1 FROM ${this.table} WHERE queue = $1 AND visible_at <= $2
            LIMIT $3) r)::int AS ready,
         (SELECT min(visible_at) FROM ${this.table} WHERE queue = $1 AND visible_at <= $2) AS oldest,
         (SELECT min(visible_at) FROM ${this.table} WHERE queue = $1 AND visible_at > $2) AS next`,
      [queue, now, limit],
    );
    const row = rows[0] as { ready: number; oldest: string | null; next: string | null };
    return {
      ready: row.ready,
      oldestReadyAt: row.oldest === null ? null : Number(row.oldest),
      nextVisibleAt: row.next === null ? null : Number(row.next),
    };
  }

  async claim(
    queue: string,
    now: number,
    limit: number,
    owner: string,
    leaseUntil: number,
  ): Promise<StoredMessage[]> {
    const { rows } = await this.pool.query(
      `UPDATE ${this.table} SET attempts = attempts + 1, lease_owner = $4, visible_at = $5
       WHERE id IN (
         SELECT id FROM ${this.table} WHERE queue = $1 AND visible_at <= $2
         ORDER BY visible_at, seq LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [queue, now, limit, owner, leaseUntil],
    );
    return inDeliveryOrder(rows as Row[]);
  }

  async renew(claims: Claim[], owner: string, leaseUntil: number): Promise<void> {
    if (claims.length === 0) return;
    await this.pool.query(
      `UPDATE ${this.table} t SET visible_at = $1
       FROM unnest($2::text[], $3::int[]) AS c(id, attempts)
       WHERE t.id = c.id AND t.attempts = c.attempts AND t.lease_owner = $4`,
      [leaseUntil, claims.map((c) => c.id), claims.map((c) => c.attempts), owner],
    );
  }

  async settle(owner: string, settlement: Settlement, now: number): Promise<void> {
    const fenced = (claims: Claim[]) => [claims.map((c) => c.id), claims.map((c) => c.attempts), owner];
    await this.transaction(async (client) => {
      if (settlement.acked.length > 0) {
        await client.query(`DELETE FROM ${this.table} WHERE id = ANY($1::text[])`, [
          settlement.acked.map((c) => c.id),
        ]);
      }
      if (settlement.retried.length > 0) {
        await client.query(
          `UPDATE ${this.table} t SET visible_at = c.visible_at, lease_owner = NULL
           FROM unnest($1::text[], $2::int[], $4::bigint[]) AS c(id, attempts, visible_at)
           WHERE t.id = c.id AND t.attempts = c.attempts AND t.lease_owner = $3`,
          [...fenced(settlement.retried), settlement.retried.map((c) => c.visibleAt)],
        );
      }
      if (settlement.deadLettered.length > 0) {
        await client.query(
          `UPDATE ${this.table} t SET queue = c.queue, visible_at = $5, attempts = 0, lease_owner = NULL
           FROM unnest($1::text[], $2::int[], $4::text[]) AS c(id, attempts, queue)
           WHERE t.id = c.id AND t.attempts = c.attempts AND t.lease_owner = $3`,
          [...fenced(settlement.deadLettered), settlement.deadLettered.map((c) => c.queue), now],
        );
      }
      if (settlement.dropped.length > 0) {
        await client.query(
          `DELETE FROM ${this.table} t USING unnest($1::text[], $2::int[]) AS c(id, attempts)
           WHERE t.id = c.id AND t.attempts = c.attempts AND t.lease_owner = $3`,
          fenced(settlement.dropped),
        );
      }
    });
  }

  async release(claims: Claim[], owner: string, now: number): Promise<void> {
    if (claims.length === 0) return;
    await this.pool.query(
      `UPDATE ${this.table} t SET visible_at = $1, lease_owner = NULL
       FROM unnest($2::text[], $3::int[]) AS c(id, attempts)
       WHERE t.id = c.id AND t.attempts = c.attempts AND t.lease_owner = $4`,
      [now, claims.map((c) => c.id), claims.map((c) => c.attempts), owner],
    );
  }

  async list(queue: string): Promise<StoredMessage[]> {
    const { rows } = await this.pool.query(`SELECT * FROM ${this.table} WHERE queue = $1`, [queue]);
    return inDeliveryOrder(rows as Row[]);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
