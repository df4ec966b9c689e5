// Log lines for each instance's life as this process sees it, built on the engine's observer:
// created, started or resumed, each step attempt that fails (with the retry to come, or final),
// sleeps, waits for events, and the end (complete, errored, terminated, paused). Every line
// carries `workflow` and `instance`; step lines add `step` and `attempt`. The level of each kind
// of line comes from a table: `cairn dev` shows the whole story at info, `cairn start` keeps
// step-level lines at debug.

import type { AttemptEnd, AttemptStart, EngineObserver, RunObserver } from "../engine/observer.js";
import type { ErrorRecord } from "../storage/types.js";
import type { CairnLogger, LineLevel, LogFields } from "./log-types.js";

/** The kinds of lifecycle line, each written at the level its table gives. */
export type LifecycleEvent =
  | "created"
  | "started"
  | "resumed"
  | "stepSucceeded"
  | "stepRetrying"
  | "stepFailed"
  | "sleeping"
  | "woke"
  | "waiting"
  | "received"
  | "timedOut"
  | "complete"
  | "errored"
  | "terminated"
  | "paused"
  | "hibernated"
  | "stopped";

export type LifecycleLevels = Readonly<Record<LifecycleEvent, LineLevel>>;

/** `cairn dev`: the whole story at info, failures at warn; successes and hand-offs at debug. */
export const DEV_LIFECYCLE_LEVELS: LifecycleLevels = {
  created: "info",
  started: "info",
  resumed: "info",
  stepSucceeded: "debug",
  stepRetrying: "warn",
  stepFailed: "warn",
  sleeping: "info",
  woke: "info",
  waiting: "info",
  received: "info",
  timedOut: "info",
  complete: "info",
  errored: "warn",
  terminated: "info",
  paused: "info",
  hibernated: "debug",
  stopped: "debug",
};

/** `cairn start` (and a library's `logInstances`): instances begin and end at info, steps at debug, failures at warn. */
export const START_LIFECYCLE_LEVELS: LifecycleLevels = {
  ...DEV_LIFECYCLE_LEVELS,
  started: "debug",
  resumed: "debug",
  sleeping: "debug",
  woke: "debug",
  waiting: "debug",
  received: "debug",
  timedOut: "debug",
};

type Say = (event: LifecycleEvent, msg: string, fields?: LogFields) => void;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function errorFields(error: ErrorRecord): { name: string; message: string } {
  return { name: error.name, message: error.message };
}

/** Fields `logger` adds to each line: bound once through `child` when it has one. */
function bound(logger: CairnLogger, bindings: LogFields): CairnLogger {
  if (logger.child) return logger.child(bindings);
  return {
    debug: (fields, msg) => logger.debug({ ...bindings, ...fields }, msg),
    info: (fields, msg) => logger.info({ ...bindings, ...fields }, msg),
    warn: (fields, msg) => logger.warn({ ...bindings, ...fields }, msg),
    error: (fields, msg) => logger.error({ ...bindings, ...fields }, msg),
  };
}

function speaker(logger: CairnLogger, levels: LifecycleLevels): Say {
  return (event, msg, fields = {}) => logger[levels[event]](fields, msg);
}

function attemptLines(say: Say, start: AttemptStart, successes: boolean) {
  const stepOf = (): LogFields => ({
    step: start.name,
    attempt: start.attempt,
    ...(start.kind === "rollback" ? { rollback: true } : {}),
  });
  return {
    ended(end: AttemptEnd) {
      if (end.outcome === "success") {
        // Most attempts succeed: when their lines are filtered out, nothing is built for them.
        if (successes)
          say("stepSucceeded", "step succeeded", { ...stepOf(), durationMs: Math.round(end.durationMs) });
        return;
      }
      const step = stepOf();
      const failure: LogFields = {
        ...step,
        maxAttempts: start.retryLimit + 1,
        error: errorFields(end.error),
        ...(end.outcome === "timeout" ? { timedOut: true } : {}),
      };
      if (end.retryDelayMs === null) say("stepFailed", "step failed", failure);
      else say("stepRetrying", "step failed, will retry", { ...failure, retryDelayMs: end.retryDelayMs });
    },
  };
}

function runLines(say: Say, fresh: boolean, recovered: boolean, successes: boolean): RunObserver {
  if (fresh) say("started", "instance started");
  else say("resumed", "instance resumed", recovered ? { recovered: true } : {});
  return {
    attempt: (start) => attemptLines(say, start, successes),
    sleeping: (name, wakeAt) => say("sleeping", "sleeping", { step: name, until: iso(wakeAt) }),
    woke: (name) => say("woke", "woke", { step: name }),
    waiting: (name, type, deadline) =>
      say("waiting", "waiting for event", { step: name, eventType: type, deadline: iso(deadline) }),
    received: (name, type) => say("received", "event received", { step: name, eventType: type }),
    timedOut: (name, type) => say("timedOut", "event wait timed out", { step: name, eventType: type }),
    ended(reason, status, error) {
      // Terminated and paused are told by statusWritten, which also hears them when no run is live.
      if (status === "complete") say("complete", "instance complete");
      else if (status === "errored")
        say("errored", "instance errored", error ? { error: errorFields(error) } : {});
      else if (reason === "hibernated") say("hibernated", "instance hibernated", { status });
      else if (status !== "terminated" && status !== "paused") say("stopped", "run stopped", { reason });
    },
  };
}

/** An observer writing each instance's life to `logger`, at the levels of `levels`. */
export function lifecycleLogObserver(logger: CairnLogger, levels: LifecycleLevels): EngineObserver {
  const forInstance = (workflow: string, instance: string) =>
    speaker(bound(logger, { workflow, instance }), levels);
  // Levels are fixed for the logger's life: asked once.
  const successes = logger.isLevelEnabled?.(levels.stepSucceeded) ?? true;
  return {
    created(workflow, id, trigger) {
      forInstance(workflow, id)("created", "instance created", { trigger });
    },
    statusWritten(workflow, id, status) {
      if (status === "terminated") forInstance(workflow, id)("terminated", "instance terminated");
      else if (status === "paused") forInstance(workflow, id)("paused", "instance paused");
    },
    run({ instance, fresh, recovered }) {
      return runLines(forInstance(instance.workflow, instance.id), fresh, recovered, successes);
    },
  };
}
