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

/**
 * An observer given by the user, made safe for the engine: a method that throws is reported to
 * `report` and the engine goes on as if it had not been there (a wrapper that throws before
 * calling the code it wraps is skipped; the code's own throw still goes to the engine).
 */
export function guardObserver(
  observer: EngineObserver,
  report: (error: unknown, context: string) => void,
): EngineObserver {
  const call = <R>(what: string, fn: () => R): R | undefined => {
    try {
      return fn();
    } catch (error) {
      report(error, `observer ${what}`);
      return undefined;
    }
  };
  const around =
    (what: string, wrap: <T>(fn: () => T) => T) =>
    <T>(fn: () => T): T => {
      let called = false;
      try {
        return wrap(() => {
          called = true;
          return fn();
        });
      } catch (error) {
        if (called) throw error;
        report(error, `observer ${what}`);
        return fn();
      }
    };
  const guardRun = (run: RunObserver): RunObserver => ({
    ...(run.enter ? { enter: around("enter", (fn) => run.enter!(fn)) } : {}),
    attempt(start) {
      const attempt = call("attempt", () => run.attempt?.(start));
      if (!attempt) return undefined;
      return {
        ...(attempt.run ? { run: around("attempt run", (fn) => attempt.run!(fn)) } : {}),
        ended: (end) => call("attempt ended", () => attempt.ended(end)),
      };
    },
    sleeping: (name, wakeAt) => call("sleeping", () => run.sleeping?.(name, wakeAt)),
    woke: (name, wakeAt, at) => call("woke", () => run.woke?.(name, wakeAt, at)),
    waiting: (name, type, deadline) => call("waiting", () => run.waiting?.(name, type, deadline)),
    received: (name, type, sentAt, at) => call("received", () => run.received?.(name, type, sentAt, at)),
    timedOut: (name, type) => call("timedOut", () => run.timedOut?.(name, type)),
    ended: (reason, status, error) => call("ended", () => run.ended?.(reason, status, error)),
  });
  return {
    created: (workflow, id, trigger) => call("created", () => observer.created?.(workflow, id, trigger)),
    statusWritten: (workflow, id, status) =>
      call("statusWritten", () => observer.statusWritten?.(workflow, id, status)),
    run(start) {
      const run = call("run", () => observer.run?.(start));
      return run ? guardRun(run) : undefined;
    },
  };
}
