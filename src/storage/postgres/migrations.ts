// Numbered schema migrations for the PostgreSQL store, applied at open under a transaction-level
// advisory lock keyed by the schema, so that many processes starting at once apply each
// migration exactly once (the others wait, then find nothing to do). A released migration is
// never edited; changes go in a new entry.

import type pg from "pg";
import { WorkflowsError } from "../../errors.js";
import type { Tables } from "./connection.js";
import { checkout } from "./database.js";
import { translateError } from "./errors.js";

export type Migration = { version: number; name: string; sql: (t: Tables) => string };

export const migrations: Migration[] = [
  {
    version: 1,
    name: "instances, journal, inbox, log, stream chunks and cron schedule marks",
    sql: (t) => `
      CREATE TABLE ${t.instances} (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        workflow text NOT NULL,
        id text NOT NULL,
        status text NOT NULL,
        params bytea NOT NULL,
        output bytea,
        error text,
        trigger text NOT NULL,
        created_at bigint NOT NULL,
        started_at bigint,
        ended_at bigint,
        updated_at bigint NOT NULL,
        wake_at bigint,
        wait_types text[],
        paused_at bigint,
        lease_owner text,
        lease_expires_at bigint,
        epoch integer NOT NULL DEFAULT 0,
        success_retention_ms bigint NOT NULL,
        error_retention_ms bigint NOT NULL,
        expires_at bigint,
        rollback_pending boolean NOT NULL DEFAULT false,
        UNIQUE (workflow, id)
      );
      CREATE INDEX instances_queued ON ${t.instances} (workflow, seq) WHERE status = 'queued';
      -- The timer index: what wakes when, per workflow for claims and overall for nextWakeAt.
      CREATE INDEX instances_waking ON ${t.instances} (workflow, wake_at, seq) WHERE status = 'waiting';
      CREATE INDEX instances_next_wake ON ${t.instances} (wake_at) WHERE status = 'waiting';
      CREATE INDEX instances_leased ON ${t.instances} (lease_expires_at)
        WHERE status IN ('running', 'waitingForPause');
      CREATE INDEX instances_expiry ON ${t.instances} (expires_at) WHERE expires_at IS NOT NULL;
      CREATE INDEX instances_by_status ON ${t.instances} (workflow, status, seq);

      CREATE TABLE ${t.steps} (
        instance_seq bigint NOT NULL,
        key text NOT NULL,
        kind text NOT NULL,
        name text NOT NULL,
        count integer NOT NULL,
        status text NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        value bytea,
        error text,
        config text,
        event text,
        event_type text,
        started_at bigint NOT NULL,
        ended_at bigint,
        wake_at bigint,
        has_rollback boolean NOT NULL DEFAULT false,
        start_order integer NOT NULL DEFAULT 0,
        stream boolean NOT NULL DEFAULT false,
        PRIMARY KEY (instance_seq, key)
      );

      CREATE TABLE ${t.chunks} (
        instance_seq bigint NOT NULL,
        step_key text NOT NULL,
        idx integer NOT NULL,
        bytes bytea NOT NULL,
        PRIMARY KEY (instance_seq, step_key, idx)
      );

      CREATE TABLE ${t.marks} (
        workflow text NOT NULL,
        cron text NOT NULL,
        scheduled_time bigint NOT NULL,
        PRIMARY KEY (workflow, cron)
      );

      CREATE TABLE ${t.events} (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        instance_seq bigint NOT NULL,
        type text NOT NULL,
        payload bytea NOT NULL,
        sent_at bigint NOT NULL,
        consumed_by text,
        consumed_at bigint
      );
      CREATE INDEX events_by_instance ON ${t.events} (instance_seq, type, seq);

      CREATE TABLE ${t.log} (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        instance_seq bigint NOT NULL,
        at bigint NOT NULL,
        type text NOT NULL,
        step_key text,
        attempt integer,
        data text
      );
      CREATE INDEX log_by_instance ON ${t.log} (instance_seq, seq);
    `,
  },
  {
    version: 2,
    name: "lists by creation time, change-feed catch-up by update time, deletions remembered",
    // Counts by status are counted from instances_by_status, not kept in a table: a counts row
    // per (workflow, status) would be updated by every transition of every process, and those
    // row locks would serialise concurrent commits. The catch-up index on updated_at is a BRIN:
    // every transition moves updated_at, and a BRIN costs a transition almost nothing to keep,
    // while a catch-up asks only for recent times.
    sql: (t) => `
      DROP INDEX ${t.schema}.instances_by_status;
      CREATE INDEX instances_by_status ON ${t.instances} (workflow, status, created_at, seq);
      CREATE INDEX instances_by_created ON ${t.instances} (workflow, created_at, seq);
      CREATE INDEX instances_by_update ON ${t.instances} USING brin (updated_at);
      CREATE TABLE ${t.schema}.deleted_instances (
        seq bigint PRIMARY KEY,
        workflow text NOT NULL,
        id text NOT NULL,
        deleted_at bigint NOT NULL
      );
      CREATE INDEX deleted_instances_by_time ON ${t.schema}.deleted_instances (deleted_at);
    `,
  },
  {
    version: 3,
    name: "finished instances by (workflow, ended_at), for activity per minute",
    // Partial: an unfinished instance has no ended_at, so creating one costs the index nothing.
    sql: (t) => `
      CREATE INDEX instances_by_end ON ${t.instances} (workflow, ended_at) WHERE ended_at IS NOT NULL;
    `,
  },
  {
    version: 4,
    name: "instance affinity: the one owner allowed to claim an instance (cairn/testing introspection)",
    // Null for every instance but those a test introspects; claims and wake-ups skip an instance
    // whose affinity names another owner. Adding a nullable column rewrites nothing.
    sql: (t) => `
      ALTER TABLE ${t.instances} ADD COLUMN affinity text;
    `,
  },
  {
    version: 5,
    name: "trace context kept with an instance (W3C traceparent and tracestate), continued by its runs' spans",
    // Null for an instance created outside any trace. Adding nullable columns rewrites nothing.
    sql: (t) => `
      ALTER TABLE ${t.instances} ADD COLUMN traceparent text, ADD COLUMN tracestate text;
    `,
  },
];

