// Main-thread side of the SQLite writer: posts transitions to the writer thread and settles
// each caller's promise when the group commit that carried it is durable.

import { Worker } from "node:worker_threads";
import { StaleLeaseError, WorkflowsError } from "../../errors.js";
import type { SqliteSynchronous } from "./connection.js";
import type { SqliteTransitions } from "./transitions.js";
import type { WriterError, WriterReply } from "./writer-protocol.js";

/** The public methods of SqliteTransitions: the operations the writer thread runs. */
type TransitionName = {
  [K in keyof SqliteTransitions]: SqliteTransitions[K] extends (...args: never[]) => unknown ? K : never;
}[keyof SqliteTransitions];

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

/** Starts the writer thread from compiled JS, or from TypeScript source through tsx in development. */
function spawnWriter(workerData: unknown): Worker {
  if (!import.meta.url.endsWith(".ts"))
    return new Worker(new URL("./writer-thread.js", import.meta.url), { workerData });
  const source = new URL("./writer-thread.ts", import.meta.url).href;
  // Resolved here: an eval'd worker resolves bare specifiers from the working directory, which may have no tsx.
  const tsx = import.meta.resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(source)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

function toError(e: WriterError): Error {
  if (e.code === "storage.stale_lease") {
    const err = new StaleLeaseError("?", 0);
    err.message = e.message;
    return err;
  }
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

export class SqliteWriter {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private exited = false;

  private constructor(worker: Worker) {
    this.worker = worker;
    worker.on("message", (msg: WriterReply[] | "closed") => {
      if (!Array.isArray(msg)) return;
      for (const reply of msg) {
        const p = this.pending.get(reply.id);
        if (!p) continue;
        this.pending.delete(reply.id);
        if (reply.ok) p.resolve(reply.result);
        else p.reject(toError(reply.error));
      }
    });
    worker.on("error", (error) => this.failAll(error));
    worker.on("exit", () => {
      // A dead thread answers nothing more: later calls must fail at once, not wait forever.
      this.exited = true;
      this.failAll(new WorkflowsError("engine.closed", "the SQLite writer thread exited"));
    });
  }

  static async start(path: string, synchronous: SqliteSynchronous, now: number) {
    const worker = spawnWriter({ path, synchronous, now });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (msg: unknown) => {
        if (msg === "ready") {
          worker.off("message", onMessage);
          resolve();
        } else if (typeof msg === "object" && msg && "startupError" in msg) {
          const e = (msg as { startupError: WriterError }).startupError;
          void worker.terminate();
          reject(new WorkflowsError("storage.migration_failed", `cannot open ${path}: ${e.message}`));
        }
      };
      worker.on("message", onMessage);
      worker.once("error", reject);
    });
    return new SqliteWriter(worker);
  }

  /** Queues one transition; resolves once it is committed (or rejects with its own error). */
  call<K extends TransitionName>(
    op: K,
    args: Parameters<SqliteTransitions[K]>,
  ): Promise<ReturnType<SqliteTransitions[K]>> {
    if (this.closed || this.exited) {
      return Promise.reject(new WorkflowsError("engine.closed", "the SQLite store is closed"));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, op, args });
    });
  }

  private failAll(error: Error): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  /** Commits what is queued, then stops the thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.exited) return;
    await new Promise<void>((resolve) => {
      this.worker.on("message", (msg) => {
        if (msg === "closed") resolve();
      });
      this.worker.once("exit", () => resolve());
      this.worker.postMessage("close");
    });
    await this.worker.terminate();
  }
}
