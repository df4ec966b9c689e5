// The figures the report puts in its main table, each with the project's performance target for
// SQLite with synchronous=FULL on this machine (set in issue 6 of the project's tracker), and,
// where there is one, the best peer measured here. One place to change when the targets change.

export type Target = { op: ">=" | "<="; value: number };

export type Row = {
  workload: string;
  label: string;
  metric: string;
  unit: string;
  target?: Target;
  peer?: string;
};

export const ROWS: Row[] = [
  {
    workload: "W1",
    label: "fan-out: steps/s",
    metric: "stepsPerSecond",
    unit: "steps/s",
    target: { op: ">=", value: 50_000 },
    peer: "≈4,000 steps/s",
  },
  { workload: "W1", label: "fan-out: first create → last complete", metric: "totalMs", unit: "ms" },
  { workload: "W1", label: "fan-out: event loop busy meanwhile", metric: "eventLoopBusyPercent", unit: "%" },
  {
    workload: "W1-workers",
    label: "fan-out by 1 worker process (PostgreSQL)",
    metric: "stepsPerSecond1",
    unit: "steps/s",
  },
  {
    workload: "W1-workers",
    label: "fan-out by 2 worker processes (PostgreSQL)",
    metric: "stepsPerSecond2",
    unit: "steps/s",
    target: { op: ">=", value: 18_000 },
  },
  { workload: "W1-workers", label: "2 workers ÷ 1 worker", metric: "scaling", unit: "×" },
  {
    workload: "W1-workers",
    label: "the machine's cores busy, 1 worker",
    metric: "machineBusyPercent1",
    unit: "%",
  },
  {
    workload: "W1-workers",
    label: "the machine's cores busy, 2 workers",
    metric: "machineBusyPercent2",
    unit: "%",
  },
  {
    workload: "W2",
    label: "create → complete p50",
    metric: "p50Ms",
    unit: "ms",
    target: { op: "<=", value: 1 },
    peer: "≈4 ms",
  },
  {
    workload: "W2",
    label: "create → complete p99",
    metric: "p99Ms",
    unit: "ms",
    target: { op: "<=", value: 5 },
  },
  {
    workload: "W3",
    label: "long: steps/s (whole run)",
    metric: "stepsPerSecond",
    unit: "steps/s",
    target: { op: ">=", value: 5000 },
    peer: "≈0.6 ms/step (≈1,700 steps/s)",
  },
  {
    workload: "W3",
    label: "long: steps/s, first 1,000",
    metric: "firstWindowStepsPerSecond",
    unit: "steps/s",
  },
  { workload: "W3", label: "long: steps/s, last 1,000", metric: "lastWindowStepsPerSecond", unit: "steps/s" },
  {
    workload: "W3",
    label: "long: last ÷ first",
    metric: "lastOverFirst",
    unit: "×",
    target: { op: ">=", value: 0.9 },
  },
  { workload: "W4", label: "sleep: total time", metric: "totalMs", unit: "ms" },
  { workload: "W4", label: "sleep: lateness p50", metric: "latenessP50Ms", unit: "ms" },
  {
    workload: "W4",
    label: "sleep: lateness p99",
    metric: "latenessP99Ms",
    unit: "ms",
    target: { op: "<=", value: 20 },
  },
  { workload: "W4", label: "sleep: lateness max", metric: "latenessMaxMs", unit: "ms" },
  {
    workload: "W5",
    label: "idle: RSS with all waiting",
    metric: "rssWaitingMb",
    unit: "MB",
    target: { op: "<=", value: 300 },
  },
  { workload: "W5", label: "idle: heap used with all waiting", metric: "heapUsedWaitingMb", unit: "MB" },
  { workload: "W5", label: "idle: create → all waiting", metric: "allWaitingMs", unit: "ms" },
  {
    workload: "W5",
    label: "idle: completions/s after the events",
    metric: "completionsPerSecond",
    unit: "/s",
    target: { op: ">=", value: 10_000 },
  },
  { workload: "W6", label: "history: create → complete p50", metric: "createToCompleteP50Ms", unit: "ms" },
  {
    workload: "W6",
    label: "history: status() p50",
    metric: "statusP50Ms",
    unit: "ms",
    target: { op: "<=", value: 0.5 },
  },
  {
    workload: "W6",
    label: "history: first list page p50",
    metric: "listFirstPageP50Ms",
    unit: "ms",
    target: { op: "<=", value: 20 },
  },
  {
    workload: "W6",
    label: "history: first page, status=errored, p50",
    metric: "listErroredFirstPageP50Ms",
    unit: "ms",
    target: { op: "<=", value: 20 },
  },
  {
    workload: "W6",
    label: "history: first page, status=complete, p50",
    metric: "listCompleteFirstPageP50Ms",
    unit: "ms",
    target: { op: "<=", value: 20 },
  },
  { workload: "W6", label: "history: store size (file + WAL, or schema)", metric: "fileMb", unit: "MB" },
  {
    workload: "W7",
    label: "event round trip p50",
    metric: "p50Ms",
    unit: "ms",
    target: { op: "<=", value: 1 },
  },
  { workload: "W7", label: "event round trip p99", metric: "p99Ms", unit: "ms" },
  {
    workload: "W8",
    label: "inspect: first page of 25 with counts p50",
    metric: "firstPageP50Ms",
    unit: "ms",
    target: { op: "<=", value: 20 },
  },
  {
    workload: "W8",
    label: "inspect: first page, status=errored, p50",
    metric: "erroredFirstPageP50Ms",
    unit: "ms",
    target: { op: "<=", value: 20 },
  },
  {
    workload: "W8",
    label: "inspect: next pages by cursor p50",
    metric: "nextPageP50Ms",
    unit: "ms",
    target: { op: "<=", value: 20 },
  },
  {
    workload: "W8",
    label: "inspect: one instance with 100 steps p50",
    metric: "instanceP50Ms",
    unit: "ms",
    target: { op: "<=", value: 5 },
  },
  {
    workload: "W8",
    label: "inspect: ceiling, store reads of a first page p50",
    metric: "storeFirstPageP50Ms",
    unit: "ms",
  },
  {
    workload: "W8",
    label: "inspect: ceiling, store reads of one instance p50",
    metric: "storeInstanceP50Ms",
    unit: "ms",
  },
  {
    workload: "W9",
    label: "HTTP: POST create → complete on the SSE feed p50",
    metric: "roundTripHttpP50Ms",
    unit: "ms",
    target: { op: "<=", value: 2 },
  },
  {
    workload: "W9",
    label: "HTTP: POST create → complete on the SSE feed p99",
    metric: "roundTripHttpP99Ms",
    unit: "ms",
  },
  { workload: "W9", label: "HTTP: POST create answered p50", metric: "createHttpP50Ms", unit: "ms" },
  {
    workload: "W9",
    label: "HTTP: first list page of 25 p50",
    metric: "listFirstHttpP50Ms",
    unit: "ms",
    target: { op: "<=", value: 25 },
  },
  {
    workload: "W9",
    label: "HTTP: deep numbered list page p50",
    metric: "listDeepHttpP50Ms",
    unit: "ms",
    target: { op: "<=", value: 25 },
  },
  {
    workload: "W9",
    label: "HTTP: list page, status=errored, p50",
    metric: "listErroredHttpP50Ms",
    unit: "ms",
    target: { op: "<=", value: 25 },
  },
  {
    workload: "W9",
    label: "HTTP: next list pages by cursor p50",
    metric: "listCursorHttpP50Ms",
    unit: "ms",
    target: { op: "<=", value: 25 },
  },
  {
    workload: "W9",
    label: "HTTP polling at 5,000/s offered: answered",
    metric: "pollAnsweredPercent",
    unit: "%",
    target: { op: ">=", value: 100 },
  },
  {
    workload: "W9",
    label: "HTTP polling: errors, timeouts and non-2xx",
    metric: "pollFailed",
    unit: "requests",
    target: { op: "<=", value: 0 },
  },
  { workload: "W9", label: "HTTP polling: latency p50", metric: "pollP50Ms", unit: "ms" },
  {
    workload: "W9",
    label: "HTTP polling: latency p99",
    metric: "pollP99Ms",
    unit: "ms",
    target: { op: "<=", value: 50 },
  },
  {
    workload: "W9",
    label: "HTTP polling: most answers/s (50 connections, no rate)",
    metric: "pollCapacityPerSecond",
    unit: "/s",
  },
  {
    workload: "W9",
    label: "HTTP polling: server main thread per answer",
    metric: "serverMsPerAnswer",
    unit: "ms",
  },
  {
    workload: "W9",
    label: "bare node:http server, same polling load: latency p99",
    metric: "bareP99Ms",
    unit: "ms",
  },
  {
    workload: "W9",
    label: "bare node:http server: most answers/s",
    metric: "bareCapacityPerSecond",
    unit: "/s",
  },
  {
    workload: "W10",
    label: "dashboard: overview rendered, cold, p50",
    metric: "overviewColdP50Ms",
    unit: "ms",
  },
  {
    workload: "W10",
    label: "dashboard: overview rendered, cold, p95",
    metric: "overviewColdP95Ms",
    unit: "ms",
    target: { op: "<=", value: 1000 },
  },
  {
    workload: "W10",
    label: "dashboard: instances page's first row, cold, p50",
    metric: "instancesColdP50Ms",
    unit: "ms",
  },
  {
    workload: "W10",
    label: "dashboard: instances page's first row, cold, p95",
    metric: "instancesColdP95Ms",
    unit: "ms",
    target: { op: "<=", value: 1000 },
  },
  {
    workload: "W10",
    label: "dashboard: overview rendered, warm (reload), p95",
    metric: "overviewWarmP95Ms",
    unit: "ms",
    target: { op: "<=", value: 1000 },
  },
  {
    workload: "W10",
    label: "dashboard: instances page's first row, warm (reload), p95",
    metric: "instancesWarmP95Ms",
    unit: "ms",
    target: { op: "<=", value: 1000 },
  },
  { workload: "W10", label: "dashboard: app.js gzipped", metric: "appJsGzipBytes", unit: "bytes" },
  {
    workload: "W1-metrics-off",
    label: "fan-out, metrics off: steps/s",
    metric: "stepsPerSecond",
    unit: "steps/s",
  },
  {
    workload: "metrics-scrape",
    label: "one metrics scrape, 10,000 waiting instances: p50",
    metric: "scrapeP50Ms",
    unit: "ms",
    target: { op: "<=", value: 5 },
  },
  { workload: "metrics-scrape", label: "one metrics scrape: p99", metric: "scrapeP99Ms", unit: "ms" },
  { workload: "metrics-scrape", label: "one metrics scrape: CPU", metric: "scrapeCpuMs", unit: "ms" },
];

