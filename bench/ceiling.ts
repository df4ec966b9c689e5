// The storage's own ceiling, measured in the same run so the ratios compare like with like:
// durable single-row commits/s and rows/s at 100 rows per transaction, with better-sqlite3 on a
// fresh file with Cairn's pragmas (WAL, synchronous=FULL) or with `pg` on the bench's server;
// for context a raw append + fdatasync of a small row, and on SQLite Cairn's own step writes
// without the engine (lib/step-writes.ts).

import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { type BenchOptions, freshDir, type Workload } from "./lib/harness.js";
import { durability, postgresCeiling, serverUrl } from "./lib/postgres.js";
import { nowMs, perSecond, summarize } from "./lib/stats.js";
import { batchedSteps, stepCommits } from "./lib/step-writes.js";

const ROW = "x".repeat(100);

function fdatasyncAppend(path: string, count: number): { perSecond: number; p50Ms: number } {
  const fd = openSync(path, "a");
  const row = Buffer.from(`${ROW}\n`);
  const samples: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const start = nowMs();
      writeSync(fd, row);
      fdatasyncSync(fd);
      samples.push(nowMs() - start);
    }
  } finally {
    closeSync(fd);
  }
  const total = samples.reduce((a, b) => a + b, 0);
  return { perSecond: perSecond(count, total), p50Ms: summarize(samples).p50 };
}

function openDb(path: string): Database.Database {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec("CREATE TABLE rows (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL, data TEXT NOT NULL)");
  return db;
}

function singleRowCommits(path: string, count: number): { perSecond: number; p50Ms: number } {
  const db = openDb(path);
  const insert = db.prepare("INSERT INTO rows (owner, data) VALUES (?, ?)");
  const samples: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const start = nowMs();
      insert.run(i, ROW);
      samples.push(nowMs() - start);
    }
  } finally {
    db.close();
  }
  const total = samples.reduce((a, b) => a + b, 0);
  return { perSecond: perSecond(count, total), p50Ms: summarize(samples).p50 };
}

function batchedRows(path: string, transactions: number, perTransaction: number): number {
  const db = openDb(path);
  const insert = db.prepare("INSERT INTO rows (owner, data) VALUES (?, ?)");
  const batch = db.transaction((base: number) => {
    for (let j = 0; j < perTransaction; j++) insert.run(base + j, ROW);
  });
  try {
    const start = nowMs();
    for (let i = 0; i < transactions; i++) batch(i * perTransaction);
    return perSecond(transactions * perTransaction, nowMs() - start);
  } finally {
    db.close();
  }
}

async function sqliteCeiling(single: number, transactions: number) {
  const { dir } = freshDir();
  try {
    const append = fdatasyncAppend(join(dir, "append.log"), single);
    const commits = singleRowCommits(join(dir, "single.db"), single);
    const rows = batchedRows(join(dir, "batched.db"), transactions, 100);
    const steps = stepCommits(join(dir, "steps.db"), single);
    const stepRows = batchedSteps(join(dir, "batched-steps.db"), transactions / 2);
    return {
      metrics: {
        fdatasyncAppendsPerSecond: append.perSecond,
        fdatasyncAppendP50Ms: append.p50Ms,
        singleRowCommitsPerSecond: commits.perSecond,
        singleRowCommitP50Ms: commits.p50Ms,
        rowsPerSecondAt100PerTransaction: rows,
        cairnStepCommitsPerSecond: steps.perSecond,
        cairnStepCommitP50Ms: steps.p50Ms,
        cairnStepsPerSecondAt100PerTransaction: stepRows,
      },
      notes: [
        `better-sqlite3 on fresh files with journal_mode=WAL, synchronous=FULL: ${single} single-row commits; ${transactions} transactions of 100 rows (rows of ~110 bytes)`,
        `raw baseline: ${single} × (fs.writeSync of a 101-byte row + fs.fdatasyncSync) on a plain file`,
        `Cairn's step writes (per step: one journal upsert, its attempt start folded in, and one packed row of four log entries, by Cairn's own SQLite transitions in the writer's transaction shape, one thread, no engine): ${single} steps one per commit; ${transactions / 2} commits of 100 steps`,
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function pgCeiling(single: number, transactions: number) {
  const url = serverUrl();
  const { dir } = freshDir();
  let append: { perSecond: number; p50Ms: number };
  try {
    append = fdatasyncAppend(join(dir, "append.log"), single);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const pg = await postgresCeiling(url, single, transactions);
  return {
    metrics: {
      fdatasyncAppendsPerSecond: append.perSecond,
      fdatasyncAppendP50Ms: append.p50Ms,
      singleRowCommitsPerSecond: pg.commitsPerSecond,
      singleRowCommitP50Ms: pg.commitP50Ms,
      rowsPerSecondAt100PerTransaction: pg.rowsPerSecond,
    },
    notes: [
      `${await durability(url)}; pg directly, one connection: ${single} single-row INSERTs (autocommit); ${transactions} INSERTs of 100 rows each (one statement, one transaction)`,
      `raw baseline: ${single} × (fs.writeSync of a 101-byte row + fs.fdatasyncSync) on a plain file in ${tmpdir()}`,
    ],
  };
}

export const workload: Workload = {
  id: "ceiling",
  title: "storage ceiling",
  async run(options: BenchOptions) {
    const single = options.quick ? 500 : 3000;
    const transactions = options.quick ? 200 : 1000;
    return options.storage === "postgres"
      ? pgCeiling(single, transactions)
      : sqliteCeiling(single, transactions);
  },
};
