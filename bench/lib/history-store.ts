// Builds W6's store: many finished instances shaped as the engine leaves a one-step run (instance
// row, one journal record, seven log entries), inserted directly before Cairn opens the store
// (through the engine it would take hours). Cairn's migrations make the schema; SQLite gets
// recursive-CTE inserts with synchronous=OFF, then a checkpoint and a sync of the file;
// PostgreSQL gets generate_series inserts, ANALYZE and CHECKPOINT.

import { closeSync, fsyncSync, openSync } from "node:fs";
import Database from "better-sqlite3";
import pg from "pg";
import { encodeValue } from "../../src/engine/values.js";
import { type Location, openStoreAt } from "./harness.js";

export const HISTORY_WORKFLOW = "history";
export const BUILD_METHOD = {
  sqlite:
    "rows inserted with better-sqlite3 on the file before opening Cairn (schema from Cairn's migrations; recursive-CTE inserts, synchronous=OFF during the build, then the WAL checkpointed and the file synced)",
  postgres:
    "rows inserted with pg into the schema before opening Cairn (schema from Cairn's migrations; generate_series inserts, then ANALYZE and CHECKPOINT)",
};

const LOG_TYPES = [
  "WORKFLOW_QUEUED",
  "WORKFLOW_START",
  "STEP_START",
  "ATTEMPT_START",
  "ATTEMPT_SUCCESS",
  "STEP_SUCCESS",
  "WORKFLOW_SUCCESS",
];

