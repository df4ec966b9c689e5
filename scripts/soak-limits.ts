// `npm run soak -- --limits`: the engine at volumes `npm test` cannot afford. On SQLite and on
// PostgreSQL, through the public API only: a burst of `--instances` creates issued at once through
// the binding, every one run to completion; then `--events` instances waiting for an event and as
// many `sendEvent`s issued at once, each instance ending with its own payload. Nothing may be lost:
// each create succeeds or fails with a documented error code, and every instance created is
// stored and completes with the output expected. Measures each phase's time, peak memory and the
// event loop's worst lag; prints a table and writes bench/results/soak-limits-<date>.json.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  Cairn,
  type StoredStatus,
  WorkflowEntrypoint,
  type WorkflowEvent,
  type WorkflowInstance,
  type WorkflowStep,
  WorkflowsError,
} from "cairn";
import { startPostgresServer } from "../test/helpers/postgres-server.js";

const RESULTS = fileURLToPath(new URL("../bench/results/", import.meta.url));

export const LIMITS_USAGE = `npm run soak -- --limits [options]
  --storage S         sqlite, postgres or both (default both)
  --instances N       instances created in the burst, 1 to 1000000 (default 100000)
  --events N          waiting instances sent an event at once, 1 to 100000 (default 10000)
  --help              this text`;

const MAX_INSTANCES = 1_000_000;
const MAX_EVENTS = 100_000;
/** The event loop's delay is sampled every RESOLUTION_MS; a delay beyond it is lag. */
const RESOLUTION_MS = 10;
/** How many reads the checks keep in flight. */
const READ_CONCURRENCY = 200;

type Storage = "sqlite" | "postgres";

type Settings = { storages: Storage[]; instances: number; events: number };

function whole(name: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < 1 || n > max) {
    throw new Error(`--${name} must be a whole number from 1 to ${max}, got "${value}"`);
  }
  return n;
}

function options(argv: string[]): Settings | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      limits: { type: "boolean" },
      storage: { type: "string" },
      instances: { type: "string" },
      events: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) return "help";
  const storage = values.storage ?? "both";
  if (storage !== "sqlite" && storage !== "postgres" && storage !== "both") {
    throw new Error(`--storage must be sqlite, postgres or both, got "${storage}"`);
  }
  return {
    storages: storage === "both" ? ["sqlite", "postgres"] : [storage],
    instances: whole("instances", values.instances, 100_000, MAX_INSTANCES),
    events: whole("events", values.events, 10_000, MAX_EVENTS),
  };
}

// ---- the workflows -------------------------------------------------------------------------

type BurstParams = { n: number };

/** Two quick steps; the output follows from the params alone. */
class Burst extends WorkflowEntrypoint<unknown, BurstParams> {
  async run(event: WorkflowEvent<BurstParams>, step: WorkflowStep) {
    const doubled = await step.do("double", async () => event.payload.n * 2);
    const label = await step.do("label", async () => `n${event.payload.n}`);
    return { doubled, label };
  }
}

const burstOutput = (n: number) => ({ doubled: n * 2, label: `n${n}` });

/** A step, a wait for "go", then a step that returns what the event carried. */
class Waiter extends WorkflowEntrypoint<unknown, BurstParams> {
  async run(event: WorkflowEvent<BurstParams>, step: WorkflowStep) {
    await step.do("ready", async () => event.payload.n);
    const got = await step.waitForEvent<{ n: number; token: string }>("go", {
      type: "go",
      timeout: "1 hour",
    });
    return step.do("take", async () => got.payload);
  }
}

const eventPayload = (n: number, id: string) => ({ n, token: `${id}:${n}` });

// ---- measuring -----------------------------------------------------------------------------

type PhaseFigures = {
  wallMs: number;
  maxRssBytesAtEnd: number;
  sampledMaxRssBytes: number;
  sampledMaxHeapUsedBytes: number;
  eventLoopLagMaxMs: number;
  eventLoopLagP99Ms: number;
  /** The machine's one-minute load average at the phase's end (other work on it skews the times). */
  loadAverageAtEnd: number;
};

const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
delay.enable();

