// The primary process of `cairn start --workers N`: it runs no Worker itself but forks N cluster
// workers running the same command (node:cluster shares the Worker's port among them), worker 1
// first since it holds the admin listener and the crons, the others once it is ready. It prints
// one "ready" line when all are, replaces a worker that dies (giving up after repeated deaths),
// relays the metrics scrape between worker 1 and the others, and on SIGTERM or SIGINT stops
// every worker gracefully before exiting.

import cluster, { type Worker } from "node:cluster";
import type { Logger } from "../../observability/logger.js";
import type { MissingWorker, WorkerMetrics } from "./merge-metrics.js";
import { fromWorker, METRICS_TIMEOUT_MS, type ToWorker, WORKER_ENV } from "./messages.js";

/** Deaths within RESTART_WINDOW_MS that make the supervisor give up instead of restarting. */
const RESTART_LIMIT = 5;
const RESTART_WINDOW_MS = 30_000;
/** The first restart's delay; each further recent death doubles it, up to RESTART_MAX_DELAY_MS. */
const RESTART_DELAY_MS = 200;
const RESTART_MAX_DELAY_MS = 5000;
/**
 * A worker's graceful stop waits up to the grace period three times over (requests, waitUntil
 * work, attempts in flight); the supervisor allows that plus this margin (closing storage,
 * flushing traces) before it kills the worker.
 */
const STOP_MARGIN_MS = 10_000;

export type SupervisorOptions = {
  /** How many worker processes to run (2..64). */
  workers: number;
  /** The grace period each worker's shutdown has. */
  graceMs: number;
  log: Logger;
};

type Slot = {
  index: number;
  worker: Worker | null;
  ready: boolean;
  /** The fields of the worker's own ready line (its URLs). */
  fields: Record<string, unknown> | null;
  restart: NodeJS.Timeout | null;
};

type Pending = {
  expected: Set<number>;
  parts: WorkerMetrics[];
  missing: MissingWorker[];
  done: () => void;
};

export class Supervisor {
  private readonly options: SupervisorOptions;
  private readonly log: Logger;
  private readonly slots: Slot[];
  private phase: "starting" | "running" | "stopping" = "starting";
  private readonly deaths: number[] = [];
  private exitCode = 0;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  private constructor(options: SupervisorOptions) {
    this.options = options;
    this.log = options.log;
    this.slots = Array.from({ length: options.workers }, (_, i) => ({
      index: i + 1,
      worker: null,
      ready: false,
      fields: null,
      restart: null,
    }));
  }

  /** Forks the workers and handles SIGTERM and SIGINT; the process exits when they are done. */
  static run(options: SupervisorOptions): Supervisor {
    const supervisor = new Supervisor(options);
    // The workers write their log lines to this process's stdout and stderr. They are stopped by
    // the supervisor; a terminal's Ctrl-C reaches them too, and they take it as the same stop.
    cluster.setupPrimary({ silent: false });
    process.on("SIGTERM", (signal) => supervisor.stop(signal));
    process.on("SIGINT", (signal) => supervisor.stop(signal));
    supervisor.log.info({ workers: options.workers }, "starting workers");
    supervisor.fork(supervisor.slots[0]!);
    return supervisor;
  }

  private fork(slot: Slot): void {
    slot.restart = null;
    slot.ready = false;
    slot.fields = null;
    const worker = cluster.fork({ [WORKER_ENV]: String(slot.index) });
    slot.worker = worker;
    worker.on("message", (message: unknown) => this.received(slot, worker, message));
    worker.on("exit", (code, signal) => this.exited(slot, worker, code, signal));
    this.log.info({ worker: slot.index, pid: worker.process.pid }, "worker started");
  }

  private received(slot: Slot, worker: Worker, value: unknown): void {
    const message = fromWorker(value);
    if (!message || slot.worker !== worker) return;
    if (message.cairn === "ready") {
      slot.ready = true;
      slot.fields = message.fields;
      this.someoneReady(slot);
    } else if (message.cairn === "gather-metrics") {
      void this.gather(slot).then((answer) =>
        this.send(worker, { cairn: "gathered-metrics", id: message.id, ...answer }),
      );
    } else if (message.cairn === "metrics") {
      const pending = this.pending.get(message.id);
      if (!pending?.expected.delete(slot.index)) return;
      if (message.text !== null) pending.parts.push({ worker: slot.index, text: message.text });
      else pending.missing.push({ worker: slot.index, reason: message.error ?? "no metrics" });
      if (pending.expected.size === 0) pending.done();
    }
  }

  private someoneReady(slot: Slot): void {
    if (this.phase !== "starting") return;
    if (slot.index === 1) for (const other of this.slots.slice(1)) if (!other.worker) this.fork(other);
    if (!this.slots.every((s) => s.ready)) return;
    this.phase = "running";
    this.log.info({ ...this.slots[0]!.fields, workers: this.options.workers }, "ready");
  }

