// A worker process's side of `cairn start --workers N`: which worker it is, telling the supervisor
// it is ready, answering the supervisor's requests for its metrics and, in worker 1, gathering
// every worker's metrics for one scrape of its admin listener.

import cluster from "node:cluster";
import { type MissingWorker, mergeWorkerMetrics, type WorkerMetrics } from "./merge-metrics.js";
import { type FromWorker, METRICS_TIMEOUT_MS, toWorker, WORKER_ENV } from "./messages.js";

/** How long worker 1 waits for the supervisor's answer (it times the others out sooner). */
const GATHER_TIMEOUT_MS = METRICS_TIMEOUT_MS + 1000;

/** This process's number when it is a worker of `cairn start --workers N`, else null. */
export function clusterWorkerIndex(): number | null {
  if (!cluster.isWorker) return null;
  const index = Number(process.env[WORKER_ENV]);
  return Number.isInteger(index) && index >= 1 ? index : null;
}

type Gathered = { parts: WorkerMetrics[]; missing: MissingWorker[] };

export class WorkerLink {
  readonly index: number;
  private readonly workers: number;
  private readMetrics: (() => Promise<string>) | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, (answer: Gathered) => void>();

  constructor(index: number, workers: number) {
    this.index = index;
    this.workers = workers;
    process.on("message", (value: unknown) => this.received(value));
  }

  /** Tells the supervisor this worker serves, with the fields of its ready line. */
  ready(fields: Record<string, unknown>): void {
    this.send({ cairn: "ready", fields });
  }

  /** Where this worker's own metrics are read when the supervisor asks for them. */
  serveMetrics(read: () => Promise<string>): void {
    this.readMetrics = read;
  }

  /**
   * Every worker's metrics in one exposition: `local` (this worker's) and the others', which the
   * supervisor collects; a worker that does not answer in time is left out, and the text says so.
   */
  async gatherMetrics(local: () => Promise<string>): Promise<string> {
    const [own, others] = await Promise.all([local(), this.askOthers()]);
    return mergeWorkerMetrics(
      [{ worker: this.index, text: own }, ...others.parts],
      others.missing,
      this.workers,
    );
  }

  private askOthers(): Promise<Gathered> {
    const id = this.nextId++;
    const unanswered = (reason: string): Gathered => ({
      parts: [],
      missing: Array.from({ length: this.workers }, (_, i) => i + 1)
        .filter((k) => k !== this.index)
        .map((worker) => ({ worker, reason })),
    });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(unanswered("the supervisor did not answer"));
      }, GATHER_TIMEOUT_MS);
      this.waiting.set(id, (answer) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(answer);
      });
      if (!this.send({ cairn: "gather-metrics", id })) {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(unanswered("the supervisor is not reachable"));
      }
    });
  }

  private received(value: unknown): void {
    const message = toWorker(value);
    if (!message) return;
    if (message.cairn === "gathered-metrics") {
      this.waiting.get(message.id)?.({ parts: message.parts, missing: message.missing });
    } else if (message.cairn === "read-metrics") {
      const read = this.readMetrics;
      if (!read) {
        this.send({ cairn: "metrics", id: message.id, text: null, error: "still starting" });
        return;
      }
      read().then(
        (text) => this.send({ cairn: "metrics", id: message.id, text }),
        (error: unknown) =>
          this.send({
            cairn: "metrics",
            id: message.id,
            text: null,
            error: (error as Error)?.message ?? String(error),
          }),
      );
    }
  }

  private send(message: FromWorker): boolean {
    if (!process.send || !process.connected) return false;
    try {
      process.send(message);
      return true;
    } catch {
      return false;
    }
  }
}
