// The checks that end a scale-out run, written against the Store contract plus two queries under
// it (the inbox has no reader in the contract): every instance complete with the expected output,
// no committed step ran again, each event consumed exactly once by its instance, the retries
// and hibernations really happened. Returns violations as text, so a failure lists all of them.

import { decodeValue } from "../../src/engine/values.js";
import type { PostgresStore } from "../../src/storage/postgres/postgres-store.js";
import type { InstanceRecord } from "../../src/storage/types.js";
import type { TestDatabase } from "../helpers/postgres-server.js";
import type { Effect } from "./effects-log.js";
import { expectedOutput, FLAKY_FAILURES, isFlaky, STEPS } from "./mixed-workflow.js";

export type RunReport = {
  violations: string[];
  /** Attempts recorded as failed because their process died during them. */
  crashedAttempts: number;
  /** Step callbacks started, per worker. */
  startsByWorker: Map<number, number>;
  /** Instances whose steps each process incarnation started, by "worker.incarnation". */
  instancesByIncarnation: Map<string, number>;
  waitingEntries: number;
};

async function allInstances(store: PostgresStore, workflow: string): Promise<InstanceRecord[]> {
  const out: InstanceRecord[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await store.listInstances({ workflow, limit: 1000, order: "asc", cursor });
    out.push(...page.items);
    if (page.nextCursor === null) return out;
    cursor = page.nextCursor;
  }
}

export function checkEffects(effects: Effect[], count: number, violations: string[]) {
  const committedAt = new Map<string, number>();
  const startsByWorker = new Map<number, number>();
  const byIncarnation = new Map<string, Set<string>>();
  effects.forEach((e, index) => {
    const key = `${e.instance}/${e.step}`;
    const who = `${e.worker}.${e.inc}`;
    if (e.kind === "committed") {
      if (!committedAt.has(key)) committedAt.set(key, index);
      return;
    }
    const first = committedAt.get(key);
    if (first !== undefined) {
      violations.push(`${key} started again (attempt ${e.attempt}, worker ${who}) after it was committed`);
    }
    startsByWorker.set(e.worker, (startsByWorker.get(e.worker) ?? 0) + 1);
    const mine = byIncarnation.get(who) ?? new Set<string>();
    mine.add(e.instance);
    byIncarnation.set(who, mine);
  });
  for (let n = 0; n < count; n++) {
    for (const step of STEPS) {
      if (!committedAt.has(`m-${n}/${step}`)) violations.push(`m-${n}/${step} was never committed`);
    }
  }
  const instancesByIncarnation = new Map([...byIncarnation].map(([k, v]) => [k, v.size]));
  return { startsByWorker, instancesByIncarnation };
}

export async function checkRun(
  store: PostgresStore,
  db: TestDatabase,
  schema: string,
  count: number,
  effects: Effect[],
  options: { resentAllowed?: boolean } = {},
): Promise<RunReport> {
  const violations: string[] = [];
  const instances = await allInstances(store, "mixed");
  if (instances.length !== count) violations.push(`expected ${count} instances, found ${instances.length}`);
  for (const record of instances) {
    const n = Number(record.id.slice(2));
    if (record.status !== "complete") {
      violations.push(`${record.id} is ${record.status}`);
      continue;
    }
    const output = decodeValue(record.output);
    const expected = expectedOutput(record.id, n);
    if (JSON.stringify(output) !== JSON.stringify(expected)) {
      violations.push(`${record.id} output ${JSON.stringify(output)}, expected ${JSON.stringify(expected)}`);
    }
    const journal = new Map((await store.loadJournal(record.seq)).map((s) => [s.name, s]));
    for (const name of [...STEPS, "nap", "go"]) {
      if (journal.get(name)?.status !== "succeeded")
        violations.push(`${record.id} step ${name} not succeeded`);
    }
    const b = journal.get("b");
    if (isFlaky(n) && b && "attempts" in b && b.attempts <= FLAKY_FAILURES) {
      violations.push(`${record.id} flaky step b succeeded at attempt ${b.attempts}`);
    }
  }

  // Each instance got exactly one event and it was consumed once, by its wait. A client that
  // retried a send whose commit it could not confirm may have sent a copy: never consumed.
  const inbox = await db.query<{ id: string; sent: string; consumed: string; by: string | null }>(
    `SELECT i.id, count(e.seq) AS sent, count(e.consumed_by) AS consumed, min(e.consumed_by) AS by
     FROM "${schema}".instances i LEFT JOIN "${schema}".events e ON e.instance_seq = i.seq GROUP BY i.id`,
  );
  for (const row of inbox) {
    const sentOk = options.resentAllowed ? Number(row.sent) >= 1 : Number(row.sent) === 1;
    if (!sentOk || Number(row.consumed) !== 1 || row.by !== "waitForEvent:1:go") {
      violations.push(`${row.id}: ${row.sent} events sent, ${row.consumed} consumed (by ${row.by})`);
    }
  }
  const [counts] = await db.query<{ waiting: string; crashed: string }>(
    `SELECT count(*) FILTER (WHERE type = 'WORKFLOW_WAITING') AS waiting,
       count(*) FILTER (WHERE type = 'ATTEMPT_FAILURE' AND data LIKE '%WorkflowInternalError%') AS crashed
     FROM "${schema}".log`,
  );

  const fromEffects = checkEffects(effects, count, violations);
  return {
    violations,
    ...fromEffects,
    waitingEntries: Number(counts?.waiting ?? 0),
    crashedAttempts: Number(counts?.crashed ?? 0),
  };
}
