// Claiming work and holding it on PostgreSQL. A claim runs in one transaction: expired leases
// first (a pause in progress whose runner died settles as paused), then due waiting instances,
// then queued ones oldest first, within the caller's slots. Candidates are locked FOR UPDATE SKIP
// LOCKED, so processes claiming at once take disjoint sets. Lease renewal and release live here too.

import { decideOrphan, decideRenewal, decideTake, storeSignals } from "../lifecycle.js";
import { logDataText } from "../records.js";
import type { Claim, ClaimRequest, Fence, LogInput, StoredStatus, StoreSignal } from "../types.js";
import type { Tables } from "./connection.js";
import type { Database, Row, Tx } from "./database.js";
import type { LeaseTime } from "./lease-time.js";
import { num, toInstance } from "./rows.js";

type Candidate = { seq: number; workflow: string; status: StoredStatus; order: number; fresh: boolean };

/** Log entries of several instances, as the parallel arrays the log statement unnests. */
class LogBatch {
  readonly seqs: number[] = [];
  readonly types: string[] = [];
  readonly data: (string | null)[] = [];

  add(seq: number, entries: LogInput[]): void {
    for (const e of entries) {
      this.seqs.push(seq);
      this.types.push(e.type);
      this.data.push(logDataText(e));
    }
  }
}

/** Claims runnable instances for one process, in one transaction per claim. */
export class Claims {
  private readonly db: Database;
  private readonly sql;
  private readonly lease: LeaseTime;

  constructor(db: Database, t: Tables, lease: LeaseTime) {
    this.db = db;
    this.lease = lease;
    // Per workflow, its first `n` candidates, locked; workflows without slots are not asked.
    const perWorkflow = (where: string, orderBy: string, sortKey: string) => `
      SELECT c.seq, c.workflow, c.status, c.sort_key, c.fresh
      FROM unnest($1::text[], $2::int[]) AS w(name, n)
      CROSS JOIN LATERAL (
        SELECT seq, workflow, status, ${sortKey} AS sort_key, started_at IS NULL AS fresh FROM ${t.instances}
        WHERE workflow = w.name AND ${where}
        ORDER BY ${orderBy} LIMIT w.n FOR UPDATE SKIP LOCKED
      ) AS c`;
    this.sql = {
      // Leases of any owner, this one included: a lease this process let expire (its renewal
      // failed while the database was away) is taken again, and the engine drops the old runner.
      // Only running orphans of the workflows asked for (others would fill the window and starve
      // them); a pause in progress settles whatever its workflow. Expiry is judged by the lease
      // clock (see lease-time.ts), never by the caller's wall clock unless told to.
      orphans: `SELECT seq, workflow, status FROM ${t.instances}
        WHERE status IN ('running', 'waitingForPause') AND lease_expires_at <= ${lease.now(4)}
          AND (status = 'waitingForPause' OR workflow = ANY($2::text[]))
          AND (affinity IS NULL OR affinity = $3)
        ORDER BY lease_expires_at, seq LIMIT $1 FOR UPDATE SKIP LOCKED`,
      pauseOrphans: `UPDATE ${t.instances} SET status = $3, paused_at = $2, lease_owner = NULL,
          lease_expires_at = NULL, epoch = epoch + 1, updated_at = $2
        WHERE seq = ANY($1::bigint[])`,
      // An instance whose affinity names another owner is left to that owner.
      waking: perWorkflow(
        "status = 'waiting' AND wake_at <= $3 AND (affinity IS NULL OR affinity = $4)",
        "wake_at, seq",
        "wake_at",
      ),
      queued: perWorkflow("status = 'queued' AND (affinity IS NULL OR affinity = $3)", "seq", "seq"),
      take: `UPDATE ${t.instances} SET status = $5, started_at = coalesce(started_at, $2),
          lease_owner = $3, lease_expires_at = ${lease.now(6)} + $4::bigint, epoch = epoch + 1, wake_at = NULL, wait_types = NULL,
          updated_at = $2
        WHERE seq = ANY($1::bigint[]) RETURNING *`,
      // Renews the leases still held as given (for $3 ms more), and reports every instance asked about.
      renew: `WITH f AS (SELECT * FROM unnest($1::bigint[], $2::int[]) AS f(seq, epoch)),
        u AS (UPDATE ${t.instances} AS i SET lease_expires_at = ${lease.now(5)} + $3::bigint FROM f
          WHERE i.seq = f.seq AND i.epoch = f.epoch AND i.lease_owner = $4 RETURNING i.seq)
        SELECT i.workflow, i.id, i.status, (u.seq IS NOT NULL) AS renewed
        FROM f JOIN ${t.instances} AS i ON i.seq = f.seq LEFT JOIN u ON u.seq = f.seq`,
      release: `WITH u AS (UPDATE ${t.instances} SET lease_owner = NULL, lease_expires_at = ${lease.now(6)}, updated_at = $3
          WHERE seq = $1 AND epoch = $2 AND status IN ('running', 'waitingForPause') RETURNING 1)
        SELECT pg_notify($4, $5) FROM u`,
      // Instances the caller just created, in seq order, within its slots: one statement that
      // locks, takes and logs them. One with an older queued instance of its workflow (outside
      // the set) is left to a full claim, which keeps the queue's order.
      created: `WITH c AS (
          SELECT i.seq, i.started_at IS NULL AS fresh FROM ${t.instances} AS i
          WHERE i.seq = ANY($1::bigint[]) AND i.workflow = $6 AND i.status = 'queued'
            AND (i.affinity IS NULL OR i.affinity = $3)
            AND NOT EXISTS (SELECT 1 FROM ${t.instances} AS q
              WHERE q.workflow = $6 AND q.status = 'queued' AND q.seq < i.seq AND q.seq <> ALL($1::bigint[])
                AND (q.affinity IS NULL OR q.affinity = $3))
          ORDER BY i.seq LIMIT $7 FOR UPDATE SKIP LOCKED),
        taken AS (UPDATE ${t.instances} AS i SET status = $5, started_at = coalesce(started_at, $2),
            lease_owner = $3, lease_expires_at = ${lease.now(10)} + $4::bigint, epoch = epoch + 1,
            wake_at = NULL, wait_types = NULL, updated_at = $2
          FROM c WHERE i.seq = c.seq RETURNING i.*, c.fresh AS claim_fresh),
        logged AS (INSERT INTO ${t.log} (instance_seq, at, type, data)
          SELECT taken.seq, $2, e.type, e.data FROM taken
          CROSS JOIN unnest($8::text[], $9::text[]) WITH ORDINALITY AS e(type, data, ord)
          ORDER BY taken.seq, e.ord)
        SELECT * FROM taken ORDER BY seq`,
      // Instances the caller just made due (its event woke them), earliest due first, within its
      // slots: one statement that locks and takes them (waking logs nothing). One with an
      // instance of its workflow due earlier (outside the set) is left to a full claim.
      woken: `WITH c AS (
          SELECT i.seq FROM ${t.instances} AS i
          WHERE i.seq = ANY($1::bigint[]) AND i.workflow = $6 AND i.status = 'waiting' AND i.wake_at <= $2
            AND (i.affinity IS NULL OR i.affinity = $3)
            AND NOT EXISTS (SELECT 1 FROM ${t.instances} AS q
              WHERE q.workflow = $6 AND q.status = 'waiting' AND q.wake_at < i.wake_at
                AND q.seq <> ALL($1::bigint[]) AND (q.affinity IS NULL OR q.affinity = $3))
          ORDER BY i.wake_at, i.seq LIMIT $7 FOR UPDATE SKIP LOCKED)
        UPDATE ${t.instances} AS i SET status = $5, lease_owner = $3,
            lease_expires_at = ${lease.now(8)} + $4::bigint, epoch = epoch + 1, wake_at = NULL,
            wait_types = NULL, updated_at = $2
          FROM c WHERE i.seq = c.seq RETURNING i.*`,
      log: `INSERT INTO ${t.log} (instance_seq, at, type, data)
        SELECT u.seq, $2, u.type, u.data FROM unnest($1::bigint[], $3::text[], $4::text[])
          WITH ORDINALITY AS u(seq, type, data, ord)
        ORDER BY u.ord`,
    };
  }

