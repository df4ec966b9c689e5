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
