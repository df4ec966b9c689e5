// The names of what Cairn's traces hold: spans, span events and attributes. One place, so that
// the docs' table and dashboards built on them have a single list to agree with.

/** The span of one run (activation) of an instance; the workflow's name follows. */
export const RUN_SPAN = "workflow.run";
/** The span of one attempt of a `step.do` callback; the step's name follows. */
export const STEP_SPAN = "workflow.step";
/** The span of one attempt of a rollback handler; the step's name follows. */
export const ROLLBACK_SPAN = "workflow.rollback";

/** Events on a run span. */
export const EVENTS = {
  sleepStarted: "workflow.sleep.started",
  sleepWoke: "workflow.sleep.woke",
  waitStarted: "workflow.wait.started",
  waitReceived: "workflow.wait.received",
  waitTimedOut: "workflow.wait.timed_out",
} as const;

/** Attribute keys, all under `cairn.`. */
export const ATTR = {
  workflow: "cairn.workflow.name",
  instanceId: "cairn.instance.id",
  /** The instance's first run (true) or one resumed from its journal (false). */
  fresh: "cairn.run.fresh",
  /** The run took over an instance whose previous process stopped mid-run. */
  recovered: "cairn.run.recovered",
  /** Why the run stopped: finished, hibernated, paused, abandoned, drained, released. */
  endReason: "cairn.run.end_reason",
  /** The status the run's last write gave the instance. */
  status: "cairn.instance.status",
  stepName: "cairn.step.name",
  /** "do" or "rollback". */
  stepKind: "cairn.step.kind",
  /** The step's occurrence among steps of that name in the run, from 1. */
  stepCount: "cairn.step.count",
  /** The attempt's number, from 1. */
  attempt: "cairn.step.attempt",
  /** success, failure or timeout. */
  outcome: "cairn.step.outcome",
  /** The delay before the next attempt; absent when none follows. */
  retryDelayMs: "cairn.step.retry_delay_ms",
  /** When a sleep ends (ISO 8601). */
  wakeAt: "cairn.sleep.wake_at",
  /** How long after its wake time a sleep resumed. */
  latenessMs: "cairn.sleep.lateness_ms",
  eventType: "cairn.event.type",
  /** When a waitForEvent gives up (ISO 8601). */
  deadline: "cairn.wait.deadline",
  /** How long the event waited between its sending and its receipt. */
  latencyMs: "cairn.event.latency_ms",
} as const;
