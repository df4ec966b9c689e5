// The metric families the engine observer feeds, registered on one Cairn's registry. Labels
// are the workflow's name and an outcome, both bounded; never an instance id or a step name.

import { Counter, Histogram, type Registry } from "prom-client";
import { ATTEMPT_SECONDS, EVENT_DELIVERY_SECONDS, LATENESS_SECONDS } from "./buckets.js";
import { StepHistogram } from "./step-histogram.js";

/** The metric families the observer feeds, registered on one registry. */
export type EngineFamilies = ReturnType<typeof engineFamilies>;

export function engineFamilies(registry: Registry) {
  const registers = [registry];
  const attemptSeconds = new StepHistogram({
    name: "cairn_step_attempt_duration_seconds",
    help: "How long an attempt's callback ran, by outcome.",
    labelNames: ["workflow", "outcome"],
    buckets: ATTEMPT_SECONDS,
    registers,
  });
  return {
    created: new Counter({
      name: "cairn_instances_created_total",
      help: "Instances created by this process (binding, API, cron).",
      labelNames: ["workflow"],
      registers,
    }),
    started: new Counter({
      name: "cairn_instances_started_total",
      help: "Runs from the top begun in this process (an instance's first run, or its first after a restart).",
      labelNames: ["workflow"],
      registers,
    }),
    finished: new Counter({
      name: "cairn_instances_finished_total",
      help: "Instances this process wrote as finished, by outcome (complete, errored, terminated).",
      labelNames: ["workflow", "outcome"],
      registers,
    }),
    // Attempts are counted from the duration histogram's series when scraped: the step path
    // pays one observation, not an observation and a counter increment.
    attempts: new Counter({
      name: "cairn_step_attempts_total",
      help: "Attempts of step.do callbacks and rollback handlers run in this process, by outcome (success, failure, timeout).",
      labelNames: ["workflow", "outcome"],
      registers,
      collect() {
        this.reset();
        for (const series of attemptSeconds.all()) this.inc(series.labels, series.count);
      },
    }),
    attemptSeconds,
    retries: new Counter({
      name: "cairn_step_retries_total",
      help: "Failed attempts after which another attempt was scheduled.",
      labelNames: ["workflow"],
      registers,
    }),
    lateness: new Histogram({
      name: "cairn_sleep_wake_lateness_seconds",
      help: "How long after its wake-up time a sleep resumed in this process.",
      labelNames: ["workflow"],
      buckets: LATENESS_SECONDS,
      registers,
    }),
    delivery: new Histogram({
      name: "cairn_event_delivery_seconds",
      help: "From an event's send to the waitForEvent that took it, in this process.",
      labelNames: ["workflow"],
      buckets: EVENT_DELIVERY_SECONDS,
      registers,
    }),
    takeovers: new Counter({
      name: "cairn_lease_takeovers_total",
      help: "Instances this process took over from a holder that stopped mid-run (its lease expired or was released).",
      labelNames: ["workflow"],
      registers,
    }),
  };
}
