// Combines the observers given to one engine into the one it calls: none (undefined, so the step
// path pays a property read), the only one as is, or a fan-out that asks each in turn.

import type { EngineObserver, RunObserver } from "./observer.js";

/** One observer standing for all of `observers`, or undefined when there are none. */
export function combineObservers(observers: readonly EngineObserver[]): EngineObserver | undefined {
  if (observers.length === 0) return undefined;
  if (observers.length === 1) return observers[0];
  return {
    created(workflow, id, trigger) {
      for (const o of observers) o.created?.(workflow, id, trigger);
    },
    statusWritten(workflow, id, status) {
      for (const o of observers) o.statusWritten?.(workflow, id, status);
    },
    run(start) {
      const runs: RunObserver[] = [];
      for (const o of observers) {
        const run = o.run?.(start);
        if (run) runs.push(run);
      }
      return combineRuns(runs);
    },
  };
}

function combineRuns(runs: RunObserver[]): RunObserver | undefined {
  if (runs.length <= 1) return runs[0];
  // Each wrapper calls the next one's inside its own context: the first observer's is outermost.
  const nest = <T>(wrappers: ((fn: () => T) => T)[], fn: () => T): T =>
    wrappers.reduceRight<() => T>((inner, wrap) => () => wrap(inner), fn)();
  return {
    enter(fn) {
      const wrappers = runs.filter((r) => r.enter).map((r) => (inner: () => any) => r.enter!(inner));
      return nest(wrappers, fn);
    },
    attempt(start) {
      const attempts = runs.map((r) => r.attempt?.(start)).filter((a) => a !== undefined);
      if (attempts.length <= 1) return attempts[0];
      return {
        run(fn) {
          const wrappers = attempts.filter((a) => a.run).map((a) => (inner: () => any) => a.run!(inner));
          return nest(wrappers, fn);
        },
        ended(end) {
          for (const a of attempts) a.ended(end);
        },
      };
    },
    sleeping(name, wakeAt) {
      for (const r of runs) r.sleeping?.(name, wakeAt);
    },
    woke(name, wakeAt, at) {
      for (const r of runs) r.woke?.(name, wakeAt, at);
    },
    waiting(name, type, deadline) {
      for (const r of runs) r.waiting?.(name, type, deadline);
    },
    received(name, type, sentAt, at) {
      for (const r of runs) r.received?.(name, type, sentAt, at);
    },
    timedOut(name, type) {
      for (const r of runs) r.timedOut?.(name, type);
    },
    ended(reason, status, error) {
      for (const r of runs) r.ended?.(reason, status, error);
    },
  };
}