  claim(req: ClaimRequest): Promise<Claim[]> {
    if (req.created) return this.claimCreated(req, req.created);
    if (req.woken) return this.claimWoken(req, req.woken);
    return this.db.tx("claiming instances", (tx) => this.run(tx, req));
  }

  /** Takes instances the caller just created, in one statement (see `created` above). */
  private async claimCreated(
    req: ClaimRequest,
    created: { workflow: string; seqs: number[] },
  ): Promise<Claim[]> {
    const limit = Math.min(req.slots[created.workflow] ?? 0, req.total);
    if (limit <= 0 || created.seqs.length === 0) return [];
    const d = decideTake("queued");
    const rows = await this.db.write("claiming created instances", this.sql.created, [
      created.seqs,
      req.now,
      req.owner,
      req.leaseMs,
      d.status,
      created.workflow,
      limit,
      d.log.map((e) => e.type),
      d.log.map((e) => logDataText(e)),
      ...this.lease.args(req.now),
    ]);
    return rows.map((row) => ({
      instance: toInstance(row) as Claim["instance"],
      waking: false,
      fresh: row.claim_fresh === true,
    }));
  }

  /** Takes instances the caller just made due, in one statement (see `woken` above). */
  private async claimWoken(req: ClaimRequest, woken: { workflow: string; seqs: number[] }): Promise<Claim[]> {
    const limit = Math.min(req.slots[woken.workflow] ?? 0, req.total);
    if (limit <= 0 || woken.seqs.length === 0) return [];
    const d = decideTake("waiting");
    if (d.log.length > 0)
      throw new Error("a woken instance's claim logs nothing: its statement writes no log");
    const rows = await this.db.write("claiming woken instances", this.sql.woken, [
      woken.seqs,
      req.now,
      req.owner,
      req.leaseMs,
      d.status,
      woken.workflow,
      limit,
      ...this.lease.args(req.now),
    ]);
    rows.sort((a, b) => num(a.seq) - num(b.seq));
    return rows.map((row) => ({
      instance: toInstance(row) as Claim["instance"],
      waking: true,
      fresh: false,
    }));
  }