  /** Every other worker's metrics for the worker that asked, within METRICS_TIMEOUT_MS. */
  private async gather(asking: Slot): Promise<{ parts: WorkerMetrics[]; missing: MissingWorker[] }> {
    const id = this.nextId++;
    const pending: Pending = { expected: new Set(), parts: [], missing: [], done: () => {} };
    const missing = pending.missing;
    const finished = new Promise<void>((resolve) => {
      pending.done = resolve;
    });
    for (const slot of this.slots) {
      if (slot === asking) continue;
      if (!slot.worker || !slot.ready) {
        missing.push({ worker: slot.index, reason: slot.worker ? "still starting" : "not running" });
        continue;
      }
      if (this.send(slot.worker, { cairn: "read-metrics", id })) pending.expected.add(slot.index);
      else missing.push({ worker: slot.index, reason: "not reachable" });
    }
    if (pending.expected.size > 0) {
      this.pending.set(id, pending);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        finished,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, METRICS_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timer);
      this.pending.delete(id);
    }
    for (const index of pending.expected) {
      missing.push({ worker: index, reason: `no answer within ${METRICS_TIMEOUT_MS} ms` });
    }
    return { parts: pending.parts, missing };
  }

  /** Sends `message` to `worker`; false when its channel is closed. */
  private send(worker: Worker, message: ToWorker): boolean {
    if (!worker.isConnected()) return false;
    try {
      worker.send(message);
      return true;
    } catch {
      return false;
    }
  }

  private exited(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    slot.worker = null;
    slot.ready = false;
    for (const pending of this.pending.values()) {
      if (!pending.expected.delete(slot.index)) continue;
      pending.missing.push({ worker: slot.index, reason: "exited before answering" });
      if (pending.expected.size === 0) pending.done();
    }
    const about = { worker: slot.index, pid: worker.process.pid, code, signal };
    if (this.phase === "stopping") {
      this.log.info(about, "worker stopped");
      if (code !== 0) this.exitCode = 1;
      this.finishIfAllStopped();
      return;
    }
    if (this.phase === "starting") {
      this.log.error(about, "worker exited during start-up; stopping the others");
      this.exitCode = 1;
      this.stop(null);
      return;
    }
    const now = Date.now();
    this.deaths.push(now);
    while (this.deaths.length > 0 && this.deaths[0]! <= now - RESTART_WINDOW_MS) this.deaths.shift();
    if (this.deaths.length >= RESTART_LIMIT) {
      this.log.error(
        { ...about, deaths: this.deaths.length, windowSeconds: RESTART_WINDOW_MS / 1000 },
        "worker exited; too many workers died in a short time, giving up",
      );
      this.exitCode = 1;
      this.stop(null);
      return;
    }
    const delayMs = Math.min(RESTART_MAX_DELAY_MS, RESTART_DELAY_MS * 2 ** (this.deaths.length - 1));
    this.log.error({ ...about, restartInMs: delayMs }, "worker exited unexpectedly; starting a new one");
    slot.restart = setTimeout(() => {
      if (this.phase === "running") this.fork(slot);
    }, delayMs);
  }

  /**
   * Stops every worker gracefully (SIGTERM, which each takes as its own graceful stop) and exits
   * when all have; a worker still running after its graceful stop's bound is killed. A
   * second signal kills them all and exits at once. `signal` null: stopping on the supervisor's
   * own account (a worker could not start, or too many died).
   */
  stop(signal: NodeJS.Signals | null): void {
    if (this.phase === "stopping") {
      if (!signal) return;
      this.log.warn({ signal }, "second signal: killing the workers and exiting without waiting");
      for (const slot of this.slots) slot.worker?.process.kill("SIGKILL");
      process.exit(1);
    }
    this.phase = "stopping";
    if (signal) this.log.info({ signal, graceSeconds: this.options.graceMs / 1000 }, "shutting down");
    for (const slot of this.slots) {
      if (slot.restart) clearTimeout(slot.restart);
      slot.restart = null;
      slot.worker?.process.kill("SIGTERM");
    }
    const deadline = setTimeout(
      () => {
        const left = this.slots.filter((s) => s.worker).map((s) => s.index);
        this.log.error({ workers: left }, "workers still running long after the grace period: killing them");
        this.exitCode = 1;
        for (const slot of this.slots) slot.worker?.process.kill("SIGKILL");
      },
      3 * this.options.graceMs + STOP_MARGIN_MS,
    );
    deadline.unref();
    this.finishIfAllStopped();
  }

  private finishIfAllStopped(): void {
    if (this.slots.some((s) => s.worker)) return;
    this.log.info({ code: this.exitCode }, "all workers stopped");
    process.exit(this.exitCode);
  }
}