/** Engine figures set beside the storage's ceiling: engine metric, ceiling metric, how to compare. */
export type Ratio = {
  label: string;
  workload: string;
  metric: string;
  /** A metric of the ceiling run, or the id of a bound workload whose same metric is the limit. */
  ceiling: string;
  /** "rate": engine ÷ ceiling (1 = at the disk's limit); "latency": engine ÷ one commit. */
  kind: "rate" | "latency";
};

export const RATIOS: Ratio[] = [
  {
    label: "W1 steps/s ÷ SQLite rows/s at 100 rows per transaction",
    workload: "W1",
    metric: "stepsPerSecond",
    ceiling: "rowsPerSecondAt100PerTransaction",
    kind: "rate",
  },
  {
    label: "W1 steps/s ÷ Cairn's step writes/s at 100 steps per transaction (no engine)",
    workload: "W1",
    metric: "stepsPerSecond",
    ceiling: "cairnStepsPerSecondAt100PerTransaction",
    kind: "rate",
  },
  {
    label: "W1 steps/s ÷ W1 steps/s with metrics off (W1-metrics-off): what collecting metrics costs",
    workload: "W1",
    metric: "stepsPerSecond",
    ceiling: "W1-metrics-off",
    kind: "rate",
  },
  {
    label: "W1 steps/s ÷ the engine alone (W1-engine: step records not written)",
    workload: "W1",
    metric: "stepsPerSecond",
    ceiling: "W1-engine",
    kind: "rate",
  },
  {
    label: "W3 steps/s ÷ Cairn's step writes, one step per commit (no engine)",
    workload: "W3",
    metric: "stepsPerSecond",
    ceiling: "cairnStepCommitsPerSecond",
    kind: "rate",
  },
  {
    label: "W3 steps/s ÷ SQLite single-row commits/s",
    workload: "W3",
    metric: "stepsPerSecond",
    ceiling: "singleRowCommitsPerSecond",
    kind: "rate",
  },
  {
    label: "W5 completions/s ÷ SQLite rows/s at 100 rows per transaction",
    workload: "W5",
    metric: "completionsPerSecond",
    ceiling: "rowsPerSecondAt100PerTransaction",
    kind: "rate",
  },
  {
    label: "W2 p50 ÷ one single-row commit (p50)",
    workload: "W2",
    metric: "p50Ms",
    ceiling: "singleRowCommitP50Ms",
    kind: "latency",
  },
  {
    label: "W7 p50 ÷ one single-row commit (p50)",
    workload: "W7",
    metric: "p50Ms",
    ceiling: "singleRowCommitP50Ms",
    kind: "latency",
  },
];

