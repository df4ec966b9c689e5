// Scale-out under failures: three worker processes and one client process share one PostgreSQL
// and run 2,000 instances that mix steps, retries, sleeps and events. One worker is killed with
// SIGKILL twice during the run (and started again each time). Then every instance must be
// complete with the expected output, no committed step may have run again, every event must
// have been consumed exactly once, and every worker must have run some of the work.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitUntil } from "cairn/testing";
import { afterEach, describe, expect, it } from "vitest";
import { PostgresStore } from "../../src/storage/postgres/postgres-store.js";
import { openTestDatabase, type TestDatabase } from "../helpers/postgres-server.js";
import { checkRun } from "./check-run.js";
import type { ClientConfig } from "./client-process.js";
import { readEffects } from "./effects-log.js";
import { ProcessHandle } from "./process-handle.js";
import type { WorkerConfig } from "./worker-process.js";

const INSTANCES = 2_000;
const LEASE_MS = 6_000;
/** Bounds for waiting on progress; generous, since other test files share the two cores. */
const PHASE_MS = 240_000;

describe("scale-out on PostgreSQL", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it(`3 workers and 1 client run ${INSTANCES} instances; a worker is SIGKILLed twice`, async () => {
    const db: TestDatabase = await openTestDatabase();
    cleanups.push(() => db.close());
    const schema = db.newSchema("scale");
    const dir = mkdtempSync(join(tmpdir(), "cairn-scale-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const effectsPath = join(dir, "effects.txt");
    const processes: ProcessHandle[] = [];
    cleanups.push(async () => {
      await Promise.all(processes.map((p) => p.kill()));
    });

    const startWorker = (worker: number, incarnation: number) => {
      const config: WorkerConfig = {
        url: db.url,
        schema,
        effectsPath,
        worker,
        incarnation,
        leaseMs: LEASE_MS,
        maxRunning: 150,
      };
      const handle = new ProcessHandle(`worker ${worker}.${incarnation}`, "worker-process.ts", [
        JSON.stringify(config),
      ]);
      processes.push(handle);
      return handle;
    };
    // All three open the same fresh schema at once: the migration runs exactly once.
    const workers = [startWorker(1, 1), startWorker(2, 1), startWorker(3, 1)];
    await Promise.all(workers.map((w) => w.waitFor((m) => m.type === "ready", 60_000, "ready")));

    const store = await PostgresStore.open({ connection: db.url, schema, poolSize: 2 });
    cleanups.push(() => store.close());
    const clientConfig: ClientConfig = { url: db.url, schema, count: INSTANCES, seed: 20_261_122, paceMs: 0 };
    const client = new ProcessHandle("client", "client-process.ts", [JSON.stringify(clientConfig)]);
    processes.push(client);

    const complete = async () => (await store.countByStatus("mixed")).complete ?? 0;
    /** Instances a dead worker still held a lease on: others must take them after expiry. */
    const orphaned: number[] = [];
    const killWorker1 = async (incarnation: number) => {
      await workers[0]!.kill();
      const [row] = await db.query<{ n: string }>(
        `SELECT count(*) AS n FROM "${schema}".instances WHERE lease_owner = $1 AND status <> 'paused'`,
        [`worker-1.${incarnation}`],
      );
      orphaned.push(Number(row?.n ?? 0));
      workers[0] = startWorker(1, incarnation + 1);
    };
    const ranSteps = (worker: number, inc: number) =>
      readEffects(effectsPath).some((e) => e.worker === worker && e.inc === inc);

    // First kill, a fifth of the way through; the worker comes back as incarnation 2.
    await waitUntil(complete, (n) => n >= INSTANCES / 5, { timeoutMs: PHASE_MS, intervalMs: 100 });
    await killWorker1(1);
    // Second kill, once incarnation 2 took work and the run is past 60%.
    await waitUntil(
      async () => ({ done: await complete(), ran: ranSteps(1, 2) }),
      (s) => s.done >= (INSTANCES * 3) / 5 && s.ran,
      { timeoutMs: PHASE_MS, intervalMs: 100, what: "the second kill point" },
    );
    await killWorker1(2);

    await waitUntil(complete, (n) => n === INSTANCES, {
      timeoutMs: PHASE_MS,
      intervalMs: 250,
      what: `all ${INSTANCES} instances to complete`,
    });
    expect(client.last("sent")?.count).toBe(INSTANCES);

    const report = await checkRun(store, db, schema, INSTANCES, readEffects(effectsPath));
    const errors = processes.flatMap((p) =>
      p.messages.flatMap((m) => (m.type === "engine-error" ? [`${p.name}: ${m.context}: ${m.message}`] : [])),
    );
    console.log(
      `scale-out: ${INSTANCES} complete; step starts by worker ${JSON.stringify([...report.startsByWorker])}; ` +
        `instances by incarnation ${JSON.stringify([...report.instancesByIncarnation])}; ` +
        `leases orphaned by the kills ${JSON.stringify(orphaned)}; ${report.crashedAttempts} attempts cut by a kill; ` +
        `${report.waitingEntries} hibernations`,
    );
    expect(report.violations.slice(0, 20)).toEqual([]);
    expect(errors.slice(0, 10)).toEqual([]);
    // Every worker ran some of the work, and the incarnations killed had work in hand.
    for (const worker of [1, 2, 3]) expect(report.startsByWorker.get(worker) ?? 0).toBeGreaterThan(0);
    for (const inc of ["1.1", "1.2"]) expect(report.instancesByIncarnation.get(inc) ?? 0).toBeGreaterThan(0);
    // The kills left instances under a dead lease, which were finished anyway; instances hibernated.
    expect(orphaned.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(report.waitingEntries).toBeGreaterThan(0);

    await client.close();
    await Promise.all(workers.map((w) => w.close()));
    for (const w of workers) expect((await w.exited).code).toBe(0);
  }, 900_000);
});