/** Every 10th instance errored, the others complete; ids `h-1` … `h-<count>`; seq = the number. */
export async function buildHistory(location: Location, count: number, now: number): Promise<void> {
  const store = await openStoreAt(location);
  await store.close();
  if (location.kind === "postgres") return buildPostgres(location.url, location.schema, count, now);
  const db = new Database(location.path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = OFF");
  const params = encodeValue({}, "params", "instance.params_too_large");
  const output = encodeValue({ ok: true }, "output", "output.too_large");
  const config = JSON.stringify({
    retries: { limit: 5, delay: 10000, backoff: "exponential" },
    timeout: "10 minutes",
  });
  const error = JSON.stringify({ name: "Error", message: "boom" });
  const base = now - 30 * 86_400_000;
  const expires = now + 365 * 86_400_000;
  const chunk = 100_000;
  const insertInstances = db.prepare(`
    WITH RECURSIVE n(x) AS (SELECT CAST(@from AS INTEGER) UNION ALL SELECT x + 1 FROM n WHERE x < @to)
    INSERT INTO instances (seq, workflow, id, status, params, output, error, trigger, created_at, started_at,
      ended_at, updated_at, epoch, success_retention_ms, error_retention_ms, expires_at)
    SELECT x, @workflow, 'h-' || x, CASE WHEN x % 10 = 0 THEN 'errored' ELSE 'complete' END, @params,
      CASE WHEN x % 10 = 0 THEN NULL ELSE @output END, CASE WHEN x % 10 = 0 THEN @error ELSE NULL END,
      'binding', @base + x, @base + x, @base + x + 5, @base + x + 5, 1, 2592000000, 2592000000, @expires
    FROM n`);
  const insertSteps = db.prepare(`
    WITH RECURSIVE n(x) AS (SELECT CAST(@from AS INTEGER) UNION ALL SELECT x + 1 FROM n WHERE x < @to)
    INSERT INTO steps (instance_seq, key, kind, name, count, status, attempts, value, config, started_at,
      ended_at, start_order)
    SELECT x, 'do:1:only step', 'do', 'only step', 1, 'succeeded', 1, @output, @config, @base + x, @base + x + 4, 1
    FROM n`);
  const insertLog = db.prepare(`
    WITH RECURSIVE n(x) AS (SELECT CAST(@from AS INTEGER) UNION ALL SELECT x + 1 FROM n WHERE x < @to)
    INSERT INTO log (instance_seq, at, type, step_key, attempt)
    SELECT x, @base + x, t.type, t.step_key, t.attempt FROM n, (${LOG_TYPES.map(
      (type, i) =>
        `SELECT ${i} AS i, '${type}' AS type, ${type.startsWith("STEP") || type.startsWith("ATTEMPT") ? "'do:1:only step'" : "NULL"} AS step_key, ${type.startsWith("ATTEMPT") ? 1 : "NULL"} AS attempt`,
    ).join(" UNION ALL ")}) AS t ORDER BY x, t.i`);
  for (let from = 1; from <= count; from += chunk) {
    const to = Math.min(count, from + chunk - 1);
    db.transaction(() => {
      const args = { from, to, base, workflow: HISTORY_WORKFLOW, params, output, error, expires, config };
      insertInstances.run(args);
      insertSteps.run({ from, to, base, output, config });
      insertLog.run({ from, to, base });
    })();
  }
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
  // The build wrote without syncing: flush it now, or the engine's first checkpoint would pay
  // for the whole file's dirty pages inside a measured create (seen as one ~0.5 s outlier).
  const fd = openSync(location.path, "r+");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

async function buildPostgres(url: string, schema: string, count: number, now: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const q = (name: string) => `"${schema}".${name}`;
  const params = encodeValue({}, "params", "instance.params_too_large");
  const output = encodeValue({ ok: true }, "output", "output.too_large");
  const base = now - 30 * 86_400_000;
  const expires = now + 365 * 86_400_000;
  const logTypes = LOG_TYPES.map((type, i) => {
    const step = type.startsWith("STEP") || type.startsWith("ATTEMPT") ? "'do:1:only step'" : "NULL";
    return `(${i}, '${type}', ${step}, ${type.startsWith("ATTEMPT") ? 1 : "NULL"}::integer)`;
  }).join(", ");
  try {
    for (let from = 1; from <= count; from += 100_000) {
      const to = Math.min(count, from + 99_999);
      await client.query("BEGIN");
      await client.query(
        `INSERT INTO ${q("instances")} (seq, workflow, id, status, params, output, error, trigger, created_at,
           started_at, ended_at, updated_at, epoch, success_retention_ms, error_retention_ms, expires_at)
         OVERRIDING SYSTEM VALUE
         SELECT x, $3, 'h-' || x, CASE WHEN x % 10 = 0 THEN 'errored' ELSE 'complete' END, $4,
           CASE WHEN x % 10 = 0 THEN NULL ELSE $5::bytea END,
           CASE WHEN x % 10 = 0 THEN '{"name":"Error","message":"boom"}' END,
           'binding', $6 + x, $6 + x, $6 + x + 5, $6 + x + 5, 1, 2592000000, 2592000000, $7
         FROM generate_series($1::bigint, $2::bigint) AS x`,
        [from, to, HISTORY_WORKFLOW, params, output, base, expires],
      );
      await client.query(
        `INSERT INTO ${q("steps")} (instance_seq, key, kind, name, count, status, attempts, value, started_at,
           ended_at, start_order)
         SELECT x, 'do:1:only step', 'do', 'only step', 1, 'succeeded', 1, $3, $4 + x, $4 + x + 4, 1
         FROM generate_series($1::bigint, $2::bigint) AS x`,
        [from, to, output, base],
      );
      await client.query(
        `INSERT INTO ${q("log")} (instance_seq, at, type, step_key, attempt)
         SELECT x, $3 + x, t.type, t.step_key, t.attempt
         FROM generate_series($1::bigint, $2::bigint) AS x,
           (VALUES ${logTypes}) AS t(i, type, step_key, attempt) ORDER BY x, t.i`,
        [from, to, base],
      );
      await client.query("COMMIT");
    }
    await client.query(`SELECT setval(pg_get_serial_sequence('${q("instances")}', 'seq'), $1)`, [count]);
    await client.query(`ANALYZE ${q("instances")}`);
    await client.query(`ANALYZE ${q("steps")}`);
    await client.query(`ANALYZE ${q("log")}`);
    // Writes the build's dirty buffers out now rather than inside a measured operation (needs a
    // superuser or pg_checkpoint; skipped on a server that refuses it).
    await client.query("CHECKPOINT").catch(() => {});
  } finally {
    await client.end();
  }
}
