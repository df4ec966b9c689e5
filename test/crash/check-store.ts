// Reads the SQLite file after the crash run (read-only, engine closed) and checks what only the
// database can tell: every instance finished as its workflow must, every journal record settled
// and matching the attempt that really produced it, each step's success (or final failure) logged
// exactly once, and every event stored once, consumed once, in order. Streams and rollbacks have
// their own database checks (check-streams.ts, check-rollbacks.ts).

import v8 from "node:v8";
import Database from "better-sqlite3";
import type { SendRecord } from "./event-pump.js";
import { expectedEnd, failsForGood, LAST_K, type Pay, type PlannedInstance } from "./workflows.js";

type InstanceRow = { seq: number; workflow: string; id: string; status: string };
type StepRow = { instance_seq: number; key: string; kind: string; status: string; attempts: number };
type EventRow = { seq: number; instance_seq: number; payload: Buffer; consumed_by: string | null };
type OutcomeLogRow = { instance_seq: number; step_key: string; type: string; n: number };

export type StoreReport = {
  violations: string[];
  /** Attempts recorded as failed because the process died during them. */
  crashedAttempts: number;
  events: number;
};

export function checkStore(
  dbPath: string,
  planned: PlannedInstance[],
  lastAttempt: Map<string, number>,
  received: Map<string, Pay[] | undefined>,
  sends: SendRecord[],
): StoreReport {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const instances = db.prepare("SELECT seq, workflow, id, status FROM instances").all() as InstanceRow[];
    const steps = db
      .prepare("SELECT instance_seq, key, kind, status, attempts FROM steps")
      .all() as StepRow[];
    const events = db
      .prepare("SELECT seq, instance_seq, payload, consumed_by FROM events ORDER BY seq")
      .all() as EventRow[];
    const crashed = db
      .prepare(
        "SELECT count(*) AS n FROM log_entries WHERE type = 'ATTEMPT_FAILURE' AND data LIKE '%WorkflowInternalError%'",
      )
      .get() as { n: number };
    const outcomes = db
      .prepare(
        `SELECT instance_seq, step_key, type, count(*) AS n FROM log_entries
         WHERE type IN ('STEP_SUCCESS', 'STEP_FAILURE') GROUP BY instance_seq, step_key, type`,
      )
      .all() as OutcomeLogRow[];
    const violations = [
      ...checkInstances(instances, planned),
      ...checkJournal(instances, steps, lastAttempt),
      ...checkOutcomeLogs(instances, steps, outcomes),
      ...checkEvents(instances, events, received, sends),
    ];
    return { violations, crashedAttempts: crashed.n, events: events.length };
  } finally {
    db.close();
  }
}

/** The attempts the log records as timed out, as `instance/step#attempt` (see check-effects.ts). */
export function readTimedOutAttempts(dbPath: string): Set<string> {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare(
        `SELECT i.id, l.step_key, l.attempt FROM log_entries l JOIN instances i ON i.seq = l.instance_seq
         WHERE l.type = 'ATTEMPT_FAILURE' AND l.data LIKE '%WorkflowTimeoutError%'`,
      )
      .all() as { id: string; step_key: string; attempt: number }[];
    return new Set(rows.map((r) => `${r.id}/${r.step_key.split(":").slice(2).join(":")}#${r.attempt}`));
  } finally {
    db.close();
  }
}

function checkInstances(instances: InstanceRow[], planned: PlannedInstance[]): string[] {
  const out: string[] = [];
  for (const p of planned) {
    const want = expectedEnd(p).status;
    const row = instances.find((i) => i.id === p.id);
    if (row?.status !== want)
      out.push(`instance ${p.id} is left ${row?.status ?? "missing"} in the database`);
  }
  if (instances.length !== planned.length) {
    out.push(`the database holds ${instances.length} instances, ${planned.length} were planned`);
  }
  return out;
}

/**
 * Every `do` record succeeded (the failing step's failed) with the attempt number of the last
 * callback run for it; waits and sleeps settled. Rollback records are check-rollbacks.ts's.
 */
function checkJournal(
  instances: InstanceRow[],
  steps: StepRow[],
  lastAttempt: Map<string, number>,
): string[] {
  const idOf = new Map(instances.map((i) => [i.seq, i.id]));
  const out: string[] = [];
  for (const s of steps) {
    const id = idOf.get(s.instance_seq);
    if (s.kind === "rollback") continue;
    const name = s.key.split(":").slice(2).join(":");
    const want = s.kind === "do" && failsForGood(name) ? "failed" : "succeeded";
    if (s.status !== want) out.push(`journal record ${id}/${s.key} is left ${s.status}`);
    if (s.kind !== "do") continue;
    const ran = lastAttempt.get(`${id}/${name}`);
    if (ran !== s.attempts) {
      out.push(
        `journal record ${id}/${s.key} says attempt ${s.attempts} succeeded; the last run was attempt ${ran}`,
      );
    }
  }
  return out;
}

/**
 * A step's outcome is committed with its log entry, so a step that ran again after its commit
 * would log a second STEP_SUCCESS: each settled `do` record has exactly one entry of its outcome.
 */
