// Main-thread side of the SQLite writer: posts transitions to the writer thread and settles
// each caller's promise when the group commit that carried it is durable. Calls made in one
// turn of the event loop travel in one message, and a step record still waiting to be posted is
// replaced by a later record of the same step (an attempt's start by its result), so a fast
// step costs the writer one journal write instead of two.

import { Worker } from "node:worker_threads";
import { StaleLeaseError, WorkflowsError } from "../../errors.js";
import type { SqliteSynchronous } from "./connection.js";
import type { SqliteTransitions } from "./transitions.js";
import type { WriterError, WriterReply, WriterRequest } from "./writer-protocol.js";

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

type RecordStepRowArgs = Parameters<SqliteTransitions["recordStepRow"]>;

/** Which step a recordStepRow call writes: instance, lease epoch and step key. */
function stepSlot(args: unknown[]): string {
  const [seq, epoch, values] = args as RecordStepRowArgs;
  return `${seq}:${epoch}:${values[1] as string}`;
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
  /** Requests not posted yet; posted together at the end of this turn of the event loop. */
  private unsent: WriterRequest[] = [];
  /** Unsent recordStepRow requests by instance, lease epoch and step key. */
  private unsentSteps = new Map<string, WriterRequest>();
  /** Callers whose record was merged into another request: settled with that request's reply. */
  private readonly followers = new Map<number, number[]>();
  /** Replies received and not yet settled. */
  private replies: WriterReply[] = [];
  private repliesFrom = 0;
  private pumpScheduled = false;
  private postScheduled = false;
  private nextId = 1;
  private closed = false;
  private exited = false;

  private constructor(worker: Worker) {
    this.worker = worker;
    worker.on("message", (msg: WriterReply[] | "closed") => {
      if (!Array.isArray(msg)) return;
      for (const reply of msg) this.replies.push(reply);
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
      if (op === "recordStepRow" && this.mergeStep(id, args as unknown[])) return;
      const request: WriterRequest = { id, op, args };
      this.unsent.push(request);
      if (op === "recordStepRow") this.unsentSteps.set(stepSlot(args as unknown[]), request);
      if (!this.postScheduled) {
        this.postScheduled = true;
        // A tick queued now runs once the current cascade of promise callbacks has drained: the
        // writes one turn of the event loop makes go together, and go before the next turn.
        process.nextTick(this.post);
      }
    });
  }

  /**
   * Folds a step record into an unsent record of the same step under the same lease: the later
   * record replaces the earlier (an upsert of the same row in the same transaction), and the log
   * keeps both calls' entries, each with its own time. Both callers settle with the one reply.
   */
  private mergeStep(id: number, args: unknown[]): boolean {
    const earlier = this.unsentSteps.get(stepSlot(args));
    if (!earlier) return false;
    const [seq, epoch, values, log, now] = args as RecordStepRowArgs;
    const [, , , earlierLog, earlierNow] = earlier.args as RecordStepRowArgs;
    // The flat logs are the caller's fresh arrays, not shared: the earlier entries get their own
    // time, the later ones keep the merged request's `now`.
    for (let i = 1; i < earlierLog.length; i += 5) earlierLog[i] ??= earlierNow;
    for (const v of log) earlierLog.push(v);
    earlier.args = [seq, epoch, values, earlierLog, now];
    const merged = this.followers.get(earlier.id);
    if (merged) merged.push(id);
    else this.followers.set(earlier.id, [id]);
    return true;
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
      const merged = this.followers.get(reply.id);
      if (merged) {
        this.followers.delete(reply.id);
        for (const id of merged) this.settle(id, reply);
      }
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
    this.unsentSteps.clear();
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
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    this.followers.clear();
    this.replies = [];
    this.repliesFrom = 0;
    this.unsent = [];
    this.unsentSteps.clear();
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
