// cairn.health() on a real PostgreSQL server this file owns: ready with the schema at this code's
// version; the migrations check fails while another build's newer version is recorded; the store
// check fails with storage.unavailable while the server is stopped and passes again once it is
// back, with work created meanwhile finished; and a server that hangs (suspended, connections
// open) fails the ping within its bound instead of holding the check.

import { Cairn, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LATEST_VERSION } from "../../src/storage/postgres/migrations.js";
import {
  freezePostgresServer,
  type PostgresServer,
  startPostgresServer,
} from "../helpers/postgres-server.js";

class Noop extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    return step.do("one", async () => 1);
  }
}

let server: PostgresServer;
let cairn: Cairn<{ NOOP: { name: string; class: typeof Noop } }>;
const schema = "health_checks";

beforeAll(async () => {
  server = await startPostgresServer();
  cairn = await Cairn.open({
    storage: `${server.url}?schema=${schema}`,
    workflows: { NOOP: { name: "noop", class: Noop } },
    onError: () => {},
  });
}, 120_000);
afterAll(async () => {
  await cairn?.close();
  await server?.destroy();
});

async function query(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

describe("cairn.health() on PostgreSQL", () => {
  it("is ready with the schema at this code's version", async () => {
    const report = await cairn.health();
    expect(report).toMatchObject({ ready: true, reason: null });
    expect(report.checks.migrations).toEqual({ ok: true, detail: `schema version ${LATEST_VERSION}` });
  });

  it("fails the migrations check while a newer version is recorded, and passes once it is gone", async () => {
    const newer = LATEST_VERSION + 1;
    await query(
      `INSERT INTO ${schema}.schema_migrations (version, name, applied_at) VALUES (${newer}, 'newer', 0)`,
    );
    const report = await cairn.health();
    expect(report.ready).toBe(false);
    expect(report.checks.migrations).toMatchObject({ ok: false, code: "storage.migration_failed" });
    expect(!report.checks.migrations.ok && report.checks.migrations.reason).toContain(
      `the database schema is at version ${newer}, this Cairn expects ${LATEST_VERSION}`,
    );
    await query(`DELETE FROM ${schema}.schema_migrations WHERE version = ${newer}`);
    expect((await cairn.health()).ready).toBe(true);
  });

  it("is not ready while the server is stopped, and ready again with work resumed once it is back", async () => {
    await server.stop();
    const down = await cairn.health();
    expect(down.ready).toBe(false);
    expect(down.checks.store).toMatchObject({ ok: false, code: "storage.unavailable" });
    expect(down.reason).toMatch(/^store: \(storage\.unavailable\) PostgreSQL is unavailable/);

    await server.start();
    await waitUntil(
      () => cairn.health(),
      (report) => report.ready,
      { timeoutMs: 20_000, intervalMs: 100, what: "readiness once PostgreSQL is back" },
    );
    const instance = await cairn.env.NOOP.create({ id: "after-restart" });
    expect(await waitForStatus(instance, "complete", { timeoutMs: 20_000 })).toMatchObject({ output: 1 });
  });

  it("fails the ping within its bound when the server hangs with connections open", async () => {
    const thaw = freezePostgresServer(server);
    try {
      const report = await cairn.health({ timeoutMs: 300 });
      expect(report.ready).toBe(false);
      expect(report.checks.store).toEqual({
        ok: false,
        code: "storage.unavailable",
        reason: "PostgreSQL did not answer a ping within 300 ms",
      });
    } finally {
      thaw();
    }
    await waitUntil(
      () => cairn.health(),
      (report) => report.ready,
      { timeoutMs: 20_000, intervalMs: 100, what: "readiness once PostgreSQL runs again" },
    );
  });
});
