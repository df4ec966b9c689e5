// W9 HTTP: the HTTP API (createApiHandler served by Cairn's own HTTP server on 127.0.0.1) on a
// store of W6's history (1,000,000 finished instances), each figure beside the same work done
// in-process in the same run: a create by POST seen complete on the SSE change feed (beside the
// binding's create seen complete by inspect.watch), list pages of 25 (beside inspect.instances),
// and 1,000 clients polling instances at 5,000 requests/s in all with autocannon (beside
// inspect.instance). The client is another process (bench/lib/http-client.ts), as a real one is.

import { type ChildProcess, fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { closeServer, createHttpServer, listen } from "../src/host/http-server.js";
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "../src/index.js";
import type { ListInstancesOptions } from "../src/inspect/types.js";
import { createApiHandler } from "../src/server/api-handler.js";
import {
  type Bench,
  type BenchOptions,
  freshLocation,
  openBench,
  removeLocation,
  type Workload,
  within,
} from "./lib/harness.js";
import { BUILD_METHOD, buildHistory, HISTORY_WORKFLOW } from "./lib/history-store.js";
import type { ClientJob, ClientReply, PollResult } from "./lib/http-client.js";
import { nowMs, summarize, timeRuns } from "./lib/stats.js";

const CLIENT = fileURLToPath(new URL("./lib/http-client.ts", import.meta.url));
const PAGE = 25;
/** The deepest numbered page of 25 that inspect.instances allows (offset 99,975). */
const DEEPEST_PAGE = 4000;
const POLLED_STEPS = 5;
const POLLED_INSTANCES = 1000;
const POLL_CONNECTIONS = 1000;
const POLL_RATE = 5000;
/** The closed-loop capacity run: this many connections, each sending as soon as it has its answer. */
const CAPACITY_CONNECTIONS = 50;

class OneStep extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    return step.do("only step", async () => ({ ok: true }));
  }
}

class FewSteps extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    let total = 0;
    for (let i = 0; i < POLLED_STEPS; i++) total += await step.do(`step ${i}`, async () => i);
    return { total };
  }
}

/** The client process, one job at a time. */
class Client {
  private readonly child: ChildProcess;
  private next = 0;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  constructor() {
    // Same loader flags as this process (tsx), without a CPU profile of the client.
    const execArgv = process.execArgv.filter((a) => !a.startsWith("--cpu-prof"));
    this.child = fork(CLIENT, [], { execArgv, stdio: "inherit" });
    this.child.on("message", (message: ClientReply) => {
      const p = this.pending.get(message.id);
      if (!p) return;
      this.pending.delete(message.id);
      if (message.ok) p.resolve(message.value);
      else p.reject(new Error(`HTTP client: ${message.error}`));
    });
    this.child.on("exit", (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`the HTTP client exited (${code})`));
      this.pending.clear();
    });
  }

  run<T>(job: ClientJob): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, job });
    });
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
    this.child.kill();
  }
}

type Counts = {
  history: number;
  roundTrips: number;
  warmup: number;
  block: number;
  pages: number;
  pageWarmup: number;
  cursorPages: number;
  pollSeconds: number;
  capacitySeconds: number;
  reads: number;
  /** The deep numbered page: the deepest allowed, or the last full one of a smaller history. */
  deepPage: number;
};

function counts(options: BenchOptions): Counts {
  if (options.quick) {
    return {
      history: Math.min(options.w6Instances, 20_000),
      roundTrips: 200,
      warmup: 50,
      block: 100,
      pages: 20,
      pageWarmup: 3,
      cursorPages: 20,
      pollSeconds: 3,
      capacitySeconds: 2,
      reads: 500,
      deepPage: Math.min(DEEPEST_PAGE, Math.floor(Math.min(options.w6Instances, 20_000) / PAGE)),
    };
  }
  return {
    history: options.w6Instances,
    roundTrips: 2000,
    warmup: 200,
    block: 250,
    // PostgreSQL counts a page's statuses at each read (about 0.2 s a page on a million, W8):
    // fewer runs there keep the run short.
    pages: options.storage === "postgres" ? 50 : 100,
    pageWarmup: options.storage === "postgres" ? 5 : 10,
    cursorPages: options.storage === "postgres" ? 50 : 100,
    pollSeconds: 10,
    capacitySeconds: 5,
    reads: 5000,
    deepPage: Math.min(DEEPEST_PAGE, Math.floor(options.w6Instances / PAGE)),
  };
}

