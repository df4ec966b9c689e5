// What the supervisor of `cairn start --workers N` and its worker processes say to each other
// over the cluster IPC channel: a worker is ready, worker 1 asks for the others' metrics, the
// supervisor asks a worker for its own and hands the answers back. Every message has a `cairn`
// field, which keeps it apart from node:cluster's own messages.

import type { MissingWorker, WorkerMetrics } from "./merge-metrics.js";

/** The environment variable that tells a cluster worker its number (1..N). */
export const WORKER_ENV = "CAIRN_CLUSTER_WORKER";

/** How long the supervisor waits for a worker's metrics before leaving it out of a scrape. */
export const METRICS_TIMEOUT_MS = 2000;

/** What a worker tells the supervisor. */
export type FromWorker =
  | { cairn: "ready"; fields: Record<string, unknown> }
  | { cairn: "gather-metrics"; id: number }
  | { cairn: "metrics"; id: number; text: string | null; error?: string };

/** What the supervisor tells a worker. */
export type ToWorker =
  | { cairn: "read-metrics"; id: number }
  | { cairn: "gathered-metrics"; id: number; parts: WorkerMetrics[]; missing: MissingWorker[] };

function isMessage(value: unknown): value is { cairn: string } {
  return (
    typeof value === "object" && value !== null && typeof (value as { cairn?: unknown }).cairn === "string"
  );
}

export function fromWorker(value: unknown): FromWorker | null {
  return isMessage(value) ? (value as FromWorker) : null;
}

export function toWorker(value: unknown): ToWorker | null {
  return isMessage(value) ? (value as ToWorker) : null;
}