  private async run(tx: Tx, req: ClaimRequest): Promise<Claim[]> {
    let total = req.total;
    const slots = { ...req.slots };
    const chosen: { seq: number; waking: boolean; fresh: boolean; recovered: boolean }[] = [];
    const log = new LogBatch();
    const pick = (c: Candidate, recovered = false) => {
      if (total <= 0 || (slots[c.workflow] ?? 0) <= 0) return;
      const d = decideTake(c.status);
      const waking = d.outcome === "woken";
      // Never started (created, or restarted from the top): no journal and no stored state yet.
      chosen.push({ seq: c.seq, waking, fresh: !waking && c.fresh, recovered });
      log.add(c.seq, d.log);
      total -= 1;
      slots[c.workflow] = (slots[c.workflow] ?? 0) - 1;
    };

    const asked = Object.keys(slots).filter((w) => (slots[w] ?? 0) > 0);
    const window = Math.max(total, 1) * 4 + 16;
    const orphans = (
      await tx.query(this.sql.orphans, [window, asked, req.owner, ...this.lease.args(req.now)])
    ).map(candidate);
    // Orphans whose decision is to pause: one statement for all of them (they decide alike).
    const paused = orphans.filter((o) => decideOrphan(o.status).outcome === "paused");
    const [first] = paused;
    if (first) {
      const d = decideOrphan(first.status);
      const pausedLog = new LogBatch();
      for (const o of paused) pausedLog.add(o.seq, d.log);
      await tx.query(this.sql.pauseOrphans, [paused.map((o) => o.seq), req.now, d.status]);
      if (pausedLog.seqs.length > 0) await this.writeLog(tx, pausedLog, req.now);
    }
    for (const o of orphans) if (decideOrphan(o.status).outcome === "taken") pick(o, true);

    // Each workflow's first candidates, merged so that the total cap goes to the earliest due
    // (then the oldest queued) across workflows, not to whichever workflow is listed first.
    const inOrder = async (sql: string, extra: unknown[]) => {
      const names = Object.keys(slots).filter((w) => Math.min(slots[w] ?? 0, total) > 0);
      if (names.length === 0) return;
      const limits = names.map((w) => Math.min(slots[w] ?? 0, total));
      const rows = (await tx.query(sql, [names, limits, ...extra])).map(candidate);
      rows.sort((a, b) => a.order - b.order || a.seq - b.seq);
      for (const c of rows) pick(c);
    };
    await inOrder(this.sql.waking, [req.now, req.owner]);
    await inOrder(this.sql.queued, [req.owner]);
    if (chosen.length === 0) return [];

    const seqs = chosen.map((c) => c.seq);
    const running = decideTake("queued").status;
    const takeArgs = [seqs, req.now, req.owner, req.leaseMs, running, ...this.lease.args(req.now)];
    const taken = await tx.query(this.sql.take, takeArgs);
    const bySeq = new Map<number, Row>(taken.map((r) => [num(r.seq), r]));
    if (log.seqs.length > 0) await this.writeLog(tx, log, req.now);
    return chosen.flatMap((c) => {
      const row = bySeq.get(c.seq);
      return row
        ? [
            {
              instance: toInstance(row) as Claim["instance"],
              waking: c.waking,
              fresh: c.fresh,
              ...(c.recovered ? { recovered: true } : {}),
            },
          ]
        : [];
    });
  }

  /**
   * Renews the leases `owner` still holds as given, for `leaseMs` from the lease clock's now;
   * returns the signals their runners must get (see decideRenewal), about every instance asked about.
   */
  async renewLeases(owner: string, fences: Fence[], now: number, leaseMs: number): Promise<StoreSignal[]> {
    const rows = await this.db.write("renewing leases", this.sql.renew, [
      fences.map((f) => f.seq),
      fences.map((f) => f.epoch),
      leaseMs,
      owner,
      ...this.lease.args(now),
    ]);
    return rows.flatMap((r) => {
      const d = decideRenewal(r.status as StoredStatus, r.renewed === true);
      return storeSignals(d.signals, { workflow: r.workflow as string, id: r.id as string });
    });
  }

  /** Drops a lease without changing status and sends `wakePayload`: the instance is claimable at once. */
  async releaseLease(fence: Fence, now: number, wakePayload: string): Promise<void> {
    const values = [fence.seq, fence.epoch, now, this.db.channel, wakePayload, ...this.lease.args(now)];
    await this.db.write("releasing a lease", this.sql.release, values);
  }

  private async writeLog(tx: Tx, log: LogBatch, now: number): Promise<void> {
    await tx.query(this.sql.log, [log.seqs, now, log.types, log.data]);
  }
}

function candidate(row: Row): Candidate {
  return {
    seq: num(row.seq),
    workflow: row.workflow as string,
    status: row.status as StoredStatus,
    order: num(row.sort_key ?? 0),
    fresh: row.fresh === true,
  };
}