const WORKFLOWS = {
  HISTORY: { name: HISTORY_WORKFLOW, class: OneStep },
  ECHO: { name: "echo", class: OneStep },
  POLLED: { name: "polled", class: FewSteps },
};

export const workload: Workload = {
  id: "W9",
  title: "HTTP API",
  async run(options: BenchOptions) {
    const n = counts(options);
    const location = freshLocation(options, "w9");
    let bench: Bench<typeof WORKFLOWS>;
    try {
      await buildHistory(location, n.history, Date.now());
      bench = await openBench(options, WORKFLOWS, { location });
    } catch (error) {
      await removeLocation(location).catch(() => {});
      throw error;
    }
    const serverErrors: string[] = [];
    const onError = (error: unknown) => {
      serverErrors.push(String(error));
      console.error("[bench] HTTP server error:", error);
    };
    const api = createApiHandler({ target: bench.cairn, onError });
    const server = createHttpServer(api.fetch, onError);
    const client = new Client();
    try {
      const address = await listen(server, 0, "127.0.0.1");
      const base = `http://127.0.0.1:${address.port}`;
      const rest = (workflow: string) => `${base}/client/v4/accounts/bench/workflows/${workflow}/instances`;
      const lists = await listPages(bench, client, rest(HISTORY_WORKFLOW), n);
      const trips = await roundTrips(bench, client, base, rest("echo"), n);
      const polling = await pollLoad(bench, client, base, n);
      if (serverErrors.length > 0) throw new Error(`the HTTP server reported: ${serverErrors[0]}`);
      return {
        metrics: { finishedInstances: n.history, ...lists, ...trips, ...polling.metrics },
        notes: [
          `${n.history} finished instances of workflow "${HISTORY_WORKFLOW}" (every 10th errored): ${BUILD_METHOD[options.storage]}; Cairn's HTTP API (createApiHandler, no token) served by its own HTTP server (createHttpServer) on 127.0.0.1 in the workload's process; the HTTP client is another Node process (node:http with one keep-alive connection, and autocannon for the polling)`,
          `round trip: POST /client/v4/accounts/…/workflows/echo/instances {instance_id} until that instance's "status" event with status "complete" is read from an open GET /cairn/api/changes?workflow=echo stream (SSE parsed by the client), one at a time, ${n.roundTrips} after ${n.warmup} warm-ups; in-process: cairn.env.ECHO.create until inspect.watch delivers the same change; in alternating blocks of ${n.block} (the feed open only during HTTP blocks); "POST answered" is the create's own response time`,
          `list pages: GET …/workflows/${HISTORY_WORKFLOW}/instances?per_page=${PAGE} (first page; page=${n.deepPage}${n.deepPage === DEEPEST_PAGE ? ", the deepest numbered page allowed" : ""}, offset ${(n.deepPage - 1) * PAGE}; status=errored; and ${n.cursorPages} consecutive pages by the answer's cursor), ${n.pages} runs each after ${n.pageWarmup} warm-ups, beside cairn.inspect.instances with the same options`,
          ...polling.notes,
        ],
      };
    } finally {
      client.close();
      await closeServer(server);
      await bench.close();
    }
  },
};

