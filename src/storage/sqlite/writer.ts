// Main-thread side of the SQLite writer: posts transitions to the writer thread and settles
// each caller's promise when the group commit that carried it is durable. Calls made in one
// turn of the event loop travel in one message.

import { Worker } from "node:worker_threads";
import { type ErrorCode, StaleLeaseError, WorkflowsError } from "../../errors.js";
import type { StoreObserver } from "../store-observer.js";
import type { SqliteSynchronous } from "./connection.js";
import type { SqliteTransitions } from "./transitions.js";
import type { WriterBatchReply, WriterError, WriterReply, WriterRequest } from "./writer-protocol.js";

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

/** How many replies are settled per turn of the event loop (see pump). */
const REPLY_SLICE = 128;

function toError(e: WriterError): Error {
  if (e.code === "storage.stale_lease") {
    const err = new StaleLeaseError("?", 0);
    err.message = e.message;
    return err;
  }
  if (e.detail !== undefined && e.code !== undefined) {
    // A Cairn error thrown on the writer thread: the same code, name and message here.
    const err = new WorkflowsError(e.code as ErrorCode, e.detail);
    err.name = e.name;
    return err;
  }
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

/** The main thread's handle on the writer thread. */
export class SqliteWriter {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  /** Requests not posted yet; posted together at the end of this turn of the event loop. */
  private unsent: WriterRequest[] = [];
  /** Replies received and not yet settled. */
  private replies: WriterReply[] = [];
  private repliesFrom = 0;
  private pumpScheduled = false;
  private postScheduled = false;
  private nextId = 1;
  private closed = false;
  private exited = false;
  /** Hears each group commit's duration and size (metrics); none by default. */
  observer: StoreObserver | undefined;

  private constructor(worker: Worker) {
    this.worker = worker;
    worker.on("message", (msg: WriterBatchReply | "closed") => {
      if (typeof msg !== "object") return;
      this.observer?.committed?.(msg.ms, msg.writes);
      for (const reply of msg.replies) this.replies.push(reply);
      // The first slice settles at once (a lone instance's next step starts without another turn).
      if (!this.pumpScheduled) this.pump();
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
          // A fault of the file's medium keeps its own code; anything else failed the migration.
          reject(
            e.code?.startsWith("storage.") && e.code !== "storage.migration_failed"
              ? toError(e)
              : new WorkflowsError(
                  "storage.migration_failed",
                  `cannot open ${path}: ${e.detail ?? e.message}`,
                ),
          );
        }
      };
      worker.on("message", onMessage);
      worker.once("error", reject);
    });
    return new SqliteWriter(worker);
  }

  /** False once the thread is closed or has exited: it would answer nothing more. */
  get running(): boolean {
    return !this.closed && !this.exited;
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
      this.unsent.push({ id, op, args });
      if (!this.postScheduled) {
        this.postScheduled = true;
        // A tick queued now runs once the current cascade of promise callbacks has drained: the
        // writes one turn of the event loop makes go together, and go before the next turn.
        process.nextTick(this.post);
      }
    });
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(this.pump);
  }

  /**
   * Settles the next slice of replies. The callers settled now queue their next writes in the
   * promise callbacks that follow, and those are posted (see post) before the next slice is
   * settled in a later turn: the writer thread commits early writes while the event loop still
   * runs later callers, instead of the two taking turns.
   */
  private readonly pump = (): void => {
    this.pumpScheduled = false;
    const end = Math.min(this.replies.length, this.repliesFrom + REPLY_SLICE);
    for (let i = this.repliesFrom; i < end; i++) {
      const reply = this.replies[i]!;
      this.settle(reply.id, reply);
    }
    if (end < this.replies.length) {
      this.repliesFrom = end;
      this.schedulePump();
    } else {
      this.replies = [];
      this.repliesFrom = 0;
    }
  };

  /** Posts the calls made since the last post, in one message. */
  private readonly post = (): void => {
    this.postScheduled = false;
    if (this.unsent.length === 0) return;
    const batch = this.unsent;
    this.unsent = [];
    this.worker.postMessage(batch);
  };

  private settle(id: number, reply: WriterReply): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (reply.ok) p.resolve(reply.result);
    else p.reject(toError(reply.error));
  }

  private failAll(error: Error): void {
    // Replies already received are answers: their writes committed (or failed on their own).
    while (this.replies.length > this.repliesFrom) this.pump();
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    this.replies = [];
    this.repliesFrom = 0;
    this.unsent = [];
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
      this.post();
      this.worker.postMessage("close");
    });
    await this.worker.terminate();
  }
}
