// The database goes away mid-run: two worker processes and a client share a PostgreSQL server
// of this test's own, which is stopped (fast shutdown: every connection is cut) while instances
// are running, kept down past the lease duration, and started again. Nobody restarts the
// processes: they reconnect by themselves and finish everything, with the expected outputs, no
// committed step run again and every instance's event consumed exactly once.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { waitUntil } from "cairn/testing";
import { afterEach, describe, expect, it } from "vitest";
import { PostgresStore } from "../../src/storage/postgres/postgres-store.js";
import { startPostgresServer, testDatabaseAt } from "../helpers/postgres-server.js";
import { checkRun } from "./check-run.js";
import type { ClientConfig } from "./client-process.js";
import { readEffects } from "./effects-log.js";
import { ProcessHandle } from "./process-handle.js";
import type { WorkerConfig } from "./worker-process.js";

const INSTANCES = 600;
const LEASE_MS = 3_000;
const PHASE_MS = 180_000;

const sawOutage = (p: ProcessHandle) =>
  p.messages.some((m) => m.type === "engine-error" && m.message.includes("storage.unavailable"));

describe("PostgreSQL restarting under a running deployment", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it("workers and a client reconnect by themselves and finish every instance", async () => {
    // A server of its own even when CAIRN_TEST_DATABASE_URL is set: this test stops it.
    const server = await startPostgresServer();
    cleanups.push(() => server.destroy());
    const schema = "restart";
    const dir = mkdtempSync(join(tmpdir(), "cairn-restart-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const effectsPath = join(dir, "effects.txt");
    const processes: ProcessHandle[] = [];
    cleanups.push(async () => {
      await Promise.all(processes.map((p) => p.kill()));
    });

    const workers = [1, 2].map((worker) => {
      const config: WorkerConfig = {
        url: server.url,
        schema,
        effectsPath,
        worker,
        incarnation: 1,
        leaseMs: LEASE_MS,
        maxRunning: 200,
      };
      const handle = new ProcessHandle(`worker ${worker}`, "worker-process.ts", [JSON.stringify(config)]);
      processes.push(handle);
      return handle;
    });
    await Promise.all(workers.map((w) => w.waitFor((m) => m.type === "ready", 60_000, "ready")));
    // Paced, so that the client is still sending when the database goes away.
    const clientConfig: ClientConfig = { url: server.url, schema, count: INSTANCES, seed: 7, paceMs: 30 };
    const client = new ProcessHandle("client", "client-process.ts", [JSON.stringify(clientConfig)]);
    processes.push(client);

    const store = await PostgresStore.open({ connection: server.url, schema, poolSize: 2 });
    cleanups.push(() => store.close());
    /** Completed instances; -1 while the database cannot answer. */
    const countComplete = async () =>
      (await store.countByStatus("mixed").catch(() => ({ complete: -1 }))).complete ?? 0;
    await waitUntil(countComplete, (n) => n >= INSTANCES / 3, { timeoutMs: PHASE_MS, intervalMs: 100 });
    const before = await countComplete();

    await server.stop();
    await waitUntil(
      () => workers.map((w) => (w.isAlive ? sawOutage(w) : `${w.name} died: ${w.errorOutput}`)),
      (seen) => seen.every((s) => s === true),
      { timeoutMs: 30_000, intervalMs: 50, what: "every worker to notice the outage" },
    );
    // The outage itself: long enough for every lease held at the stop to run out.
    await delay(LEASE_MS + 500);
    await server.start();

    const after = await waitUntil(countComplete, (n) => n === INSTANCES, {
      timeoutMs: PHASE_MS,
      intervalMs: 250,
      what: `all ${INSTANCES} instances to complete after the restart`,
    });
    expect(before).toBeLessThan(INSTANCES);
    expect(after).toBe(INSTANCES);
    await client.waitFor((m) => m.type === "sent" && m.count === INSTANCES, 60_000, "all events sent");

    const db = testDatabaseAt(server.url, null);
    cleanups.push(() => db.close());
    const report = await checkRun(store, db, schema, INSTANCES, readEffects(effectsPath), {
      resentAllowed: true,
    });
    console.log(
      `database restart: ${before} of ${INSTANCES} complete at the stop, all ${after} after; ` +
        `client retries ${client.last("sent")?.retried ?? 0}; step starts by worker ${JSON.stringify([...report.startsByWorker])}`,
    );
    expect(report.violations.slice(0, 20)).toEqual([]);
    // The client was cut off mid-run too, and went on once the database was back.
    expect(client.last("sent")?.retried ?? 0).toBeGreaterThan(0);
    for (const w of workers) expect(w.isAlive, `${w.name} died:\n${w.errorOutput}`).toBe(true);

    await client.close();
    await Promise.all(workers.map((w) => w.close()));
    for (const w of workers) expect((await w.exited).code).toBe(0);
  }, 600_000);
});