async function listPages(bench: Bench<typeof WORKFLOWS>, client: Client, url: string, n: Counts) {
  const inspect = bench.cairn.inspect;
  const inProcess = async (options: ListInstancesOptions) =>
    summarize(
      await timeRuns(n.pages, n.pageWarmup, async () => {
        const page = await inspect.instances(HISTORY_WORKFLOW, { limit: PAGE, ...options });
        if (page.instances.length !== PAGE) throw new Error(`a page of ${page.instances.length}`);
      }),
    );
  const overHttp = async (query: string) => {
    const urls = Array.from({ length: n.pageWarmup + n.pages }, () => `${url}?per_page=${PAGE}${query}`);
    return summarize((await client.run<number[]>({ op: "gets", urls })).slice(n.pageWarmup));
  };
  const first = { http: await overHttp(""), local: await inProcess({}) };
  const deep = { http: await overHttp(`&page=${n.deepPage}`), local: await inProcess({ page: n.deepPage }) };
  const errored = { http: await overHttp("&status=errored"), local: await inProcess({ status: "errored" }) };
  // Consecutive pages by cursor from the first page, over HTTP, then the same in-process.
  await client.run({ op: "cursor-pages", url: `${url}?per_page=${PAGE}`, count: n.pageWarmup });
  const cursorHttp = summarize(
    await client.run<number[]>({ op: "cursor-pages", url: `${url}?per_page=${PAGE}`, count: n.cursorPages }),
  );
  let cursor = (await inspect.instances(HISTORY_WORKFLOW, { limit: PAGE })).nextCursor;
  const cursorLocal = summarize(
    await timeRuns(n.cursorPages, 0, async () => {
      const page = await inspect.instances(HISTORY_WORKFLOW, { limit: PAGE, cursor: cursor! });
      if (page.instances.length !== PAGE) throw new Error("a short page");
      cursor = page.nextCursor;
    }),
  );
  return {
    listFirstHttpP50Ms: first.http.p50,
    listFirstHttpP99Ms: first.http.p99,
    listFirstInProcessP50Ms: first.local.p50,
    listFirstInProcessP99Ms: first.local.p99,
    listDeepHttpP50Ms: deep.http.p50,
    listDeepHttpP99Ms: deep.http.p99,
    listDeepInProcessP50Ms: deep.local.p50,
    listDeepInProcessP99Ms: deep.local.p99,
    listErroredHttpP50Ms: errored.http.p50,
    listErroredHttpP99Ms: errored.http.p99,
    listErroredInProcessP50Ms: errored.local.p50,
    listErroredInProcessP99Ms: errored.local.p99,
    listCursorHttpP50Ms: cursorHttp.p50,
    listCursorHttpP99Ms: cursorHttp.p99,
    listCursorInProcessP50Ms: cursorLocal.p50,
    listCursorInProcessP99Ms: cursorLocal.p99,
  };
}

async function roundTrips(
  bench: Bench<typeof WORKFLOWS>,
  client: Client,
  base: string,
  createUrl: string,
  n: Counts,
) {
  const { cairn } = bench;
  const local = async (ids: string[]): Promise<number[]> => {
    const done = new Map<string, (at: number) => void>();
    const early = new Map<string, number>();
    const watch = cairn.inspect.watch(
      (change) => {
        if (change.type !== "status" || change.status !== "complete") return;
        const at = nowMs();
        const waiter = done.get(change.id);
        if (waiter) {
          done.delete(change.id);
          waiter(at);
        } else early.set(change.id, at);
      },
      { workflow: "echo" },
    );
    await watch.ready;
    const samples: number[] = [];
    try {
      for (const id of ids) {
        const start = nowMs();
        const completed = new Promise<number>((resolve) => {
          const at = early.get(id);
          if (at === undefined) done.set(id, resolve);
          else resolve(at);
        });
        await cairn.env.ECHO.create({ id });
        const end = await within(completed, 30_000, `instance ${id} to complete`);
        samples.push(end - start);
      }
    } finally {
      watch.close();
    }
    return samples;
  };
  const http = async (ids: string[]) => {
    await client.run({ op: "open-feed", url: `${base}/cairn/api/changes?workflow=echo` });
    try {
      return await client.run<{ total: number[]; create: number[] }>({ op: "round-trips", createUrl, ids });
    } finally {
      await client.run({ op: "close-feed" });
    }
  };
  const ids = (kind: string, from: number, count: number) =>
    Array.from({ length: count }, (_, i) => `${kind}-${from + i}`);
  await local(ids("local-warm", 0, n.warmup));
  await http(ids("http-warm", 0, n.warmup));
  const localSamples: number[] = [];
  const httpSamples: number[] = [];
  const createSamples: number[] = [];
  for (let from = 0; from < n.roundTrips; from += n.block) {
    const count = Math.min(n.block, n.roundTrips - from);
    localSamples.push(...(await local(ids("local", from, count))));
    const h = await http(ids("http", from, count));
    httpSamples.push(...h.total);
    createSamples.push(...h.create);
  }
  const l = summarize(localSamples);
  const h = summarize(httpSamples);
  const c = summarize(createSamples);
  return {
    roundTripHttpP50Ms: h.p50,
    roundTripHttpP99Ms: h.p99,
    roundTripInProcessP50Ms: l.p50,
    roundTripInProcessP99Ms: l.p99,
    createHttpP50Ms: c.p50,
    createHttpP99Ms: c.p99,
  };
}