function checkOutcomeLogs(instances: InstanceRow[], steps: StepRow[], rows: OutcomeLogRow[]): string[] {
  const idOf = new Map(instances.map((i) => [i.seq, i.id]));
  const count = new Map(rows.map((r) => [`${r.instance_seq}/${r.step_key}/${r.type}`, r.n]));
  const out: string[] = [];
  for (const s of steps) {
    if (s.kind !== "do" || (s.status !== "succeeded" && s.status !== "failed")) continue;
    const type = s.status === "succeeded" ? "STEP_SUCCESS" : "STEP_FAILURE";
    const other = s.status === "succeeded" ? "STEP_FAILURE" : "STEP_SUCCESS";
    const n = count.get(`${s.instance_seq}/${s.key}/${type}`) ?? 0;
    const m = count.get(`${s.instance_seq}/${s.key}/${other}`) ?? 0;
    if (n !== 1 || m !== 0) {
      out.push(
        `step ${idOf.get(s.instance_seq)}/${s.key} is ${s.status} with ${n} ${type} and ${m} ${other} log entries`,
      );
    }
  }
  return out;
}

function checkEvents(
  instances: InstanceRow[],
  rows: EventRow[],
  received: Map<string, Pay[] | undefined>,
  sends: SendRecord[],
): string[] {
  const out: string[] = [];
  const consumers = new Set<string>();
  for (const r of rows) {
    if (r.consumed_by === null) continue;
    const pair = `${r.instance_seq}:${r.consumed_by}`;
    if (consumers.has(pair))
      out.push(`wait ${r.consumed_by} of instance seq ${r.instance_seq} consumed two events`);
    consumers.add(pair);
  }
  for (const [id, got] of received) {
    const seq = instances.find((i) => i.id === id)?.seq;
    const own = rows.filter((r) => r.instance_seq === seq);
    out.push(
      ...checkCollector(
        id,
        own,
        got,
        sends.filter((s) => s.id === id),
      ),
    );
  }
  return out;
}

/**
 * One collector: its stored events against what the parent sent and, if it completed, against
 * what the workflow returned.
 */
function checkCollector(id: string, rows: EventRow[], got: Pay[] | undefined, sends: SendRecord[]): string[] {
  const out: string[] = [];
  const stored = rows.map((r) => ({ ...r, pay: v8.deserialize(r.payload) as Pay }));
  const storedSends = stored.map((r) => r.pay.send);
  // Stored once each, in the order sent (FIFO), and only what the parent sent.
  storedSends.forEach((send, i) => {
    if (i > 0 && send <= storedSends[i - 1]!)
      out.push(`${id}: event of send ${send} stored out of order or twice`);
    const made = sends.find((s) => s.send === send);
    if (!made) out.push(`${id}: stored an event (send ${send}) the parent never sent`);
    else if (made.outcome === "finished") out.push(`${id}: stored send ${send} although it was refused`);
  });
  for (const s of sends) {
    if (s.outcome === "sent" && !storedSends.includes(s.send))
      out.push(`${id}: acked send ${s.send} (k=${s.k}) was lost`);
    if (s.outcome === "pending") out.push(`${id}: send ${s.send} never got an answer`);
  }
  if (!got) return out;
  // Consumed: exactly the events up to the first k = 3, each by the wait of its position.
  const end = stored.findIndex((r) => r.pay.k === LAST_K);
  stored.forEach((r, i) => {
    const wanted = i <= end ? `waitForEvent:1:pay-${i + 1}` : null;
    if (r.consumed_by !== wanted) {
      out.push(`${id}: event of send ${r.pay.send} was consumed by ${r.consumed_by}, expected ${wanted}`);
    }
    // Only a resend of k = 3 after an interrupted k = 3 may be left over.
    if (
      i > end &&
      !(r.pay.k === LAST_K && sends.some((s) => s.k === LAST_K && s.outcome === "interrupted"))
    ) {
      out.push(`${id}: event of send ${r.pay.send} (k=${r.pay.k}) was never consumed`);
    }
  });
  if (end < 0) out.push(`${id}: no event with k = ${LAST_K} was stored`);
  const delivered = got.map((p) => p.send).join(",");
  const consumed = stored
    .slice(0, end + 1)
    .map((r) => r.pay.send)
    .join(",");
  if (delivered !== consumed)
    out.push(`${id}: the workflow received sends [${delivered}], the store consumed [${consumed}]`);
  out.push(...checkKs(id, got, sends));
  return out;
}

/** The k list is [1, 2, 3], where a k whose send was interrupted may appear once more per interruption. */
function checkKs(id: string, got: Pay[], sends: SendRecord[]): string[] {
  const ks = got.map((p) => p.k);
  const out: string[] = [];
  for (let k = 1; k <= LAST_K; k++) {
    const n = ks.filter((x) => x === k).length;
    const interrupted = sends.filter((s) => s.k === k && s.outcome === "interrupted").length;
    const max = k === LAST_K ? 1 : 1 + interrupted;
    if (n < 1 || n > max) out.push(`${id}: received k=${k} ${n} times (allowed 1..${max}); got [${ks}]`);
  }
  if (ks.some((k, i) => i > 0 && k < ks[i - 1]!)) out.push(`${id}: events arrived out of order: [${ks}]`);
  return out;
}
