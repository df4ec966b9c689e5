// One workflow's metric children, bound to its label values once. It is the RunObserver of every
// run of that workflow, and its `attempts` the AttemptObserver of every attempt: neither keeps
// state of its own, so no object is made per run or per step.

import type { Counter, Histogram } from "prom-client";
import type { AttemptEnd, AttemptObserver, RunObserver } from "../../engine/observer.js";
import { FINISHED_STATUSES, type StoredStatus } from "../../storage/types.js";
import type { EngineFamilies } from "./engine-families.js";
import type { HistogramSeries } from "./step-histogram.js";

type CounterChild = ReturnType<Counter["labels"]>;
type HistogramChild = ReturnType<Histogram["labels"]>;
type AttemptOutcome = AttemptEnd["outcome"];

const ATTEMPT_OUTCOMES: readonly AttemptOutcome[] = ["success", "failure", "timeout"];

export class WorkflowRunMetrics implements RunObserver {
  readonly created: CounterChild;
  readonly started: CounterChild;
  readonly takeovers: CounterChild;
  private readonly finished: Partial<Record<StoredStatus, CounterChild>> = {};
  private readonly attempts: AttemptObserver;
  private readonly lateness: HistogramChild;
  private readonly delivery: HistogramChild;

  constructor(f: EngineFamilies, workflow: string) {
    this.created = bindCounter(f.created, workflow);
    this.started = bindCounter(f.started, workflow);
    this.takeovers = bindCounter(f.takeovers, workflow);
    for (const status of FINISHED_STATUSES) this.finished[status] = bindCounter(f.finished, workflow, status);
    this.attempts = attemptMetrics(f, workflow);
    this.lateness = f.lateness.labels(workflow);
    this.delivery = f.delivery.labels(workflow);
  }

  /** Counts a finish when `status` is a finished one; other statuses are not counted here. */
  finishedAs(status: StoredStatus): void {
    this.finished[status]?.inc();
  }

  attempt(): AttemptObserver {
    return this.attempts;
  }

  woke(_name: string, wakeAt: number, at: number): void {
    this.lateness.observe(Math.max(0, at - wakeAt) / 1000);
  }

  received(_name: string, _type: string, sentAt: number, at: number): void {
    this.delivery.observe(Math.max(0, at - sentAt) / 1000);
  }
}

/** Records every attempt of the workflow's steps: its duration by outcome (which also counts it) and the retries to follow. */
function attemptMetrics(f: EngineFamilies, workflow: string): AttemptObserver {
  // Binding every outcome's series now shows them (and their attempt counts) as 0 from the first scrape.
  const seconds = {} as Record<AttemptOutcome, HistogramSeries>;
  for (const outcome of ATTEMPT_OUTCOMES) seconds[outcome] = f.attemptSeconds.labels(workflow, outcome);
  const retries = bindCounter(f.retries, workflow);
  return {
    ended(end) {
      seconds[end.outcome].observe(end.durationMs / 1000);
      if (end.outcome !== "success" && end.retryDelayMs !== null) retries.inc();
    },
  };
}

/** A counter's child for these label values, shown as 0 from the first scrape. */
function bindCounter(counter: Counter, ...values: string[]): CounterChild {
  const child = counter.labels(...values);
  child.inc(0);
  return child;
}