/** Measures from now until `end()`: wall time, memory sampled every 100 ms, event loop lag. */
function measure() {
  const started = performance.now();
  let rss = 0;
  let heap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
  };
  sample();
  delay.reset();
  const timer = setInterval(sample, 100);
  const lag = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  return {
    end(): PhaseFigures {
      clearInterval(timer);
      sample();
      return {
        wallMs: Math.round(performance.now() - started),
        maxRssBytesAtEnd: process.resourceUsage().maxRSS * 1024,
        sampledMaxRssBytes: rss,
        sampledMaxHeapUsedBytes: heap,
        eventLoopLagMaxMs: round1(lag(delay.max)),
        eventLoopLagP99Ms: round1(lag(delay.percentile(99))),
        loadAverageAtEnd: round1(os.loadavg()[0] ?? 0),
      };
    },
  };
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- the phases ----------------------------------------------------------------------------

function open(storage: string, onError: (error: unknown, context: string) => void) {
  return Cairn.open({
    storage,
    workflows: {
      BURST: { name: "burst", class: Burst },
      WAITER: { name: "waiter", class: Waiter },
    },
    onError,
  });
}

type Open = Awaited<ReturnType<typeof open>>;
type Binding = Open["env"]["BURST"];

/** Every create's outcome: the instances made, and the refusals counted by error code. */
async function burst(
  binding: Binding,
  count: number,
): Promise<{ created: { n: number; instance: WorkflowInstance }[]; refused: Record<string, number> }> {
  const settled = await Promise.allSettled(
    Array.from({ length: count }, (_, n) => binding.create({ params: { n } })),
  );
  const created: { n: number; instance: WorkflowInstance }[] = [];
  const refused: Record<string, number> = {};
  settled.forEach((outcome, n) => {
    if (outcome.status === "fulfilled") created.push({ n, instance: outcome.value });
    else {
      const error = outcome.reason;
      const code = WorkflowsError.is(error) ? error.code : `undocumented: ${String(error).slice(0, 200)}`;
      refused[code] = (refused[code] ?? 0) + 1;
    }
  });
  return { created, refused };
}

/** Waits until `count` instances of `workflow` have `status`, printing progress; false on timeout. */
async function waitForCount(
  cairn: Open,
  workflow: string,
  status: StoredStatus,
  count: number,
  timeoutMs: number,
  label: string,
): Promise<{ reached: boolean; counts: Partial<Record<StoredStatus, number>> }> {
  const deadline = Date.now() + timeoutMs;
  let lastPrint = 0;
  for (;;) {
    const { counts } = await cairn.inspect.workflow(workflow);
    const done = counts[status] ?? 0;
    if (done >= count) return { reached: true, counts };
    if (Date.now() >= deadline) return { reached: false, counts };
    if (Date.now() - lastPrint >= 5_000) {
      lastPrint = Date.now();
      console.log(`    ${label}: ${done}/${count} ${status} (${JSON.stringify(counts)})`);
    }
    await sleep(250);
  }
}

/** Runs `check` over every item with READ_CONCURRENCY in flight; returns the problems it found. */
async function checkAll<T>(items: T[], check: (item: T) => Promise<string | null>): Promise<string[]> {
  const problems: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      const problem = await check(item).catch((error) => `read failed: ${(error as Error).message}`);
      if (problem) problems.push(problem);
    }
  };
  await Promise.all(Array.from({ length: READ_CONCURRENCY }, worker));
  return problems;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A generous bound on how long a phase may take to finish its instances. */
const boundMs = (count: number) => Math.max(120_000, count * 20);

async function burstPhase(cairn: Open, count: number) {
  console.log(`  burst: ${count} creates at once`);
  const m = measure();
  const t0 = performance.now();
  const { created, refused } = await burst(cairn.env.BURST, count);
  const createMs = Math.round(performance.now() - t0);
  console.log(
    `    creates settled in ${createMs} ms: ${created.length} created, refused ${JSON.stringify(refused)}`,
  );
  const waited = await waitForCount(cairn, "burst", "complete", created.length, boundMs(count), "burst");
  const completeMs = Math.round(performance.now() - t0);
  const figures = m.end();
  const problems = await checkAll(created, async ({ n, instance }) => {
    const s = await instance.status();
    if (s.status !== "complete") return `${instance.id} (n=${n}) is ${s.status}`;
    if (!same(s.output, burstOutput(n))) return `${instance.id} (n=${n}) output ${JSON.stringify(s.output)}`;
    return null;
  });
  const stored = (await cairn.inspect.workflow("burst")).total;
  if (stored !== created.length) problems.push(`${stored} instances stored, ${created.length} created`);
  if (!waited.reached) problems.push(`not all complete in time: ${JSON.stringify(waited.counts)}`);
  return {
    requested: count,
    created: created.length,
    refused,
    stored,
    complete: waited.counts.complete ?? 0,
    checked: created.length,
    problems: problems.length,
    firstProblems: problems.slice(0, 20),
    createMs,
    completeMs,
    createsPerSecond: Math.round(created.length / (createMs / 1000)),
    completedPerSecond: Math.round(created.length / (completeMs / 1000)),
    ...figures,
  };
}

