// The inputs of a scale model for many workers on one PostgreSQL (docs/performance.md, "A scale
// model"): how many durable commits per second the server takes as the number of connections
// committing at once grows (1 to 32 connections, each a loop of single-row INSERTs in
// autocommit), and what one step of W1's fan-out costs the server: statements (round trips),
// commits and WAL bytes per step, read from Cairn's own metrics and from pg_stat_database and
// pg_current_wal_lsn() around a W1 run. PostgreSQL only.

import pg from "pg";
import { Cairn } from "../src/index.js";
import {
  type BenchOptions,
  freshLocation,
  removeLocation,
  type Workload,
  type WorkloadResult,
} from "./lib/harness.js";
import { serverUrl } from "./lib/postgres.js";
import { nowMs, perSecond } from "./lib/stats.js";
import { FanOut, fanOutAndWait } from "./w1-fan-out.js";

const CONNECTIONS = [1, 2, 4, 8, 16, 32];
const STEPS = 10;

/** Commits per second with `n` connections each committing single-row INSERTs for `ms`. */
async function commitsWith(url: string, n: number, ms: number): Promise<number> {
  const table = `scale_model_${process.pid}_${n}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, data text NOT NULL)`);
  const clients = await Promise.all(
    Array.from({ length: n }, async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      return c;
    }),
  );
  try {
    let commits = 0;
    const end = nowMs() + ms;
    const start = nowMs();
    await Promise.all(
      clients.map(async (c) => {
        while (nowMs() < end) {
          await c.query({
            name: "ins",
            text: `INSERT INTO ${table} (data) VALUES ($1)`,
            values: ["x".repeat(100)],
          });
          commits += 1;
        }
      }),
    );
    return perSecond(commits, nowMs() - start);
  } finally {
    await Promise.all(clients.map((c) => c.end()));
    await admin.query(`DROP TABLE ${table}`);
    await admin.end();
  }
}

type ServerCounters = { commits: number; walBytes: number };

async function serverCounters(url: string): Promise<ServerCounters> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query(
      `SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database())::bigint AS commits,
              pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint AS wal`,
    );
    return { commits: Number(rows[0].commits), walBytes: Number(rows[0].wal) };
  } finally {
    await c.end();
  }
}

/** One W1 run in this process: statements, commits and WAL bytes per step. */
async function stepCosts(options: BenchOptions) {
  const instances = options.quick ? 200 : 1000;
  const location = freshLocation(options, "model");
  if (location.kind !== "postgres") throw new Error("the scale model needs PostgreSQL");
  const cairn = await Cairn.open({
    storage: location.url,
    postgresSchema: location.schema,
    workflows: { FAN_OUT: { name: "fan-out", class: FanOut } },
  });
  try {
    const trips = async () => {
      const m = /^cairn_postgres_round_trips_total(?:\{[^}]*\})? (\d+)/m.exec(await cairn.metrics());
      return Number(m?.[1] ?? Number.NaN);
    };
    // pg_stat_database's counters are sent by each backend at the end of its transactions, with
    // a short delay: read them after a pause on both sides of the run.
    await new Promise((r) => setTimeout(r, 1_000));
    const before = { trips: await trips(), ...(await serverCounters(location.url)) };
    const runMs = await fanOutAndWait(cairn, instances, "m");
    await new Promise((r) => setTimeout(r, 1_000));
    const after = { trips: await trips(), ...(await serverCounters(location.url)) };
    const steps = instances * STEPS;
    return {
      steps,
      stepsPerSecond: perSecond(steps, runMs),
      statementsPerStep: (after.trips - before.trips) / steps,
      commitsPerStep: (after.commits - before.commits) / steps,
      walBytesPerStep: (after.walBytes - before.walBytes) / steps,
    };
  } finally {
    await cairn.close();
    await removeLocation(location);
  }
}

export const workload: Workload = {
  id: "pg-scale-model",
  title: "scale model inputs (PostgreSQL)",
  run: async (options: BenchOptions): Promise<Omit<WorkloadResult, "id" | "title" | "durationMs">> => {
    if (options.storage !== "postgres") {
      return { metrics: { skipped: 1 }, notes: ["skipped: PostgreSQL only"] };
    }
    const metrics: Record<string, number> = {};
    const ms = options.quick ? 1_000 : 3_000;
    for (const n of CONNECTIONS) metrics[`commitsPerSecondAt${n}`] = await commitsWith(serverUrl(), n, ms);
    const costs = await stepCosts(options);
    Object.assign(metrics, costs);
    return {
      metrics,
      notes: [
        `commits/s: ${CONNECTIONS.join(", ")} connections each committing single-row INSERTs (100-byte text) in autocommit for ${ms / 1000} s`,
        `per step: one W1 run (${costs.steps} steps) in this process; statements from cairn_postgres_round_trips_total, commits from pg_stat_database.xact_commit (the whole database, the run's own and this workload's few reads), WAL bytes from pg_current_wal_lsn()`,
      ],
    };
  },
};
