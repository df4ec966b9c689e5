// End-to-end: Queues under `cairn start --storage postgres://…` on a real PostgreSQL. Messages
// live in the engine's schema (its `queue_messages` table) and reach the queue handler; a process
// SIGKILLed mid-batch leaves its lease behind, and the next process delivers those messages again
// once the lease has run out, attempts counted, none lost.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { waitUntil } from "cairn/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase } from "../../helpers/postgres-server.js";
import { CairnProcess } from "../helpers/cairn-process.js";
import { copyFixture, postJson, removeProjects } from "../helpers/projects.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
}, 120_000);
afterAll(async () => {
  await CairnProcess.killAll();
  removeProjects();
  await db?.close();
});

type Delivery = { queue?: string; body?: { k?: string }; attempts?: number; holding?: boolean };

function records(dir: string): Delivery[] {
  const file = join(dir, "records.jsonl");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Delivery);
}

/** A short batch lease, so the second process sees the killed one's batch free within seconds. */
const LEASE_MS = 2_000;
const TEST_ENV = { CAIRN_QUEUE_LEASE_MS: String(LEASE_MS) };

describe("Queues on PostgreSQL", () => {
  it("stores messages in the engine's schema and redelivers a killed process's batch after its lease", async () => {
    const dir = copyFixture("queues-project");
    const schema = db.newSchema("queues_host");
    const args = ["start", "--port", "0", "--admin-port", "0", "--storage", `${db.url}?schema=${schema}`];
    const first = CairnProcess.start(args, dir, TEST_ENV);
    const url = await first.ready();
    const bodies = [{ k: "a" }, { k: "b", hold: true }, { k: "c" }];
    await postJson(url, "/send", { bodies });
    await waitUntil(
      async () => records(dir),
      (rs) => rs.some((r) => r.holding),
      { timeoutMs: 30_000, intervalMs: 25, what: "the batch to be held" },
    );
    const leased = await db.query<{ lease_owner: string | null; attempts: number }>(
      `SELECT lease_owner, attempts FROM "${schema}".queue_messages WHERE queue = 'jobs'`,
    );
    expect(leased).toHaveLength(3);
    expect(leased.every((row) => row.lease_owner !== null && row.attempts === 1)).toBe(true);
    await first.kill("SIGKILL");

    const second = CairnProcess.start(args, dir, TEST_ENV);
    await second.ready();
    const again = await waitUntil(
      async () => records(dir).filter((r) => r.queue === "jobs" && r.attempts === 2),
      (rs) => rs.length === bodies.length,
      { timeoutMs: LEASE_MS + 30_000, intervalMs: 100, what: "the batch delivered again after the lease" },
    );
    expect(again.map((r) => r.body)).toEqual(bodies);
    await waitUntil(
      () => db.query(`SELECT id FROM "${schema}".queue_messages`),
      (rows) => rows.length === 0,
      { timeoutMs: 10_000, what: "the acknowledged messages to be gone from the table" },
    );
    await second.kill("SIGTERM");
  }, 120_000);
});