/** W9's HTTP figures, each beside the same work done in-process in the same run. */
export type HttpPair = {
  label: string;
  http: { p50: string; p99?: string };
  local: { p50: string; p99?: string };
};

export const HTTP_PAIRS: HttpPair[] = [
  {
    label: "create → complete (POST + SSE feed; in-process: binding create + inspect.watch)",
    http: { p50: "roundTripHttpP50Ms", p99: "roundTripHttpP99Ms" },
    local: { p50: "roundTripInProcessP50Ms", p99: "roundTripInProcessP99Ms" },
  },
  {
    label: "first list page of 25 (inspect.instances)",
    http: { p50: "listFirstHttpP50Ms", p99: "listFirstHttpP99Ms" },
    local: { p50: "listFirstInProcessP50Ms", p99: "listFirstInProcessP99Ms" },
  },
  {
    label: "deep numbered page (page=…)",
    http: { p50: "listDeepHttpP50Ms", p99: "listDeepHttpP99Ms" },
    local: { p50: "listDeepInProcessP50Ms", p99: "listDeepInProcessP99Ms" },
  },
  {
    label: "page filtered by status=errored",
    http: { p50: "listErroredHttpP50Ms", p99: "listErroredHttpP99Ms" },
    local: { p50: "listErroredInProcessP50Ms", p99: "listErroredInProcessP99Ms" },
  },
  {
    label: "next pages by cursor",
    http: { p50: "listCursorHttpP50Ms", p99: "listCursorHttpP99Ms" },
    local: { p50: "listCursorInProcessP50Ms", p99: "listCursorInProcessP99Ms" },
  },
  {
    label:
      "one instance of 5 steps (HTTP: under the 5,000/s polling; in-process: inspect.instance, one call at a time)",
    http: { p50: "pollP50Ms", p99: "pollP99Ms" },
    local: { p50: "instanceReadInProcessP50Ms", p99: "instanceReadInProcessP99Ms" },
  },
  {
    label:
      "one instance of 5 steps, the server's main thread per answer (HTTP: busy time ÷ answers at most answers/s, a mean; in-process: inspect.instance)",
    http: { p50: "serverMsPerAnswer" },
    local: { p50: "instanceReadInProcessP50Ms" },
  },
];

/** W10's pages, in the order its table shows them: the metric prefix and what is timed. */
export const DASHBOARD_PAGES: { key: string; label: string }[] = [
  { key: "overview", label: "overview: the workflow's card with its counts" },
  { key: "instances", label: "instances page: the first row" },
  { key: "baseline", label: "baseline: a static page of the same server, to its load event" },
];

/** W10's bundle files and their metric prefixes. */
export const DASHBOARD_BUNDLE: { name: string; key: string }[] = [
  { name: "app.js", key: "appJs" },
  { name: "app.css", key: "appCss" },
  { name: "changes-worker.js", key: "changesWorkerJs" },
];
