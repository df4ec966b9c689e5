// Wraps the store Cairn runs on so that the bench sees, without polling, the moment a
// transition became durable: an instance's `finish` (it is complete for every reader from then
// on) and its `suspend` (it hibernated). It also counts store calls per operation, which tells
// how many round trips to the writer a workload cost. The engine runs unchanged on top of it.

import type { CreateResult, Fence, FinishResult, Store } from "../../src/storage/types.js";
import { nowMs } from "./stats.js";

type Waiter = { resolve: (at: number) => void };

export class StoreWatch {
  /** Store calls by operation name. */
  readonly ops: Record<string, number> = {};
  /** Durable finishes so far (any status) and how many of them were `complete`. */
  finished = 0;
  completed = 0;
  suspended = 0;
  /** The results of the last `createInstances` that resolved (seq of each new instance). */
  lastCreated: CreateResult[] = [];
  /** When `record` is on: when each seq finished / suspended (nowMs), for per-instance waits. */
  private readonly finishedAt: Map<number, number> | null;
  private readonly suspendedAt: Map<number, number> | null;
  private readonly finishWaiters = new Map<number, Waiter>();
  private readonly suspendWaiters = new Map<number, Waiter>();
  private countWaiters: { n: number; kind: "finished" | "suspended"; resolve: (at: number) => void }[] = [];

  constructor(record: boolean) {
    this.finishedAt = record ? new Map() : null;
    this.suspendedAt = record ? new Map() : null;
  }

  /** Resolves with the time (nowMs) at which instance `seq` finished durably. */
  whenFinished(seq: number): Promise<number> {
    const at = this.finishedAt?.get(seq);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve) => this.finishWaiters.set(seq, { resolve }));
  }

  /** Resolves with the time (nowMs) at which instance `seq` next hibernated durably. */
  whenSuspended(seq: number): Promise<number> {
    const at = this.suspendedAt?.get(seq);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve) => this.suspendWaiters.set(seq, { resolve }));
  }

  /** Resolves with the time (nowMs) at which the count of finishes (or suspends) reached `n`. */
  whenCount(kind: "finished" | "suspended", n: number): Promise<number> {
    if (this[kind] >= n) return Promise.resolve(nowMs());
    return new Promise((resolve) => this.countWaiters.push({ n, kind, resolve }));
  }

  onFinished(seq: number, result: FinishResult): void {
    const at = nowMs();
    this.finished += 1;
    if (result.status === "complete") this.completed += 1;
    this.finishedAt?.set(seq, at);
    const waiter = this.finishWaiters.get(seq);
    if (waiter) {
      this.finishWaiters.delete(seq);
      waiter.resolve(at);
    }
    this.checkCounts(at);
  }

  onSuspended(seq: number): void {
    const at = nowMs();
    this.suspended += 1;
    this.suspendedAt?.set(seq, at);
    const waiter = this.suspendWaiters.get(seq);
    if (waiter) {
      this.suspendWaiters.delete(seq);
      waiter.resolve(at);
    }
    this.checkCounts(at);
  }

  private checkCounts(at: number): void {
    if (this.countWaiters.length === 0) return;
    const still: typeof this.countWaiters = [];
    for (const w of this.countWaiters) {
      if (this[w.kind] >= w.n) w.resolve(at);
      else still.push(w);
    }
    this.countWaiters = still;
  }

  /** Forgets recorded times (between phases of a workload). */
  reset(): void {
    this.finishedAt?.clear();
    this.suspendedAt?.clear();
    for (const key of Object.keys(this.ops)) delete this.ops[key];
  }
}

/** A Store that forwards every call to `inner` and reports to `watch`. */
/** `skipStepWrites`: answer recordStep at once without writing (the W1-engine bound only). */
export function watchStore(inner: Store, watch: StoreWatch, skipStepWrites = false): Store {
  const wrappers = new Map<string, (...args: unknown[]) => unknown>();
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function" || typeof prop !== "string") return value;
      const cached = wrappers.get(prop);
      if (cached) return cached;
      const wrapper = (...args: unknown[]) => {
        watch.ops[prop] = (watch.ops[prop] ?? 0) + 1;
        if (skipStepWrites && prop === "recordStep") return Promise.resolve();
        const result = value.apply(target, args);
        if (prop === "finish") {
          const fence = args[0] as Fence;
          const outcome = args[1] as FinishResult;
          return (result as Promise<void>).then((r) => {
            watch.onFinished(fence.seq, outcome);
            return r;
          });
        }
        if (prop === "suspend") {
          const fence = args[0] as Fence;
          return (result as Promise<void>).then((r) => {
            watch.onSuspended(fence.seq);
            return r;
          });
        }
        if (prop === "createInstances") {
          return (result as Promise<CreateResult[]>).then((r) => {
            watch.lastCreated = r;
            return r;
          });
        }
        return result;
      };
      wrappers.set(prop, wrapper);
      return wrapper;
    },
  });
}
