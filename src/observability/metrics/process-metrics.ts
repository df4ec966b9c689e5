// Node.js process metrics (event-loop lag, CPU, memory, heap, GC, handles), under prom-client's
// usual names (nodejs_eventloop_lag_seconds, process_cpu_seconds_total, …) so that standard
// Node.js dashboards read them as they are. They describe the process, not one Cairn: one
// registry per process collects them, made when the first Cairn with metrics opens, and every
// Cairn's exposition includes it. (The event-loop monitor and the GC observer behind them cannot
// be stopped, so one per Cairn would pile up in a process that opens many.)

import { collectDefaultMetrics, Registry } from "prom-client";

let shared: Registry | null = null;

/** The process's own registry of Node.js metrics, made at the first call. */
export function processRegistry(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
