// W10 dashboard: the web dashboard (createApiHandler({ dashboard: true }) on Cairn's own HTTP
// server on 127.0.0.1) on W6's store of 1,000,000 finished instances, loaded by Chromium: the time
// from navigation start until the overview shows the workflow's card with its counts, and until a
// workflow's instances page shows its first row, cold (a fresh browser context) and warm (the
// same context reloaded), beside a minimal static page from the same server to its load event.
// Also the bundle's size, raw and gzipped. Without Chromium it reports the browser part skipped.

import { gzipSync } from "node:zlib";
import type { Browser } from "playwright-core";
import { buildDashboard, DASHBOARD_FILES } from "../src/dashboard/build.js";
import { closeServer, createHttpServer, listen } from "../src/host/http-server.js";
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "../src/index.js";
import { createApiHandler } from "../src/server/api-handler.js";
import {
  type Bench,
  type BenchOptions,
  freshLocation,
  openBench,
  removeLocation,
  type Workload,
} from "./lib/harness.js";
import { BUILD_METHOD, buildHistory, HISTORY_WORKFLOW } from "./lib/history-store.js";
import {
  chromiumMissing,
  coldLoad,
  launchChromium,
  type Mark,
  openSession,
  reload,
  load as warmFirstLoad,
} from "./lib/page-timing.js";
import { nowMs, percentile } from "./lib/stats.js";
import { DASHBOARD_BUNDLE } from "./lib/targets.js";

class OneStep extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    return step.do("only step", async () => ({ ok: true }));
  }
}

const WORKFLOWS = { HISTORY: { name: HISTORY_WORKFLOW, class: OneStep } };
const BASE = "/cdn-cgi/local/explorer/";
/** The baseline: a page of the bench's own server, not Cairn's. */
const STATIC_PATH = "/bench-static.html";
const STATIC_PAGE = new TextEncoder().encode(
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>baseline</title></head><body><p>baseline</p></body></html>',
);

type PageCase = { key: string; label: string; path: string; mark: Mark };

const PAGES: PageCase[] = [
  { key: "baseline", label: "static page, load event", path: STATIC_PATH, mark: "load" },
  {
    key: "overview",
    label: "overview, workflow card with counts",
    path: BASE,
    mark: { selector: ".workflow-cards .card .count-list .count" },
  },
  {
    key: "instances",
    label: `instances of "${HISTORY_WORKFLOW}", first row`,
    path: `${BASE}workflows/${HISTORY_WORKFLOW}`,
    mark: { selector: "table.instances tbody tr" },
  },
];

/** The minified bundle, as `npm run build` writes it and the server serves it: bytes raw and gzipped. */
async function bundleSizes(): Promise<Record<string, number>> {
  const files = await buildDashboard({ minify: true });
  const metrics: Record<string, number> = {};
  for (const { name, key } of DASHBOARD_BUNDLE) {
    const file = files.find((f) => f.name === name);
    if (!file) throw new Error(`buildDashboard made no ${name}`);
    metrics[`${key}Bytes`] = file.contents.byteLength;
    metrics[`${key}GzipBytes`] = gzipSync(file.contents, { level: 9 }).byteLength;
  }
  return metrics;
}

type Runs = { runs: number; warmup: number };

/** Cold loads of every page, interleaved run by run so drift touches all alike; then warm reloads. */
async function measure(browser: Browser, origin: string, n: Runs): Promise<Record<string, number>> {
  const cold = new Map<string, number[]>(PAGES.map((p) => [p.key, []]));
  const warm = new Map<string, number[]>(PAGES.map((p) => [p.key, []]));
  for (let i = 0; i < n.warmup + n.runs; i++) {
    for (const p of PAGES) {
      const ms = await coldLoad(browser, `${origin}${p.path}`, p.mark);
      if (i >= n.warmup) cold.get(p.key)!.push(ms);
    }
  }
  for (const p of PAGES) {
    const session = await openSession(browser, p.mark);
    try {
      await warmFirstLoad(session, `${origin}${p.path}`, p.mark);
      for (let i = 0; i < n.warmup + n.runs; i++) {
        const ms = await reload(session, p.mark);
        if (i >= n.warmup) warm.get(p.key)!.push(ms);
      }
    } finally {
      await session.context.close();
    }
  }
  const metrics: Record<string, number> = {};
  for (const [kind, samples] of [
    ["Cold", cold],
    ["Warm", warm],
  ] as const) {
    for (const p of PAGES) {
      const s = samples.get(p.key)!;
      metrics[`${p.key}${kind}P50Ms`] = percentile(s, 50);
      metrics[`${p.key}${kind}P95Ms`] = percentile(s, 95);
    }
    for (const p of PAGES.slice(1)) {
      metrics[`${p.key}${kind}P50Ratio`] =
        metrics[`${p.key}${kind}P50Ms`]! / metrics[`baseline${kind}P50Ms`]!;
    }
  }
  return metrics;
}

