// Opens the table a project part keeps on the engine's PostgreSQL server (KV entries, queue
// messages, Durable Object leases): a small pool of its own, in the engine's schema (the URL's
// `?schema=`, else "cairn"), the schema and table made if missing under the engine's schema lock
// so that processes starting together do not trip over each other, and a failure to reach the
// server worded as the engine words it (storage.unavailable, with the password hidden).

import type pg from "pg";
import { connect, describeTarget } from "../storage/postgres/connection.js";
import { translateError } from "../storage/postgres/errors.js";
import { LOCK_NAMESPACE } from "../storage/postgres/migrations.js";

export type PartTable = {
  pool: pg.Pool;
  /** The table's quoted, schema-qualified name, e.g. `"cairn".kv_entries`. */
  table: string;
};

export type PartTableSpec = {
  /** The table's name in the schema. */
  name: string;
  /** What the table holds, for error messages ("the KV table"). */
  what: string;
  poolSize: number;
  /** Statements that make the table and its indexes if missing; `{table}` stands for its name. */
  create: string[];
};

/** Connects to the server of `url` and makes the part's table if it is not there yet. */
export async function openPartTable(url: string, spec: PartTableSpec): Promise<PartTable> {
  const { pool, schema } = connect(url, { poolSize: spec.poolSize });
  const table = `"${schema}".${spec.name}`;
  try {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [LOCK_NAMESPACE, schema]);
      const found = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
      if (found.rowCount === 0) await client.query(`CREATE SCHEMA "${schema}"`);
      for (const statement of spec.create) await client.query(statement.replaceAll("{table}", table));
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => {});
    throw translateError(error, `creating ${spec.what} in schema "${schema}" at ${describeTarget(url)}`);
  }
  return { pool, table };
}
