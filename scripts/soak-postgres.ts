// `npm run soak -- --storage postgres`: the scale-out deployment of test/scale (three worker
// processes and a client sharing one PostgreSQL) run for many minutes under a stream of faults,
// because a test in `npm test` can afford two kills and one restart, while the promises of a
// deployment on PostgreSQL are about what happens after hundreds. Every few seconds one of:
// a worker is killed with SIGKILL and started again as a new incarnation; the server is
// restarted (fast shutdown, every connection cut); one to three of the processes' connections
// are dropped with pg_terminate_backend. The client keeps creating instances of the mixed
// workflow and sending their events throughout. At the end every instance must hold its
// expected output, no committed step may have run again, each event must have been consumed
// exactly once, no process may have reported an error other than the database being out of
// reach, and work must have resumed within leaseMs + 1 s of each fault (see `Recovery`).
// Prints progress every 10 s and a summary; writes bench/results/soak-postgres-<date>.json.
// Always starts a server of its own (it restarts it), never CAIRN_TEST_DATABASE_URL.

import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { PostgresStore } from "../src/storage/postgres/postgres-store.js";
import { type PostgresServer, startPostgresServer, testDatabaseAt } from "../test/helpers/postgres-server.js";
import { checkRun } from "../test/scale/check-run.js";
import type { ClientConfig } from "../test/scale/client-process.js";
import { readEffects } from "../test/scale/effects-log.js";
import { ProcessHandle } from "../test/scale/process-handle.js";
import type { WorkerConfig } from "../test/scale/worker-process.js";

const RESULTS = fileURLToPath(new URL("../bench/results/", import.meta.url));
const ROOT = fileURLToPath(new URL("../", import.meta.url));

/**
 * The worker process as one JavaScript file run by plain node: it starts in about a third of the
 * time tsx takes, which matters when a worker is started again every few seconds on a busy
 * machine. It sits in the checkout's ignored scratch/ folder so that its packages resolve.
 */
