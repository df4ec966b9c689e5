// Claiming work on SQLite, run on the writer thread: expired leases first (a pause in progress
// whose runner died settles as paused), then due waiting instances, then queued ones oldest first,
// within the caller's per-workflow and total slots; and renewing and releasing leases.

import type Database from "better-sqlite3";
import { decideOrphan, decideTake } from "../lifecycle.js";
import type { Claim, ClaimRequest, Fence, StoredStatus } from "../types.js";
import type { LogWriter } from "./log-writer.js";
import { type InstanceRow, toInstance } from "./rows.js";
import { prepareAll } from "./statements.js";

/**
 * Running orphans of the workflows asked for (others would fill the window and starve them); a
 * pause in progress settles whatever its workflow. The status term stays as written so that the
 * partial index instances_leased serves the query (a test checks the plan).
 */
export const EXPIRED_LEASES_SQL = `SELECT seq, workflow, status FROM instances WHERE status IN ('running', 'waitingForPause')
           AND lease_expires_at <= ?
           AND (status = 'waitingForPause' OR workflow IN (SELECT value FROM json_each(?)))
           AND (lease_owner IS NULL OR lease_owner <> ?) AND (affinity IS NULL OR affinity = ?)
           ORDER BY lease_expires_at LIMIT ?`;

/** A claimable instance as the candidate queries return it. */
type Candidate = { seq: number; workflow: string; status: StoredStatus; started_at?: number | null };
type DueRow = Candidate & { wake_at: number };
type QueuedRow = Candidate & { started_at: number | null };

/** Claims, lease renewals and releases. */
export class SqliteClaims {
  private readonly log: LogWriter;
  private readonly stmt;

  constructor(db: Database.Database, log: LogWriter) {
    this.log = log;
    this.stmt = prepareAll(db, {
      expiredLeases: EXPIRED_LEASES_SQL,
      // An instance whose affinity names another owner is left to that owner.
      dueWaiting: `SELECT seq, workflow, status, wake_at FROM instances
        WHERE status = 'waiting' AND wake_at <= ? AND workflow = ? AND (affinity IS NULL OR affinity = ?)
        ORDER BY wake_at LIMIT ?`,
      queued: `SELECT seq, workflow, status, started_at FROM instances
        WHERE workflow = ? AND status = 'queued' AND (affinity IS NULL OR affinity = ?) ORDER BY seq LIMIT ?`,
      take: `UPDATE instances SET status = @status, started_at = coalesce(started_at, @now), lease_owner = @owner,
           lease_expires_at = @until, epoch = epoch + 1, wake_at = NULL, wait_types = NULL, updated_at = @now
         WHERE seq = @seq RETURNING *`,
      pauseOrphan: `UPDATE instances SET status = ?, paused_at = ?, lease_owner = NULL, lease_expires_at = NULL,
           epoch = epoch + 1, updated_at = ? WHERE seq = ?`,
      renew: "UPDATE instances SET lease_expires_at = ? WHERE seq = ? AND epoch = ? AND lease_owner = ?",
      release: `UPDATE instances SET lease_owner = NULL, lease_expires_at = ?, updated_at = ?
         WHERE seq = ? AND epoch = ? AND status IN ('running', 'waitingForPause')`,
      releaseAll: `UPDATE instances SET lease_expires_at = 0, lease_owner = NULL
         WHERE status IN ('running', 'waitingForPause')`,
    });
  }

  /** Claims waking instances first, then queued ones oldest first, within the request's slots. */
  claim(req: ClaimRequest): Claim[] {
    const claims: Claim[] = [];
    let total = req.total;
    const slots = { ...req.slots };
    const until = req.now + req.leaseMs;
    const hasSlot = (workflow: string) => total > 0 && (slots[workflow] ?? 0) > 0;
    const take = (c: Candidate, fresh: boolean, recovered = false) => {
      const d = decideTake(c.status);
      const row = this.stmt.take.get({ status: d.status, now: req.now, owner: req.owner, until, seq: c.seq });
      this.log.write(c.seq, d.log, req.now);
      const instance = toInstance(row as InstanceRow) as Claim["instance"];
      claims.push({ instance, waking: d.outcome === "woken", fresh, ...(recovered ? { recovered } : {}) });
      total -= 1;
      slots[c.workflow] = (slots[c.workflow] ?? 0) - 1;
    };

    const asked = JSON.stringify(Object.keys(slots).filter((w) => (slots[w] ?? 0) > 0));
    const window = Math.max(total, 1) * 4 + 16;
    const orphans = this.stmt.expiredLeases.all(req.now, asked, req.owner, req.owner, window) as Candidate[];
    for (const o of orphans) {
      const d = decideOrphan(o.status);
      if (d.outcome === "paused") {
        this.stmt.pauseOrphan.run(d.status, req.now, req.now, o.seq);
        this.log.write(o.seq, d.log, req.now);
      } else if (hasSlot(o.workflow)) {
        take(o, false, true);
      }
    }

    // Each workflow's first candidates, merged so that the total cap goes to the earliest due
    // (then the oldest queued) across workflows, not to whichever workflow is listed first.
    const takeInOrder = <R extends Candidate>(
      pick: (workflow: string, n: number) => R[],
      order: (r: R) => number,
    ) => {
      const rows: R[] = [];
      for (const workflow of Object.keys(slots)) {
        const n = Math.min(slots[workflow] ?? 0, total);
        if (n > 0) rows.push(...pick(workflow, n));
      }
      rows.sort((a, b) => order(a) - order(b) || a.seq - b.seq);
      // Never started (created, or restarted from the top): no journal and no stored state yet.
      for (const r of rows) if (hasSlot(r.workflow)) take(r, r.status === "queued" && r.started_at === null);
    };
    takeInOrder(
      (w, n) => this.stmt.dueWaiting.all(req.now, w, req.owner, n) as DueRow[],
      (r) => r.wake_at,
    );
    takeInOrder(
      (w, n) => this.stmt.queued.all(w, req.owner, n) as QueuedRow[],
      (r) => r.seq,
    );
    return claims;
  }

  /** Extends the leases `owner` still holds as given. */
  renewLeases(owner: string, fences: Fence[], until: number): void {
    for (const f of fences) this.stmt.renew.run(until, f.seq, f.epoch, owner);
  }

  /** Drops a lease without changing status: the instance is claimable at once. */
  releaseLease(fence: Fence, now: number): void {
    this.stmt.release.run(now, now, fence.seq, fence.epoch);
  }

  /** Single-process stores only: at open every lease belongs to a dead process. */
  releaseAllLeases(): void {
    this.stmt.releaseAll.run();
  }
}
