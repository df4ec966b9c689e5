// The change feed's source inside one process: the engine reports what it changed (an instance
// created, a status written, a step finished, an instance deleted) and live views subscribe.
// Nothing is built for a step when nobody watches, so the step path pays one boolean test.

import type { StoredStatus } from "../storage/types.js";

/** One change to one instance, as the engine reports it. `at` is the engine clock's time. */
export type InstanceChange =
  | { type: "created"; workflow: string; id: string; status: "queued"; at: number }
  | { type: "status"; workflow: string; id: string; status: StoredStatus; at: number }
  | {
      type: "step";
      workflow: string;
      id: string;
      step: { key: string; kind: string; name: string; count: number; status: "succeeded" | "failed" };
      at: number;
    }
  | { type: "deleted"; workflow: string; id: string; at: number };

export type ChangeListener = (change: InstanceChange) => void;

/** The changes a hub hands to `publish`: everything but steps. */
export type StatusLevelChange = Exclude<InstanceChange, { type: "step" }>;

/**
 * Fans the engine's changes out to subscribers, and hands status-level changes (everything but
 * steps) to `publish`, which a store shared by several processes uses to tell the others.
 */
export class ChangeHub {
  private readonly listeners = new Set<ChangeListener>();
  private readonly publish: ((change: StatusLevelChange) => void) | null;

  constructor(publish?: (change: StatusLevelChange) => void) {
    this.publish = publish ?? null;
  }

  /** True while anyone in this process listens: the engine builds step changes only then. */
  get watching(): boolean {
    return this.listeners.size > 0;
  }

  /** Reports a change made by this process. */
  emit(change: InstanceChange): void {
    if (change.type !== "step") this.publish?.(change);
    this.deliver(change);
  }

  /** Delivers a change to this process's listeners only (one made by another process). */
  deliver(change: InstanceChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A listener's failure is its own; the engine and the other listeners go on.
      }
    }
  }

  /** Calls `listener` for every change until the returned function is called. */
  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}
