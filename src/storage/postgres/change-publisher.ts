// Tells the other processes on a shared PostgreSQL about the changes this one made, for live
// views (a dashboard served by a process that runs nothing). Changes are gathered for a few
// milliseconds and sent as few NOTIFYs as their size allows, in one statement off the write
// path, so that a thousand instances finishing at once cost one round trip, not a thousand.

import type { PublishedChange } from "../types.js";
import type { Database } from "./database.js";
import { encodeChanges, wireChange } from "./signals.js";

/** How long changes are gathered before they are sent. */
export const PUBLISH_EVERY_MS = 50;
/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; leave room for the envelope. */
const MAX_PAYLOAD_BYTES = 7_500;

export class ChangePublisher {
  private readonly db: Database;
  private readonly origin: string;
  private pending: PublishedChange[] = [];
  private timer: NodeJS.Timeout | null = null;
  private sending: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(db: Database, origin: string) {
    this.db = db;
    this.origin = origin;
  }

  /** Queues a change; it is sent within PUBLISH_EVERY_MS. */
  add(change: PublishedChange): void {
    if (this.stopped) return;
    this.pending.push(change);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, PUBLISH_EVERY_MS);
    this.timer.unref();
  }

  /** Sends what is queued now (after any send in progress). */
  flush(): Promise<void> {
    const changes = this.pending;
    this.pending = [];
    if (changes.length === 0) return this.sending;
    const payloads = this.payloads(changes);
    this.sending = this.sending
      .then(() =>
        this.db.write("publishing changes", "SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", [
          this.db.channel,
          payloads,
        ]),
      )
      // Best effort: a watcher that missed a change finds it again when it catches up.
      .then(
        () => {},
        () => {},
      );
    return this.sending;
  }

  /** Sends what is queued and stops taking more (the store is closing). */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // Stopped first: a change added while the last flush runs must not arm a timer that would
    // write to a pool about to end.
    this.stopped = true;
    await this.flush();
  }

  /** The changes in as few payloads as fit under the NOTIFY size limit. */
  private payloads(changes: PublishedChange[]): string[] {
    const payloads: string[] = [];
    let batch: ReturnType<typeof wireChange>[] = [];
    let bytes = 0;
    for (const change of changes) {
      const wire = wireChange(change);
      const size = Buffer.byteLength(JSON.stringify(wire)) + 1;
      if (batch.length > 0 && bytes + size > MAX_PAYLOAD_BYTES) {
        payloads.push(encodeChanges(this.origin, batch));
        batch = [];
        bytes = 0;
      }
      batch.push(wire);
      bytes += size;
    }
    if (batch.length > 0) payloads.push(encodeChanges(this.origin, batch));
    return payloads;
  }
}
