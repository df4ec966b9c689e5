// Waiting on one instance without polling in a loop: a check runs at once, then again after every
// change the engine reports about that instance (its own runs, and other processes' status
// changes on a shared store), with a slow real-time poll as a safety net for a change lost
// between processes. Also the status graph that tells when a status can no longer come.

import type { InstanceChange } from "../engine/changes.js";
import type { Engine } from "../engine/engine.js";
import type { StoredStatus } from "../storage/types.js";

/** How often a waiter looks again even without a change (real time). */
const SAFETY_POLL_MS = 250;

/** What a check found: a value to resolve with, an error to reject with, or nothing yet. */
export type Outcome<T> = { value: T } | { error: unknown } | undefined;

/** A pending waiter's way out, when its introspector is disposed. */
export type Cancel = (error: unknown) => void;

/** What a waiter looks at: the stored state (`check`), and each change as it happens (`onChange`). */
export type Watch<T> = {
  check: () => Promise<Outcome<T>>;
  /** A change of the instance, seen when it is made: catches a status that does not last. */
  onChange?: (change: InstanceChange) => Outcome<T>;
};

/**
 * Resolves (or rejects) with the first outcome the watch gives, checking at once and after each
 * change of the instance; `waiters` holds its cancel function while it waits.
 */
export function watchInstance<T>(
  engine: Engine,
  workflow: string,
  id: string,
  watch: Watch<T>,
  waiters: Set<Cancel>,
): Promise<T> {
  const { check, onChange } = watch;
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let running = false;
    let again = false;
    const finish = (outcome: NonNullable<Outcome<T>>) => {
      if (done) return;
      done = true;
      unsubscribe();
      clearInterval(timer);
      waiters.delete(cancel);
      if ("value" in outcome) resolve(outcome.value);
      else reject(outcome.error);
    };
    const run = async (): Promise<void> => {
      if (done) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          const outcome = await check();
          if (outcome) return finish(outcome);
        } while (again && !done);
      } catch (error) {
        finish({ error });
      } finally {
        running = false;
      }
    };
    const cancel: Cancel = (error) => finish({ error });
    waiters.add(cancel);
    const unsubscribe = engine.changes.subscribe((change) => {
      if (change.workflow !== workflow || change.id !== id) return;
      const outcome = onChange?.(change);
      if (outcome) finish(outcome);
      else void run();
    });
    const timer = setInterval(() => void run(), SAFETY_POLL_MS);
    timer.unref?.();
    void run();
  });
}

/**
 * Where each status can go next, restarts left out: as on Cloudflare, a finished instance is
 * taken to stay finished (a restart would queue it again, but a test that waits does not count
 * on one). `running` includes a run that terminates after its rollbacks.
 */
const NEXT: Record<StoredStatus, readonly StoredStatus[]> = {
  queued: ["running", "paused", "terminated"],
  running: ["waiting", "waitingForPause", "complete", "errored", "terminated"],
  waiting: ["running", "paused", "terminated"],
  waitingForPause: ["paused", "running", "complete", "errored", "terminated"],
  paused: ["queued", "terminated"],
  complete: [],
  errored: [],
  terminated: [],
};

/** Every status an instance can be in (what `waitForStatus` accepts). */
export const STATUSES = Object.keys(NEXT) as StoredStatus[];

/** True when an instance in status `from` can still reach status `to`. */
export function canReach(from: StoredStatus, to: StoredStatus): boolean {
  const seen = new Set<StoredStatus>([from]);
  const queue: StoredStatus[] = [from];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    if (next === to) return true;
    for (const after of NEXT[next]) {
      if (!seen.has(after)) {
        seen.add(after);
        queue.push(after);
      }
    }
  }
  return false;
}