export const workload: Workload = {
  id: "W10",
  title: "dashboard",
  async run(options: BenchOptions) {
    const bundle = await bundleSizes();
    const bundleNote = `bundle: ${DASHBOARD_FILES.join(", ")} from buildDashboard({ minify: true }) (what npm run build writes to dist/dashboard/static), bytes raw and gzipped (node:zlib, level 9)`;
    const missing = chromiumMissing();
    if (missing) {
      console.warn(`[bench] W10: browser figures skipped: ${missing}`);
      return {
        metrics: { ...bundle, skipped: 1 },
        notes: [`browser figures skipped: ${missing}`, bundleNote],
      };
    }
    let browser: Browser;
    try {
      browser = await launchChromium();
    } catch (error) {
      const why = `Chromium at ${process.env.CAIRN_CHROMIUM ?? "/usr/bin/chromium"} did not start: ${String(error).split("\n")[0]}`;
      console.warn(`[bench] W10: browser figures skipped: ${why}`);
      return { metrics: { ...bundle, skipped: 1 }, notes: [`browser figures skipped: ${why}`, bundleNote] };
    }
    const count = options.quick ? Math.min(options.w6Instances, 20_000) : options.w6Instances;
    const n: Runs = options.quick ? { runs: 10, warmup: 2 } : { runs: 30, warmup: 3 };
    const location = freshLocation(options, "w10");
    let bench: Bench<typeof WORKFLOWS>;
    const buildStart = nowMs();
    try {
      await buildHistory(location, count, Date.now());
      bench = await openBench(options, WORKFLOWS, { location });
    } catch (error) {
      await browser.close();
      await removeLocation(location).catch(() => {});
      throw error;
    }
    const buildMs = nowMs() - buildStart;
    const serverErrors: string[] = [];
    const onError = (error: unknown) => {
      serverErrors.push(String(error));
      console.error("[bench] HTTP server error:", error);
    };
    const api = createApiHandler({ target: bench.cairn, dashboard: true, onError });
    const server = createHttpServer(async (request) => {
      if (new URL(request.url).pathname !== STATIC_PATH) return api.fetch(request);
      return new Response(STATIC_PAGE, {
        headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" },
      });
    }, onError);
    try {
      const address = await listen(server, 0, "127.0.0.1");
      const times = await measure(browser, `http://127.0.0.1:${address.port}`, n);
      if (serverErrors.length > 0) throw new Error(`the HTTP server reported: ${serverErrors[0]}`);
      return {
        metrics: { finishedInstances: count, buildMs, ...times, ...bundle },
        notes: [
          `${count} finished instances of workflow "${HISTORY_WORKFLOW}" (every 10th errored): ${BUILD_METHOD[options.storage]}; createApiHandler({ dashboard: true }, no token) and a static page of the bench's own (${STATIC_PAGE.byteLength} bytes of HTML) served by Cairn's createHttpServer on 127.0.0.1 in the workload's process; Chromium (${process.env.CAIRN_CHROMIUM ?? "/usr/bin/chromium"}, headless, through playwright-core, launched once) another process, viewport 1280×800`,
          `each time runs from navigation start (performance.timeOrigin of the page's document) to the animation frame after the mark's element is in the DOM and laid out (a MutationObserver installed before the page's scripts; overview: ".workflow-cards .card .count-list .count", the workflow's card with its counts; instances page ${BASE}workflows/${HISTORY_WORKFLOW}: "table.instances tbody tr", the first row), or to the load event for the static page`,
          `cold: a fresh browser context for each load (empty HTTP cache, no cookies, no shared worker yet), the three pages interleaved, ${n.runs} runs each after ${n.warmup} warm-ups; warm: one context per page, loaded once, then reloaded ${n.runs} times after ${n.warmup} (the assets revalidated by ETag, answered 304); p50 and p95 by nearest rank; the ratios divide a page's p50 by the static page's p50, cold by cold and warm by warm`,
          bundleNote,
        ],
      };
    } finally {
      await browser.close().catch(() => {});
      server.closeAllConnections();
      await closeServer(server);
      await bench.close();
    }
  },
};