/** The schema version this code migrates to (the last entry's), which a health check expects. */
export const LATEST_VERSION = migrations[migrations.length - 1]?.version ?? 0;

/**
 * Namespace of Cairn's advisory locks (the first key); the second is a hash of the schema. Other
 * parts that create tables in the schema (the KV binding's table) take the same lock, so that
 * processes starting at once never race to create the schema.
 */
export const LOCK_NAMESPACE = 0x43414952; // "CAIR"

/**
 * Creates the schema if needed and applies every migration newer than its version, all in one
 * transaction that holds the schema's advisory lock. Refuses a database newer than this code.
 */
export async function migrate(
  pool: pg.Pool,
  t: Tables,
  schemaName: string,
  now: number,
  where: string,
): Promise<void> {
  const ignore = () => {};
  const client = await checkout(pool, ignore).catch((error: unknown) => {
    throw translateError(error, `connecting to ${where}`);
  });
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [LOCK_NAMESPACE, schemaName]);
    // Asked first, so that a role without CREATE on the database can use a schema made for it.
    const found = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schemaName]);
    if (found.rowCount === 0) await client.query(`CREATE SCHEMA ${t.schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${t.migrations} (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`,
    );
    const { rows } = await client.query<{ v: number | null }>(
      `SELECT max(version) AS v FROM ${t.migrations}`,
    );
    const current = rows[0]?.v ?? 0;
    const latest = LATEST_VERSION;
    if (current > latest) {
      throw new WorkflowsError(
        "storage.migration_failed",
        `schema "${schemaName}" is at version ${current}, newer than this Cairn (${latest}); upgrade Cairn`,
      );
    }
    for (const m of migrations) {
      if (m.version <= current) continue;
      await client.query(m.sql(t));
      await client.query(`INSERT INTO ${t.migrations} (version, name, applied_at) VALUES ($1, $2, $3)`, [
        m.version,
        m.name,
        now,
      ]);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch((e: Error) => {
      broken = e;
    });
    if (WorkflowsError.is(error)) throw error;
    const translated = translateError(error, `migrating schema "${schemaName}" at ${where}`);
    if (WorkflowsError.is(translated) && translated.code === "storage.unavailable") throw translated;
    const text = WorkflowsError.is(translated) ? translated.detail : translated.message;
    throw new WorkflowsError("storage.migration_failed", text, { cause: error });
  } finally {
    client.off("error", ignore);
    client.release(broken);
  }
}