async function bundleWorker(): Promise<{ file: string; remove: () => void }> {
  mkdirSync(join(ROOT, "scratch"), { recursive: true });
  const dir = mkdtempSync(join(ROOT, "scratch", "soak-postgres-"));
  const file = join(dir, "worker-process.mjs");
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  await build({
    entryPoints: [join(ROOT, "test", "scale", "worker-process.ts")],
    outfile: file,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    conditions: ["source"],
    external: Object.keys(pkg.dependencies),
    sourcemap: "inline",
    logLevel: "error",
  });
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export type PostgresSoakSettings = {
  kills: number;
  minutes: number;
  restarts: number;
  terminations: number;
  seed: number;
  leaseMs: number;
};

const WORKERS = 3;
/** Mean pause between two worker kills; each pause is drawn between half and 1.5 times it. */
const KILL_GAP_MS = 4_000;
/** Instances created but not complete that the client may have at once. */
const WINDOW = 150;
/** The client creates instances this many at a time. */
const CLIENT_BATCH = 50;
/** How often the effects file is read and pending recoveries are looked at. */
const TICK_MS = 100;
/** A recovery not seen by then is a stuck instance (a violation), not a slow one. */
const STUCK_MS = 120_000;
/** Bound for the end: the client sending its last events, then every instance completing. */
const DRAIN_MS = 600_000;

/** A seeded generator (mulberry32), so a failing run's fault sequence can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Reads the lines appended to the effects file since the last read, stamped with the time they
 * were read: a line's stamp is at most one tick (plus event-loop lag) after it was written.
 */
class EffectsTail {
  private readonly path: string;
  private offset = 0;
  private rest = "";
  constructor(path: string) {
    this.path = path;
  }

  read(): { kind: string; who: string; instance: string }[] {
    let fd: number;
    try {
      fd = openSync(this.path, "r");
    } catch {
      return [];
    }
    try {
      const buffer = Buffer.alloc(1 << 20);
      let text = this.rest;
      for (;;) {
        const n = readSync(fd, buffer, 0, buffer.length, this.offset);
        if (n === 0) break;
        this.offset += n;
        text += buffer.subarray(0, n).toString("utf8");
      }
      const lines = text.split("\n");
      this.rest = lines.pop() ?? "";
      return lines.map((line) => {
        const [kind, worker, inc, instance] = line.split(" ");
        return { kind: kind!, who: `${worker}.${inc}`, instance: instance! };
      });
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Recovery, per fault, measured from the effects file (see EffectsTail) and the instances table:
 * - worker kill: for each instance whose lease the killed incarnation held when it died, the time
 *   from the SIGKILL until the instance's next step start or commit by another incarnation, or its
 *   completion; the kill's recovery is the slowest of its instances (kills that held no lease
 *   have none);
 * - server restart: from the server accepting connections again until the next committed step;
 * - dropped connections: for a worker's connection, until that worker incarnation's next
 *   committed step (dropped if it is killed first); for the client's, until the next committed
 *   step of any worker; with several connections dropped at once, the slowest of them.
 */
type Held = { epoch: number; takenAt: number | null; progressAt: number | null };
type PendingKill = {
  index: number;
  at: number;
  who: string;
  othersReady: number;
  held: Map<string, Held>;
};
type PendingTermination = { at: number; waiting: Set<string> };

export async function runPostgresSoak(settings: PostgresSoakSettings): Promise<number> {
  const started = new Date();
  const deadline = Date.now() + settings.minutes * 60_000;
  const random = rng(settings.seed);
  const between = (lo: number, hi: number) => lo + random() * (hi - lo);
  const bound = settings.leaseMs + 1_000;
  const violations: string[] = [];
  const notes: string[] = [];

  // The fault plan: kills every few seconds; restarts and terminations spread over the same span.
  const killGap = Math.min(KILL_GAP_MS, (settings.minutes * 60_000 * 0.8) / settings.kills);
  const plannedMs = settings.kills * killGap;
  const terminationGap = (plannedMs * 0.9) / Math.max(1, settings.terminations);
  console.log(
    `soak: PostgreSQL, ${WORKERS} workers and a client, leaseMs ${settings.leaseMs}, seed ${settings.seed}: ` +
      `${settings.kills} kills (every ${(killGap / 1000).toFixed(1)} s on average), ${settings.restarts} server restarts, ` +
      `${settings.terminations} connection drops over about ${Math.round(plannedMs / 60_000)} min, at most ${settings.minutes} min`,
  );

  const bundle = await bundleWorker();
  const server: PostgresServer = await startPostgresServer();
  const dir = mkdtempSync(join(os.tmpdir(), "cairn-soak-pg-"));
  const effectsPath = join(dir, "effects.txt");
  const schema = "soak";
  const db = testDatabaseAt(server.url, null);
  /** An admin query, tried again a few times if the pool hands out a connection the restart cut. */
  const query = async <R extends Record<string, unknown>>(text: string, values?: unknown[]) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await db.query<R>(text, values);
      } catch (error) {
        if (attempt >= 5) throw error;
        await sleep(200);
      }
    }
  };
  /** Each process's connections carry its name, so faults can pick them out of pg_stat_activity. */
  const urlFor = (name: string) => `${server.url}?application_name=${name}`;

  const processes: ProcessHandle[] = [];
  let stopping = false;
  let clientGone = false;
  const killedByUs = new Set<ProcessHandle>();
  const workerStartMs: number[] = [];
  let startsFailedForOutage = 0;
  const incarnations = Array.from({ length: WORKERS }, () => 0);
  const workers: ProcessHandle[] = [];
  const startWorker = (slot: number) => {
    const worker = slot + 1;
    const incarnation = ++incarnations[slot]!;
    const config: WorkerConfig = {
      url: urlFor(`soak-worker-${worker}.${incarnation}`),
      schema,
      effectsPath,
      worker,
      incarnation,
      leaseMs: settings.leaseMs,
      // Room for every instance in flight: a lone surviving worker can take up all orphans at once.
      maxRunning: 200,
      reportRssEveryMs: 5_000,
    };
    const handle = new ProcessHandle(
      `worker ${worker}.${incarnation}`,
      bundle.file,
      [JSON.stringify(config)],
      {
        compiled: true,
      },
    );
    processes.push(handle);
    workers[slot] = handle;
    const spawnedAt = Date.now();
    handle
      .waitFor((m) => m.type === "ready", STUCK_MS, "ready")
      .then(() => workerStartMs.push(Date.now() - spawnedAt))
      .catch(() => {});
    void handle.exited.then(({ code, signal }) => {
      if (killedByUs.has(handle) || stopping) return;
      const wasReady = handle.messages.some((m) => m.type === "ready");
      if (!wasReady && handle.errorOutput.includes("storage.unavailable")) {
        // Cairn.open fails when it cannot reach the database; a supervisor starts it again.
        startsFailedForOutage += 1;
        startWorker(slot);
        return;
      }
      violations.push(
        `${handle.name} exited by itself (${signal ?? `code ${code}`}):\n${handle.errorOutput.slice(-4_000)}`,
      );
      if (!stopping) startWorker(slot);
    });
    return handle;
  };
  let store: PostgresStore | null = null;
  let client: ProcessHandle | null = null;
  const counts = {
    workerKills: 0,
    killsHoldingLeases: 0,
    orphanedLeases: 0,
    serverRestarts: 0,
    terminations: 0,
    backendsTerminated: 0,
    terminatedByTarget: { worker: 0, client: 0 },
    terminationsSuperseded: 0,
    killsDeferred: 0,
  };
  const recoveries = {
    kill: [] as number[],
    killInstance: [] as number[],
    killProgress: [] as number[],
    killProgressInstance: [] as number[],
    restart: [] as number[],
    termination: [] as number[],
  };
  const restartLog: { downMs: number; recoveryMs: number | null }[] = [];
  const killLog: {
    kill: number;
    atMs: number;
    worker: string;
    othersReady: number;
    leasesHeld: number;
    takenUpMs: number;
    nextStepMs: number;
  }[] = [];
  /** When the faults begin (once the workers are up and the client started). */
  let t0 = Date.now();
  let complete = 0;
  let created = 0;

  try {
    for (let slot = 0; slot < WORKERS; slot++) startWorker(slot);
    await Promise.all(workers.map((w) => w.waitFor((m) => m.type === "ready", 120_000, "ready")));
    store = await PostgresStore.open({ connection: server.url, schema, poolSize: 2 });
    const clientConfig: ClientConfig = {
      url: urlFor("soak-client"),
      schema,
      count: WINDOW,
      seed: settings.seed,
      paceMs: 0,
      batch: CLIENT_BATCH,
    };
    client = new ProcessHandle("client", "client-process.ts", [JSON.stringify(clientConfig)]);
    processes.push(client);
    const theClient = client;
    t0 = Date.now();
    const theStore = store;

    // The effects file, read every tick: recoveries waiting for a step are settled from it.
    const tail = new EffectsTail(effectsPath);
    const pendingKills: PendingKill[] = [];
    const pendingTerminations: PendingTermination[] = [];
    let pendingRestart: { readyAt: number } | null = null;
    let ignoreUntilDrained = false;
    const progressed = (h: Held, now: number) => {
      h.takenAt ??= now;
      h.progressAt ??= now;
    };
    const finishKills = () => {
      for (let i = pendingKills.length - 1; i >= 0; i--) {
        const k = pendingKills[i]!;
        const held = [...k.held.values()];
        if (held.some((h) => h.progressAt === null)) continue;
        pendingKills.splice(i, 1);
        const taken = held.map((h) => h.takenAt! - k.at);
        const progress = held.map((h) => h.progressAt! - k.at);
        recoveries.killInstance.push(...taken);
        recoveries.killProgressInstance.push(...progress);
        recoveries.kill.push(Math.max(...taken));
        recoveries.killProgress.push(Math.max(...progress));
        killLog.push({
          kill: k.index,
          atMs: k.at - t0,
          worker: k.who,
          othersReady: k.othersReady,
          leasesHeld: held.length,
          takenUpMs: Math.max(...taken),
          nextStepMs: Math.max(...progress),
        });
        if (Math.max(...taken) > bound)
          violations.push(
            `kill ${k.index} (${k.who}): an instance it held was taken up ${Math.max(...taken)} ms after the kill`,
          );
      }
    };
    const tick = () => {
      const now = Date.now();
      const lines = tail.read();
      if (ignoreUntilDrained) return;
      for (const line of lines) {
        for (const k of pendingKills) {
          const h = k.who !== line.who ? k.held.get(line.instance) : undefined;
          if (h) progressed(h, now);
        }
        if (line.kind !== "committed") continue;
        if (pendingRestart) {
          const ms = now - pendingRestart.readyAt;
          recoveries.restart.push(ms);
          restartLog[restartLog.length - 1]!.recoveryMs = ms;
          if (ms > bound)
            violations.push(`restart ${restartLog.length}: the first step committed ${ms} ms after it`);
          pendingRestart = null;
        }
        for (let i = pendingTerminations.length - 1; i >= 0; i--) {
          const t = pendingTerminations[i]!;
          t.waiting.delete(line.who);
          t.waiting.delete("client");
          if (t.waiting.size > 0) continue;
          pendingTerminations.splice(i, 1);
          recoveries.termination.push(now - t.at);
          if (now - t.at > bound)
            violations.push(`dropped connections: next step committed ${now - t.at} ms after`);
        }
      }
      finishKills();
      for (let i = pendingKills.length - 1; i >= 0; i--) {
        const k = pendingKills[i]!;
        if (now - k.at < STUCK_MS) continue;
        pendingKills.splice(i, 1);
        const stuck = [...k.held].filter(([, h]) => h.progressAt === null).map(([id]) => id);
        violations.push(
          `kill ${k.index} (${k.who}): ${stuck.join(", ")} made no progress within ${STUCK_MS} ms`,
        );
      }
      for (let i = pendingTerminations.length - 1; i >= 0; i--) {
        if (now - pendingTerminations[i]!.at < STUCK_MS) continue;
        pendingTerminations.splice(i, 1);
        violations.push(`dropped connections: no step committed within ${STUCK_MS} ms`);
      }
    };
    const ticker = setInterval(tick, TICK_MS);

    // The instances a kill orphaned, from the database: a claim by another incarnation raises the
    // epoch (the dead one can no longer write, so any change is someone else's); complete counts
    // as progress too.
    let watching = false;
    const watch = async () => {
      if (watching) return;
      const waiting = new Set(
        pendingKills.flatMap((k) => [...k.held].filter(([, h]) => h.progressAt === null).map(([id]) => id)),
      );
      if (waiting.size === 0) return;
      watching = true;
      const rows = await db
        .query<{ id: string; epoch: number; status: string }>(
          `SELECT id, epoch, status FROM "${schema}".instances WHERE id = ANY($1)`,
          [[...waiting]],
        )
        .catch(() => [] as { id: string; epoch: number; status: string }[])
        .finally(() => {
          watching = false;
        });
      const now = Date.now();
      for (const row of rows) {
        for (const k of pendingKills) {
          const h = k.held.get(row.id);
          if (!h) continue;
          if (row.status === "complete") progressed(h, now);
          else if (row.epoch !== h.epoch) h.takenAt ??= now;
        }
      }
      finishKills();
    };
    const watcher = setInterval(() => void watch(), 200);
    const refreshCounts = async () => {
      const byStatus = await theStore.countByStatus("mixed").catch(() => null);
      if (byStatus) complete = byStatus.complete ?? 0;
      created = theClient.last("created")?.count ?? 0;
      theClient.send({ type: "allow", upTo: complete + WINDOW });
    };
    const allowance = setInterval(() => void refreshCounts(), 1_000);
    const progress = setInterval(() => {
      console.log(
        `  ${Math.round((Date.now() - t0) / 1000)} s: ${counts.workerKills}/${settings.kills} kills, ` +
          `${counts.serverRestarts}/${settings.restarts} restarts, ${counts.terminations}/${settings.terminations} connection drops; ` +
          `${complete} of ${created} instances complete; ${violations.length} violations`,
      );
    }, 10_000);

    const readyWorkers = () => workers.filter((w) => w.isAlive && w.messages.some((m) => m.type === "ready"));
    const killOne = async () => {
      // The victim is a worker that is up, and another one stays up: a kill while the others are
      // still starting would time process start-up on a busy machine, not the takeover.
      const from = Date.now();
      while (readyWorkers().length < 2 && Date.now() - from < STUCK_MS) await sleep(TICK_MS);
      if (Date.now() - from > TICK_MS) counts.killsDeferred += 1;
      const ready = readyWorkers();
      const pool = ready.length > 0 ? ready : workers;
      const victim = pool[Math.floor(random() * pool.length)]!;
      const slot = workers.indexOf(victim);
      const who = `${slot + 1}.${incarnations[slot]}`;
      const othersReady = ready.filter((w) => w !== victim).length;
      killedByUs.add(victim);
      const at = Date.now();
      await victim.kill();
      counts.workerKills += 1;
      const held = await query<{ id: string; epoch: number }>(
        `SELECT id, epoch FROM "${schema}".instances WHERE lease_owner = $1 AND status <> 'paused'`,
        [`worker-${who}`],
      );
      // A dropped connection of the dead incarnation no longer has a step to wait for.
      for (let i = pendingTerminations.length - 1; i >= 0; i--) {
        const t = pendingTerminations[i]!;
        if (!t.waiting.delete(who) || t.waiting.size > 0) continue;
        pendingTerminations.splice(i, 1);
        counts.terminationsSuperseded += 1;
      }
      if (held.length > 0) {
        counts.killsHoldingLeases += 1;
        counts.orphanedLeases += held.length;
        pendingKills.push({
          index: counts.workerKills,
          at,
          who,
          othersReady,
          held: new Map(held.map((r) => [r.id, { epoch: r.epoch, takenAt: null, progressAt: null }])),
        });
      }
      startWorker(slot);
    };

    const terminateSome = async () => {
      // Connections of processes that are up and running (not of one still opening Cairn).
      const up = new Set(
        [theClient, ...workers]
          .filter((p) => p.isAlive && p.messages.some((m) => m.type === "ready"))
          .map((p) => (p === theClient ? "soak-client" : `soak-worker-${p.name.replace("worker ", "")}`)),
      );
      const backends = (
        await query<{ pid: number; name: string }>(
          `SELECT pid, application_name AS name FROM pg_stat_activity
           WHERE application_name LIKE 'soak-%' AND pid <> pg_backend_pid()`,
        )
      ).filter((b) => up.has(b.name));
      if (backends.length === 0) return;
      const chosen = new Map<number, string>();
      const want = 1 + Math.floor(random() * 3);
      while (chosen.size < Math.min(want, backends.length)) {
        const b = backends[Math.floor(random() * backends.length)]!;
        chosen.set(b.pid, b.name);
      }
      const at = Date.now();
      const done = await query<{ ok: boolean }>(
        `SELECT pg_terminate_backend(pid) AS ok FROM unnest($1::int[]) AS pid`,
        [[...chosen.keys()]],
      );
      const hit = done.filter((r) => r.ok).length;
      if (hit === 0) return;
      counts.terminations += 1;
      counts.backendsTerminated += hit;
      const waiting = new Set<string>();
      for (const name of chosen.values()) {
        if (name === "soak-client") {
          counts.terminatedByTarget.client += 1;
          waiting.add("client");
        } else {
          counts.terminatedByTarget.worker += 1;
          waiting.add(name.replace("soak-worker-", ""));
        }
      }
      pendingTerminations.push({ at, waiting });
    };

    const restartServer = async () => {
      // Kill recoveries in progress are settled first, so that the outage does not count in them,
      // and every worker is up (one still opening Cairn would fail to open and start again).
      const waitFrom = Date.now();
      while (
        workers.some((w) => !w.messages.some((m) => m.type === "ready")) &&
        Date.now() - waitFrom < STUCK_MS
      )
        await sleep(TICK_MS);
      while (pendingKills.length > 0 && Date.now() - waitFrom < settings.leaseMs + 5_000)
        await sleep(TICK_MS);
      if (pendingKills.length > 0)
        notes.push(`restart ${counts.serverRestarts + 1} began with kill recoveries pending`);
      await server.stop();
      const downMs = Math.round(between(500, settings.leaseMs + 1_000));
      await sleep(downMs);
      ignoreUntilDrained = true;
      await server.start();
      tail.read();
      ignoreUntilDrained = false;
      counts.serverRestarts += 1;
      restartLog.push({ downMs, recoveryMs: null });
      pendingRestart = { readyAt: Date.now() };
      const readyAt = Date.now();
      while (pendingRestart && Date.now() - readyAt < STUCK_MS) await sleep(TICK_MS);
      if (pendingRestart) {
        violations.push(`restart ${counts.serverRestarts}: no step committed within ${STUCK_MS} ms`);
        pendingRestart = null;
      }
    };

    // The fault loop: the earliest due fault of a kind still short of its target runs next.
    let nextKill = t0 + between(0.5, 1.5) * killGap;
    let nextTermination = t0 + between(0.5, 1.5) * terminationGap;
    const restartAt = Array.from(
      { length: settings.restarts },
      (_, i) => t0 + ((i + between(0.3, 0.7)) / settings.restarts) * plannedMs,
    );
    while (Date.now() < deadline && !clientGone) {
      const due: [number, "kill" | "terminate" | "restart"][] = [];
      if (counts.workerKills < settings.kills) due.push([nextKill, "kill"]);
      if (counts.terminations < settings.terminations) due.push([nextTermination, "terminate"]);
      if (counts.serverRestarts < settings.restarts)
        due.push([restartAt[counts.serverRestarts] ?? Date.now(), "restart"]);
      if (due.length === 0) break;
      due.sort((a, b) => a[0] - b[0]);
      const [when, kind] = due[0]!;
      while (Date.now() < when && Date.now() < deadline) await sleep(Math.min(200, when - Date.now()));
      if (Date.now() >= deadline) break;
      if (!theClient.isAlive) {
        violations.push(`client exited:\n${theClient.errorOutput.slice(-4_000)}`);
        clientGone = true;
        break;
      }
      if (kind === "kill") {
        await killOne();
        nextKill = Math.max(Date.now(), nextKill) + between(0.5, 1.5) * killGap;
      } else if (kind === "terminate") {
        await terminateSome();
        nextTermination = Math.max(Date.now(), nextTermination) + between(0.5, 1.5) * terminationGap;
      } else {
        console.log(`  restarting the server (${counts.serverRestarts + 1}/${settings.restarts})`);
        await restartServer();
      }
    }
    const faultsEndedMs = Date.now() - t0;

    // No more faults: the client sends what it created, and every instance must complete.
    theClient.send({ type: "finish" });
    await theClient
      .waitFor((m) => m.type === "finished", DRAIN_MS, "the client's last batch")
      .catch((error) => violations.push(`client: ${(error as Error).message.slice(0, 4_000)}`));
    const finished = theClient.last("finished");
    created = finished?.created ?? theClient.last("created")?.count ?? 0;
    const drainFrom = Date.now();
    for (;;) {
      await refreshCounts();
      if (complete >= created || Date.now() - drainFrom > DRAIN_MS) break;
      await sleep(500);
    }
    const drainMs = Date.now() - drainFrom;
    await sleep(TICK_MS * 3);
    for (const timer of [ticker, watcher, allowance, progress]) clearInterval(timer);
    tick();
    for (const k of pendingKills) {
      const stuck = [...k.held].filter(([, h]) => h.progressAt === null).map(([id]) => id);
      violations.push(`kill ${k.index} (${k.who}): ${stuck.join(", ")} never made progress`);
    }
    if (complete < created)
      violations.push(`${created - complete} instances not complete ${DRAIN_MS} ms after the faults ended`);

    // The checks of the scale-out tests, over every instance the client created.
    const report = await checkRun(theStore, db, schema, created, readEffects(effectsPath), {
      resentAllowed: true,
    });
    violations.push(...report.violations.slice(0, 50));
    if (report.violations.length > 50)
      violations.push(`… and ${report.violations.length - 50} more check violations`);
    const [eventRows] = await query<{ events: string; instances: string }>(
      `SELECT (SELECT count(*) FROM "${schema}".events) AS events, (SELECT count(*) FROM "${schema}".instances) AS instances`,
    );
    const stepStarts = readEffects(effectsPath).filter((e) => e.kind === "start").length;

    // Engine errors. Expected during faults: `storage.unavailable`, whatever the context (an
    // instance's write, lease renewal, a scheduler pass, waking or loading an instance), since
    // each says the process could not reach the database and stopped that piece of work, which
    // the journal then replays; a write refused for a stale lease is never reported at all. Any
    // other error (storage.failed, an error without a code, a step's or workflow's failure
    // escaping) may hide lost or repeated work and is a violation.
    const engineErrors = processes.flatMap((p) =>
      p.messages.flatMap((m) => (m.type === "engine-error" ? [{ process: p.name, ...m }] : [])),
    );
    const expectedErrors = engineErrors.filter((e) => e.code === "storage.unavailable");
    const otherErrors = engineErrors.filter((e) => e.code !== "storage.unavailable");
    for (const e of otherErrors.slice(0, 20))
      violations.push(`${e.process}: ${e.context}: ${e.message.slice(0, 1_500)}`);
    if (otherErrors.length > 20) violations.push(`… and ${otherErrors.length - 20} more engine errors`);
    const errorContexts: Record<string, number> = {};
    for (const e of expectedErrors) {
      const context = e.context.replace(/mixed\/m-\d+/, "mixed/…");
      errorContexts[context] = (errorContexts[context] ?? 0) + 1;
    }

    stopping = true;
    await theClient.close();
    await Promise.all(workers.map((w) => w.close()));
    for (const w of workers) {
      const { code, signal } = await w.exited;
      if (code !== 0) violations.push(`${w.name} did not close cleanly (${signal ?? `code ${code}`})`);
    }

    const peakRss = Math.max(
      0,
      ...processes.flatMap((p) => p.messages.flatMap((m) => (m.type === "rss" ? [m.maxRssBytes] : []))),
    );
    const summarise = (values: number[]) => ({
      measured: values.length,
      worstMs: values.length ? Math.max(...values) : null,
      p50Ms: percentile(values, 50),
    });
    const totals = {
      workerKills: counts.workerKills,
      killsDeferredForAStartingWorker: counts.killsDeferred,
      killsHoldingLeases: counts.killsHoldingLeases,
      leasesOrphanedByKills: counts.orphanedLeases,
      serverRestarts: counts.serverRestarts,
      terminations: counts.terminations,
      backendsTerminated: counts.backendsTerminated,
      backendsTerminatedOf: counts.terminatedByTarget,
      terminationsEndedByAKill: counts.terminationsSuperseded,
      instances: Number(eventRows?.instances ?? 0),
      instancesComplete: complete,
      stepStarts,
      crashedAttempts: report.crashedAttempts,
      hibernations: report.waitingEntries,
      events: Number(eventRows?.events ?? 0),
      eventResends: Number(eventRows?.events ?? 0) - Number(eventRows?.instances ?? 0),
      clientRetries: finished?.retried ?? theClient.last("sent")?.retried ?? 0,
      workerIncarnations: incarnations.reduce((a, b) => a + b, 0),
      workerStartToReady: summarise(workerStartMs),
      workerStartsFailedForOutage: startsFailedForOutage,
      stepStartsByWorker: Object.fromEntries(report.startsByWorker),
      recovery: {
        boundMs: bound,
        workerKill: summarise(recoveries.kill),
        workerKillPerInstance: summarise(recoveries.killInstance),
        workerKillNextStep: summarise(recoveries.killProgress),
        workerKillNextStepPerInstance: summarise(recoveries.killProgressInstance),
        serverRestart: summarise(recoveries.restart),
        termination: summarise(recoveries.termination),
      },
      worstRecoveryMs: {
        workerKill: summarise(recoveries.kill).worstMs,
        serverRestart: summarise(recoveries.restart).worstMs,
        termination: summarise(recoveries.termination).worstMs,
      },
      p50RecoveryMs: {
        workerKill: summarise(recoveries.kill).p50Ms,
        serverRestart: summarise(recoveries.restart).p50Ms,
        termination: summarise(recoveries.termination).p50Ms,
      },
      expectedEngineErrors: expectedErrors.length,
      expectedEngineErrorsByContext: errorContexts,
      faultsEndedAfterMs: faultsEndedMs,
      drainMs,
    };
    const result = {
      kind: "soak",
      storage: "postgres",
      startedAt: started.toISOString(),
      durationMs: Date.now() - started.getTime(),
      settings: {
        ...settings,
        workers: WORKERS,
        meanKillGapMs: Math.round(killGap),
        window: WINDOW,
        clientBatch: CLIENT_BATCH,
      },
      machine: { cpus: os.cpus().length, node: process.version, loadAverageAtEnd: os.loadavg() },
      totals,
      restarts: restartLog,
      kills: killLog,
      peakWorkerRssBytes: peakRss,
      peakParentRssBytes: process.resourceUsage().maxRSS * 1024,
      notes,
      violations,
    };
    mkdirSync(RESULTS, { recursive: true });
    const file = join(RESULTS, `soak-postgres-${started.toISOString().slice(0, 10)}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    const r = totals.recovery;
    console.log(
      `soak: ${totals.workerKills} worker kills (${totals.leasesOrphanedByKills} leases orphaned), ${totals.serverRestarts} server restarts, ` +
        `${totals.terminations} connection drops (${totals.backendsTerminated} backends); ${totals.instancesComplete} of ${totals.instances} instances complete, ` +
        `${totals.stepStarts} step starts, ${totals.crashedAttempts} attempts recorded as crashed, ${totals.events} events (${totals.eventResends} resent)`,
    );
    console.log(
      `  recovery (bound ${bound} ms): kill worst ${r.workerKill.worstMs} ms p50 ${r.workerKill.p50Ms} ms over ${r.workerKill.measured}; ` +
        `restart worst ${r.serverRestart.worstMs} ms p50 ${r.serverRestart.p50Ms} ms; ` +
        `connection drop worst ${r.termination.worstMs} ms p50 ${r.termination.p50Ms} ms; peak worker RSS ${Math.round(peakRss / 2 ** 20)} MiB`,
    );
    console.log(`wrote ${file}`);
  } catch (error) {
    violations.push(`the soak could not be carried out: ${(error as Error).stack ?? error}`);
  } finally {
    stopping = true;
    await Promise.all(processes.map((p) => p.kill()));
    await store?.close().catch(() => {});
    await db.close().catch(() => {});
    await server.destroy();
    rmSync(dir, { recursive: true, force: true });
    bundle.remove();
  }

  if (violations.length > 0) {
    console.error(`soak FAILED (seed ${settings.seed}), ${violations.length} violations:`);
    for (const v of violations.slice(0, 40)) console.error(`  - ${v}`);
    return 1;
  }
  if (
    counts.workerKills < settings.kills ||
    counts.serverRestarts < settings.restarts ||
    counts.terminations < settings.terminations
  ) {
    console.error(
      `soak stopped by --minutes with ${counts.workerKills}/${settings.kills} kills, ${counts.serverRestarts}/${settings.restarts} restarts, ${counts.terminations}/${settings.terminations} connection drops (seed ${settings.seed})`,
    );
    return 1;
  }
  return 0;
}
