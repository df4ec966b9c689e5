// Claiming work on PostgreSQL: in one transaction, expired leases first (a pause in progress whose
// runner died settles as paused), then due waiting instances, then queued ones oldest first,
// within the caller's per-workflow and total slots. Candidates are locked FOR UPDATE SKIP LOCKED,
// so processes claiming at the same moment take disjoint sets and never wait for each other.

import type { Claim, ClaimRequest } from "../types.js";
import type { Tables } from "./connection.js";
import type { Database, Row, Tx } from "./database.js";
import { num, toInstance } from "./rows.js";

type Candidate = { seq: number; workflow: string; order: number; fresh: boolean };

export class Claims {
  private readonly db: Database;
  private readonly sql: Record<"orphans" | "pauseOrphans" | "waking" | "queued" | "take" | "log", string>;

  constructor(db: Database, t: Tables) {
    this.db = db;
    // Per workflow, its first `n` candidates, locked; workflows without slots are not asked.
    const perWorkflow = (where: string, orderBy: string, sortKey: string) => `
      SELECT c.seq, c.workflow, c.sort_key, c.fresh
      FROM unnest($1::text[], $2::int[]) AS w(name, n)
      CROSS JOIN LATERAL (
        SELECT seq, workflow, ${sortKey} AS sort_key, started_at IS NULL AS fresh FROM ${t.instances}
        WHERE workflow = w.name AND ${where}
        ORDER BY ${orderBy} LIMIT w.n FOR UPDATE SKIP LOCKED
      ) AS c`;
    this.sql = {
      // Leases of any owner, this one included: a lease this process let expire (its renewal
      // failed while the database was away) is taken again, and the engine drops the old runner.
      // Only running orphans of the workflows asked for (others would fill the window and starve
      // them); a pause in progress settles whatever its workflow.
      orphans: `SELECT seq, workflow, status FROM ${t.instances}
        WHERE status IN ('running', 'waitingForPause') AND lease_expires_at <= $1
          AND (status = 'waitingForPause' OR workflow = ANY($3::text[]))
        ORDER BY lease_expires_at, seq LIMIT $2 FOR UPDATE SKIP LOCKED`,
      pauseOrphans: `UPDATE ${t.instances} SET status = 'paused', paused_at = $2, lease_owner = NULL,
          lease_expires_at = NULL, epoch = epoch + 1, updated_at = $2
        WHERE seq = ANY($1::bigint[])`,
      waking: perWorkflow("status = 'waiting' AND wake_at <= $3", "wake_at, seq", "wake_at"),
      queued: perWorkflow("status = 'queued'", "seq", "seq"),
      take: `UPDATE ${t.instances} SET status = 'running', started_at = coalesce(started_at, $2),
          lease_owner = $3, lease_expires_at = $4, epoch = epoch + 1, wake_at = NULL, wait_types = NULL,
          updated_at = $2
        WHERE seq = ANY($1::bigint[]) RETURNING *`,
      log: `INSERT INTO ${t.log} (instance_seq, at, type)
        SELECT u.seq, $2, u.type FROM unnest($1::bigint[], $3::text[]) WITH ORDINALITY AS u(seq, type, ord)
        ORDER BY u.ord`,
    };
  }

  claim(req: ClaimRequest): Promise<Claim[]> {
    return this.db.tx("claiming instances", (tx) => this.run(tx, req));
  }

  private async run(tx: Tx, req: ClaimRequest): Promise<Claim[]> {
    let total = req.total;
    const slots = { ...req.slots };
    const chosen: { seq: number; waking: boolean; fresh: boolean }[] = [];
    const pick = (c: Candidate, waking: boolean) => {
      if (total <= 0 || (slots[c.workflow] ?? 0) <= 0) return;
      // Never started (created, or restarted from the top): no journal and no stored state yet.
      chosen.push({ seq: c.seq, waking, fresh: !waking && c.fresh });
      total -= 1;
      slots[c.workflow] = (slots[c.workflow] ?? 0) - 1;
    };

    const asked = Object.keys(slots).filter((w) => (slots[w] ?? 0) > 0);
    const orphans = await tx.query(this.sql.orphans, [req.now, Math.max(total, 1) * 4 + 16, asked]);
    const paused = orphans.filter((o) => o.status === "waitingForPause").map((o) => num(o.seq));
    if (paused.length > 0) {
      await tx.query(this.sql.pauseOrphans, [paused, req.now]);
      await tx.query(this.sql.log, [paused, req.now, paused.map(() => "WORKFLOW_PAUSED")]);
    }
    for (const o of orphans) if (o.status === "running") pick(candidate(o), true);

    // Each workflow's first candidates, merged so that the total cap goes to the earliest due
    // (then the oldest queued) across workflows, not to whichever workflow is listed first.
    const inOrder = async (sql: string, extra: unknown[], waking: boolean) => {
      const names = Object.keys(slots).filter((w) => Math.min(slots[w] ?? 0, total) > 0);
      if (names.length === 0) return;
      const limits = names.map((w) => Math.min(slots[w] ?? 0, total));
      const rows = (await tx.query(sql, [names, limits, ...extra])).map(candidate);
      rows.sort((a, b) => a.order - b.order || a.seq - b.seq);
      for (const c of rows) pick(c, waking);
    };
    await inOrder(this.sql.waking, [req.now], true);
    await inOrder(this.sql.queued, [], false);
    if (chosen.length === 0) return [];

    const seqs = chosen.map((c) => c.seq);
    const taken = await tx.query(this.sql.take, [seqs, req.now, req.owner, req.now + req.leaseMs]);
    const bySeq = new Map<number, Row>(taken.map((r) => [num(r.seq), r]));
    const started = chosen.filter((c) => !c.waking).map((c) => c.seq);
    if (started.length > 0) {
      await tx.query(this.sql.log, [started, req.now, started.map(() => "WORKFLOW_START")]);
    }
    return chosen.map((c) => ({
      instance: toInstance(bySeq.get(c.seq)!) as Claim["instance"],
      waking: c.waking,
      fresh: c.fresh,
    }));
  }
}

function candidate(row: Row): Candidate {
  return {
    seq: num(row.seq),
    workflow: row.workflow as string,
    order: num(row.sort_key ?? 0),
    fresh: row.fresh === true,
  };
}