async function eventsPhase(cairn: Open, count: number) {
  console.log(`  events: ${count} waiting instances`);
  const setup = await burst(cairn.env.WAITER, count);
  if (Object.keys(setup.refused).length > 0) {
    console.log(`    waiters refused: ${JSON.stringify(setup.refused)}`);
  }
  const waiters = setup.created;
  const waiting = await waitForCount(cairn, "waiter", "waiting", waiters.length, boundMs(count), "waiting");
  const problems: string[] = [];
  if (!waiting.reached) problems.push(`not all waiting in time: ${JSON.stringify(waiting.counts)}`);
  // Every instance reports waiting through its own handle before any event is sent.
  problems.push(
    ...(await checkAll(waiters, async ({ n, instance }) => {
      const s = await instance.status();
      return s.status === "waiting" ? null : `${instance.id} (n=${n}) is ${s.status} before its event`;
    })),
  );
  console.log(`    ${waiters.length} waiting; sending ${waiters.length} events at once`);
  const m = measure();
  const t0 = performance.now();
  const sent = await Promise.allSettled(
    waiters.map(({ n, instance }) =>
      instance.sendEvent({ type: "go", payload: eventPayload(n, instance.id) }),
    ),
  );
  const sendMs = Math.round(performance.now() - t0);
  const sendRefused: Record<string, number> = {};
  for (const outcome of sent) {
    if (outcome.status === "fulfilled") continue;
    const error = outcome.reason;
    const code = WorkflowsError.is(error) ? error.code : `undocumented: ${String(error).slice(0, 200)}`;
    sendRefused[code] = (sendRefused[code] ?? 0) + 1;
  }
  const accepted = sent.filter((s) => s.status === "fulfilled").length;
  console.log(
    `    sends settled in ${sendMs} ms: ${accepted} accepted, refused ${JSON.stringify(sendRefused)}`,
  );
  const done = await waitForCount(cairn, "waiter", "complete", waiters.length, boundMs(count), "events");
  const completeMs = Math.round(performance.now() - t0);
  const figures = m.end();
  if (!done.reached) problems.push(`not all complete in time: ${JSON.stringify(done.counts)}`);
  problems.push(
    ...(await checkAll(waiters, async ({ n, instance }) => {
      const s = await instance.status();
      if (s.status !== "complete") return `${instance.id} (n=${n}) is ${s.status}`;
      const expected = eventPayload(n, instance.id);
      if (!same(s.output, expected)) return `${instance.id} (n=${n}) output ${JSON.stringify(s.output)}`;
      return null;
    })),
  );
  return {
    requested: count,
    created: waiters.length,
    refused: setup.refused,
    sent: waiters.length,
    accepted,
    sendRefused,
    complete: done.counts.complete ?? 0,
    checked: waiters.length,
    problems: problems.length,
    firstProblems: problems.slice(0, 20),
    sendMs,
    completeMs,
    sendsPerSecond: Math.round(accepted / (sendMs / 1000)),
    ...figures,
  };
}

