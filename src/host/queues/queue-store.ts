// Where queued messages live until they are acknowledged: a table in the store the engine uses
// (a SQLite file beside it, or its PostgreSQL server). Each method is one atomic transition.
//
// Glossary:
// - visible_at: the time from which a message may be delivered. A send's delay, a retry's delay
//   and an in-flight batch's lease all work by moving it forward.
// - lease: a delivered message belongs to one process (`lease_owner`) until `visible_at`; the
//   process renews it while the handler runs. A process killed mid-batch stops renewing, so the
//   messages become visible again when the lease runs out and are delivered again.
// - attempts: how many times a message was handed to a consumer, counted when it is claimed, so
//   a delivery cut short by a crash counts too.

import type { ContentType } from "./message-encoding.js";

export type NewMessage = {
  id: string;
  queue: string;
  body: Buffer;
  contentType: ContentType;
  /** When the message was sent (ms since the epoch): its `timestamp`. */
  sentAt: number;
  visibleAt: number;
};

/** A message as stored; after a claim, `attempts` includes the delivery being made. */
export type StoredMessage = NewMessage & { attempts: number; leaseOwner: string | null };

/** What waits on a queue: up to `limit` deliverable messages, and when the next one will be. */
export type Backlog = {
  /** Messages deliverable now, counted up to the limit asked for. */
  ready: number;
  /** When the longest-waiting deliverable message became deliverable. */
  oldestReadyAt: number | null;
  /** When the next message not yet deliverable becomes so. */
  nextVisibleAt: number | null;
};

/** One claimed message, named by its id and the attempt it was claimed for (a fence). */
export type Claim = { id: string; attempts: number };

/** What became of a delivered batch's messages. */
export type Settlement = {
  acked: Claim[];
  retried: (Claim & { visibleAt: number })[];
  /** Moved to a dead letter queue, where they start over with no attempts. */
  deadLettered: (Claim & { queue: string })[];
  /** Past their retries with no dead letter queue. */
  dropped: Claim[];
};

export interface QueueStore {
  /** Stores messages durably; resolves once they are committed. */
  insert(messages: NewMessage[]): Promise<void>;
  backlog(queue: string, now: number, limit: number): Promise<Backlog>;
  /**
   * Takes up to `limit` deliverable messages of `queue`, oldest first, leasing them to `owner`
   * until `leaseUntil`. Processes sharing the store never take the same message at once.
   */
  claim(
    queue: string,
    now: number,
    limit: number,
    owner: string,
    leaseUntil: number,
  ): Promise<StoredMessage[]>;
  /** Extends the lease of messages `owner` still holds. */
  renew(claims: Claim[], owner: string, leaseUntil: number): Promise<void>;
  /** Applies a batch's outcome to the messages `owner` still holds (acks apply regardless). */
  settle(owner: string, settlement: Settlement, now: number): Promise<void>;
  /** Makes messages `owner` holds deliverable again at `now`, attempts kept. */
  release(claims: Claim[], owner: string, now: number): Promise<void>;
  /** Every message of `queue` in delivery order, for inspection. */
  list(queue: string): Promise<StoredMessage[]>;
  close(): Promise<void>;
}

/** Settlement with nothing in it, to fill in. */
export function emptySettlement(): Settlement {
  return { acked: [], retried: [], deadLettered: [], dropped: [] };
}
