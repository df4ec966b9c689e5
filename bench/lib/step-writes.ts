// A ceiling between raw SQLite and the engine: the writes one fast `step.do` makes (its result
// record, into which the writer folds its attempt start, with its four log entries) by Cairn's
// own SQLite transitions on Cairn's schema, in the writer's transaction shape (BEGIN IMMEDIATE,
// the batch's transitions, COMMIT), on one thread with no engine. Its gap to raw commits is the schema's cost; its gap to W1/W3 is the
// engine's and the thread hop's.

import { encodeValue } from "../../src/engine/values.js";
import { migrate, openConnection } from "../../src/storage/sqlite/connection.js";
import { SqliteTransitions } from "../../src/storage/sqlite/transitions.js";
import type { Fence, StepRecord } from "../../src/storage/types.js";
import { stepValue } from "./harness.js";
import { nowMs, perSecond, summarize } from "./stats.js";

type Tx = { db: ReturnType<typeof openConnection>; t: SqliteTransitions; fences: Fence[] };

function setup(path: string, instances: number): Tx {
  const db = openConnection(path, "FULL");
  migrate(db, Date.now());
  const t = new SqliteTransitions(db);
  const now = Date.now();
  const items = Array.from({ length: instances }, (_, i) => ({
    workflow: "ceiling",
    id: `c-${i}`,
    params: encodeValue({}, "params", "instance.params_too_large"),
    trigger: "binding" as const,
    successRetentionMs: 1000,
    errorRetentionMs: 1000,
  }));
  db.exec("BEGIN IMMEDIATE");
  t.createInstances(items, now);
  const claims = t.claim({
    owner: "bench",
    now,
    leaseMs: 1e12,
    slots: { ceiling: instances },
    total: instances,
  });
  db.exec("COMMIT");
  return { db, t, fences: claims.map((c) => ({ seq: c.instance.seq, epoch: c.instance.epoch })) };
}

/** The two journal writes of step `i` of an instance, as step-do.ts makes them. */
function stepWrites(i: number): [StepRecord, StepRecord] {
  const base = {
    key: `do:1:step ${i}`,
    kind: "do" as const,
    name: `step ${i}`,
    count: 1,
    startedAt: Date.now(),
    startOrder: i + 1,
    config: { retries: { limit: 5, delay: 10000, backoff: "exponential" }, timeout: "10 minutes" },
    hasRollback: false,
  };
  const value = encodeValue(stepValue(i), "value", "step.result_too_large");
  return [
    { ...base, status: "running", attempts: 1 },
    { ...base, status: "succeeded", attempts: 1, value, endedAt: Date.now(), event: null },
  ];
}

/**
 * A fast step as the writer commits it: its attempt start folded into its result (one journal
 * upsert) with its four log entries in one packed row, and no savepoint (the batch succeeds).
 */
function applyStep(tx: Tx, fence: Fence, i: number): void {
  const [running, succeeded] = stepWrites(i);
  const now = Date.now();
  tx.t.recordStep(
    fence,
    succeeded,
    [
      { type: "STEP_START", stepKey: running.key, at: now },
      { type: "ATTEMPT_START", stepKey: running.key, attempt: 1, at: now },
      { type: "ATTEMPT_SUCCESS", stepKey: running.key, attempt: 1 },
      { type: "STEP_SUCCESS", stepKey: running.key, attempt: 1 },
    ],
    now,
  );
}

/** One step per durable commit (what one instance's sequential steps need at best). */
export function stepCommits(path: string, steps: number): { perSecond: number; p50Ms: number } {
  const tx = setup(path, 1);
  const samples: number[] = [];
  try {
    for (let i = 0; i < steps; i++) {
      const start = nowMs();
      tx.db.exec("BEGIN IMMEDIATE");
      applyStep(tx, tx.fences[0]!, i);
      tx.db.exec("COMMIT");
      samples.push(nowMs() - start);
    }
  } finally {
    tx.db.close();
  }
  const total = samples.reduce((a, b) => a + b, 0);
  return { perSecond: perSecond(steps, total), p50Ms: summarize(samples).p50 };
}

/** 100 steps (of 100 instances) per durable commit: what group commit can reach at best. */
export function batchedSteps(path: string, transactions: number): number {
  const tx = setup(path, 100);
  try {
    const start = nowMs();
    for (let i = 0; i < transactions; i++) {
      tx.db.exec("BEGIN IMMEDIATE");
      for (const fence of tx.fences) applyStep(tx, fence, i);
      tx.db.exec("COMMIT");
    }
    return perSecond(transactions * 100, nowMs() - start);
  } finally {
    tx.db.close();
  }
}