async function runStorage(storage: Storage, settings: Settings) {
  console.log(`${storage}:`);
  const dir = mkdtempSync(join(os.tmpdir(), "cairn-soak-limits-"));
  const server = storage === "postgres" ? await startPostgresServer() : null;
  const errors: string[] = [];
  try {
    const cairn = await open(server ? server.url : join(dir, "cairn.db"), (error, context) => {
      if (errors.length < 100) errors.push(`${context}: ${(error as Error)?.message ?? String(error)}`);
    });
    try {
      const burstFigures = await burstPhase(cairn, settings.instances);
      const eventFigures = await eventsPhase(cairn, settings.events);
      return { storage, burst: burstFigures, events: eventFigures, engineErrors: errors };
    } finally {
      await cairn.close();
    }
  } finally {
    await server?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

const mb = (bytes: number) => `${Math.round(bytes / 1048576)} MB`;

type StorageResult = Awaited<ReturnType<typeof runStorage>>;

function table(results: StorageResult[]): string {
  const rows = [
    [
      "",
      "phase",
      "count",
      "lost/problems",
      "wall",
      "per second",
      "max RSS",
      "sampled RSS",
      "heap used",
      "lag max",
      "lag p99",
    ],
  ];
  for (const r of results) {
    rows.push([
      r.storage,
      "burst",
      `${r.burst.created}/${r.burst.requested}`,
      String(r.burst.problems),
      `${(r.burst.completeMs / 1000).toFixed(1)} s`,
      `${r.burst.createsPerSecond} creates`,
      mb(r.burst.maxRssBytesAtEnd),
      mb(r.burst.sampledMaxRssBytes),
      mb(r.burst.sampledMaxHeapUsedBytes),
      `${r.burst.eventLoopLagMaxMs} ms`,
      `${r.burst.eventLoopLagP99Ms} ms`,
    ]);
    rows.push([
      r.storage,
      "events",
      `${r.events.accepted}/${r.events.requested}`,
      String(r.events.problems),
      `${(r.events.completeMs / 1000).toFixed(1)} s`,
      `${r.events.sendsPerSecond} sends`,
      mb(r.events.maxRssBytesAtEnd),
      mb(r.events.sampledMaxRssBytes),
      mb(r.events.sampledMaxHeapUsedBytes),
      `${r.events.eventLoopLagMaxMs} ms`,
      `${r.events.eventLoopLagP99Ms} ms`,
    ]);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length))) ?? [];
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ")).join("\n");
}

/** Runs the limits soak with the command line's arguments; resolves to the exit code. */
export async function soakLimits(argv: string[]): Promise<number> {
  let settings: Settings;
  try {
    const parsed = options(argv);
    if (parsed === "help") {
      console.log(LIMITS_USAGE);
      return 0;
    }
    settings = parsed;
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${LIMITS_USAGE}`);
    return 2;
  }
  const started = new Date();
  const loadAverageAtStart = os.loadavg();
  console.log(
    `soak --limits: ${settings.instances} creates in one burst and ${settings.events} events at once, on ${settings.storages.join(" and ")}`,
  );
  const results: StorageResult[] = [];
  for (const storage of settings.storages) results.push(await runStorage(storage, settings));
  const result = {
    kind: "soak-limits",
    startedAt: started.toISOString(),
    durationMs: Date.now() - started.getTime(),
    settings,
    machine: {
      cpus: os.cpus().length,
      memoryBytes: os.totalmem(),
      node: process.version,
      loadAverageAtStart,
      loadAverageAtEnd: os.loadavg(),
    },
    notes: [
      "maxRssBytesAtEnd is process.resourceUsage().maxRSS at the end of the phase: the process's peak so far, earlier phases included",
      "sampled figures are the highest of process.memoryUsage() read every 100 ms during the phase",
      `event loop lag is monitorEventLoopDelay({ resolution: ${RESOLUTION_MS} }) less the ${RESOLUTION_MS} ms resolution, reset at the phase's start`,
      "burst phase: from the first create until every created instance is complete; events phase: from the first sendEvent until every instance is complete",
    ],
    results,
  };
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `soak-limits-${started.toISOString().slice(0, 10)}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\n${table(results)}\n\nwrote ${file}`);
  let failed = false;
  for (const r of results) {
    for (const [phase, figures] of [
      ["burst", r.burst],
      ["events", r.events],
    ] as const) {
      if (figures.problems > 0) {
        failed = true;
        console.error(`${r.storage} ${phase}: ${figures.problems} problems, first:`);
        for (const p of figures.firstProblems) console.error(`  - ${p}`);
      }
    }
    if (r.engineErrors.length > 0) {
      console.error(`${r.storage}: the engine reported ${r.engineErrors.length} errors, first:`);
      for (const e of r.engineErrors.slice(0, 10)) console.error(`  - ${e}`);
    }
  }
  return failed ? 1 : 0;
}
