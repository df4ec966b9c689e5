// Builds W6's store: a SQLite file holding many finished instances, shaped as the engine leaves
// a one-step run (instance row, one journal record, seven log entries). Writing them through the
// engine would take hours, so the rows are inserted with better-sqlite3 on the file before Cairn
// opens it: the schema comes from Cairn's own migrations, the rows from recursive CTEs in large
// transactions with synchronous=OFF (setup, not measured), then the WAL is checkpointed.

import Database from "better-sqlite3";
import { encodeValue } from "../../src/engine/values.js";
import { openSqliteStore } from "./harness.js";

export const HISTORY_WORKFLOW = "history";
export const BUILD_METHOD =
  "rows inserted with better-sqlite3 on the file before opening Cairn (schema from Cairn's migrations; recursive-CTE inserts, synchronous=OFF during the build, WAL checkpointed)";

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
export async function buildHistory(path: string, count: number, now: number): Promise<void> {
  const store = await openSqliteStore(path);
  await store.close();
  const db = new Database(path);
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
}
