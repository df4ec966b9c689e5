// Which file measures what: the ids the runner accepts in --only, in the order a run takes
// them, and the message a workload's child process answers with.

import type { WorkloadResult } from "./harness.js";

/** Paths relative to bench/; "ceiling" is the storage's own limit (ceiling.ts). */
export const MODULES: Record<string, string> = {
  ceiling: "./ceiling.js",
  W1: "./w1-fan-out.js",
  "W1-metrics-off": "./w1-metrics-off.js",
  "W1-engine": "./w1-engine-bound.js",
  "W1-traced": "./w1-traced.js",
  "W1-workers": "./w1-workers.js",
  W2: "./w2-latency.js",
  W3: "./w3-long.js",
  W4: "./w4-sleep.js",
  W5: "./w5-idle.js",
  W6: "./w6-history.js",
  W7: "./w7-event-round-trip.js",
  W8: "./w8-inspect.js",
  W9: "./w9-http.js",
  W10: "./w10-dashboard.js",
  "metrics-scrape": "./metrics-scrape.js",
  "pg-scale-model": "./pg-scale-model.js",
};

export const ORDER = Object.keys(MODULES);

export type ChildReply = { ok: true; result: WorkloadResult } | { ok: false; error: string };