/**
 * The kernel's count of connections dropped because a listening socket's accept queue was full
 * (TcpExt ListenOverflows, machine-wide; NaN where /proc/net/netstat is missing).
 */
function listenOverflows(): number {
  try {
    const lines = readFileSync("/proc/net/netstat", "utf8").split("\n");
    const names = lines.find((l) => l.startsWith("TcpExt:"))?.split(" ") ?? [];
    const values = lines.filter((l) => l.startsWith("TcpExt:"))[1]?.split(" ") ?? [];
    const i = names.indexOf("ListenOverflows");
    return i > 0 ? Number(values[i]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** A bare node:http server answering `body` to every request: the transport and the load generator alone. */
async function bareServer(body: Buffer): Promise<{ base: string; close(): Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
    res.end(body);
  });
  const address = await listen(server, 0, "127.0.0.1");
  return { base: `http://127.0.0.1:${address.port}`, close: () => closeServer(server) };
}

async function pollLoad(bench: Bench<typeof WORKFLOWS>, client: Client, base: string, n: Counts) {
  const { cairn, watch } = bench;
  const ids = Array.from({ length: POLLED_INSTANCES }, (_, i) => `p-${i}`);
  const target = watch.finished + POLLED_INSTANCES;
  for (let i = 0; i < ids.length; i += 100)
    await cairn.env.POLLED.createBatch(ids.slice(i, i + 100).map((id) => ({ id })));
  await within(watch.whenCount("finished", target), 60_000, `${POLLED_INSTANCES} polled instances to finish`);
  // The in-process cost of the same read, one call at a time.
  const reads = summarize(
    await timeRuns(n.reads, Math.ceil(n.reads / 10), async (i) => {
      const d = await cairn.inspect.instance("polled", ids[i % ids.length]!);
      if (d.status !== "complete" || d.steps.length !== POLLED_STEPS) throw new Error(`${d.id}: ${d.status}`);
    }),
  );
  const paths = ids.map((id) => `/client/v4/accounts/bench/workflows/polled/instances/${id}`);
  const answer = await fetch(`${base}${paths[0]}`);
  const body = Buffer.from(await answer.arrayBuffer());
  if (answer.status !== 200)
    throw new Error(`GET ${paths[0]}: ${answer.status} ${body.toString().slice(0, 300)}`);
  const load = async (url: string, rate: number) => {
    const before = performance.eventLoopUtilization();
    const overflowsBefore = listenOverflows();
    const start = nowMs();
    const seconds = rate > 0 ? n.pollSeconds : n.capacitySeconds;
    const connections = rate > 0 ? POLL_CONNECTIONS : CAPACITY_CONNECTIONS;
    const r = await client.run<PollResult>({ op: "poll", base: url, paths, connections, rate, seconds });
    const wallMs = nowMs() - start;
    const busy = performance.eventLoopUtilization(before).utilization;
    const overflows = listenOverflows() - overflowsBefore;
    return {
      ...r,
      overflows,
      steadySummary: summarize(r.steady),
      firstSummary: summarize(r.first),
      busy,
      wallMs,
      seconds,
    };
  };
  const polled = await load(base, POLL_RATE);
  const bare = await bareServer(body);
  let bareRun: Awaited<ReturnType<typeof load>>;
  let bareMax: Awaited<ReturnType<typeof load>>;
  let max: Awaited<ReturnType<typeof load>>;
  try {
    bareRun = await load(bare.base, POLL_RATE);
    max = await load(base, 0);
    bareMax = await load(bare.base, 0);
  } finally {
    await bare.close();
  }
  const offered = POLL_RATE * n.pollSeconds;
  // autocannon counts a timeout both as an error and as a timeout.
  const failed = (r: PollResult) => r.errors + r.non2xx;
  const rate = (r: { answered: number; seconds: number }) => r.answered / r.seconds;
  return {
    metrics: {
      pollOffered: offered,
      pollAnswered: polled.answered,
      pollAnsweredPercent: (100 * polled.answered) / offered,
      pollFailed: failed(polled),
      pollErrors: polled.errors,
      pollTimeouts: polled.timeouts,
      pollNon2xx: polled.non2xx,
      pollListenOverflows: polled.overflows,
      pollP50Ms: polled.steadySummary.p50,
      pollP99Ms: polled.steadySummary.p99,
      pollMaxMs: polled.steadySummary.max,
      pollFirstPerConnectionP99Ms: polled.firstSummary.p99,
      pollAnsweredPerSecondMin: Math.min(...polled.perSecond),
      pollAnsweredPerSecondMax: Math.max(...polled.perSecond),
      pollEventLoopBusyPercent: polled.busy * 100,
      pollCapacityPerSecond: rate(max),
      pollCapacityP50Ms: max.steadySummary.p50,
      serverMsPerAnswer: (max.busy * max.wallMs) / Math.max(1, max.answered + max.late),
      bareAnsweredPercent: (100 * bareRun.answered) / offered,
      bareFailed: failed(bareRun),
      bareListenOverflows: bareRun.overflows,
      bareP50Ms: bareRun.steadySummary.p50,
      bareP99Ms: bareRun.steadySummary.p99,
      bareCapacityPerSecond: rate(bareMax),
      instanceReadInProcessP50Ms: reads.p50,
      instanceReadInProcessP99Ms: reads.p99,
    },
    notes: [
      `polling: ${POLLED_INSTANCES} complete instances of ${POLLED_STEPS} steps each (an answer of ${body.length} bytes); autocannon for ${n.pollSeconds} s with ${POLL_CONNECTIONS} connections and overallRate ${POLL_RATE}/s (${POLL_RATE / POLL_CONNECTIONS}/s per connection), connection i polling GET /client/v4/accounts/…/workflows/polled/instances/p-i; offered: ${offered} requests (${POLL_RATE}/s for ${n.pollSeconds} s), answered: 2xx answers within those ${n.pollSeconds} s (per second: ${polled.perSecond.join(", ")}; ${polled.late} more after the window, not counted; ${polled.sent} sent in all); autocannon's limiter lets each connection send its ${POLL_RATE / POLL_CONNECTIONS} requests of a second one after another from the start of that second, so the offered load comes as a burst of ${POLL_RATE} at the start of each second with all ${POLL_CONNECTIONS} connections in flight at once, not spread evenly; latency: every 2xx answer's own time from its write to its last byte (autocannon's coordinated-omission correction off), after each connection's first answer (which includes its TCP connect, p99 ${Math.round(polled.firstSummary.p99)} ms); failed: ${polled.errors} errors (${polled.timeouts} of them timeouts, autocannon's 10 s) and ${polled.non2xx} non-2xx; connections the kernel dropped meanwhile because a listening socket's accept queue was full (TcpExt ListenOverflows, machine-wide): ${polled.overflows}; the server's event loop was busy ${Math.round(polled.busy * 100)} % meanwhile`,
      `capacity: the same requests from ${CAPACITY_CONNECTIONS} connections as fast as answers come (no rate) for ${n.capacitySeconds} s: ${Math.round(rate(max))} answers/s, the event loop busy ${Math.round(max.busy * 100)} %, so ${((max.busy * max.wallMs) / Math.max(1, max.answered + max.late)).toFixed(3)} ms of the server's main thread per answer; bare: a plain node:http server in the same process answering the same ${body.length} bytes to every request, under the same two loads (its rate-limited run answered ${bareRun.answered} of ${offered}, ${failed(bareRun)} failed, ${bareRun.overflows} accept-queue overflows, p50 ${bareRun.steadySummary.p50.toFixed(2)} ms, p99 ${bareRun.steadySummary.p99.toFixed(1)} ms; ${Math.round(rate(bareMax))} answers/s at most): what the transport and the load generator give without Cairn; in-process: cairn.inspect.instance of the same instances, ${n.reads} calls one at a time`,
    ],
  };
}
