// The engine's per-process counters and histograms, fed by the engine observer: instances
// created, started and finished, step attempts with their duration, retries, sleep lateness,
// event delivery and lease takeovers. Labels are the workflow's name and an outcome, both
// bounded; never an instance id or a step name. Each workflow's label children are bound once
// (WorkflowRunMetrics), so a step pays a counter increment and a histogram observation.

import type { Registry } from "prom-client";
import type { EngineObserver, RunObserver, RunStart } from "../../engine/observer.js";
import type { StoredStatus } from "../../storage/types.js";
import { type EngineFamilies, engineFamilies } from "./engine-families.js";
import { WorkflowRunMetrics } from "./workflow-run-metrics.js";

/** Feeds the engine metrics; pass it to the engine as one of its observers. */
export class EngineMetrics implements EngineObserver {
  private readonly families: EngineFamilies;
  private readonly byWorkflow = new Map<string, WorkflowRunMetrics>();

  constructor(registry: Registry, workflows: readonly string[]) {
    this.families = engineFamilies(registry);
    // Known workflows show zeros from the first scrape, so rates need no first event.
    for (const workflow of workflows) this.of(workflow);
  }

  created(workflow: string): void {
    this.of(workflow).created.inc();
  }

  statusWritten(workflow: string, _id: string, status: StoredStatus): void {
    this.of(workflow).finishedAs(status);
  }

  run(start: RunStart): RunObserver {
    const metrics = this.of(start.instance.workflow);
    if (start.fresh) metrics.started.inc();
    if (start.recovered) metrics.takeovers.inc();
    return metrics;
  }

  /** The workflow's bound children, made at its first use. */
  private of(workflow: string): WorkflowRunMetrics {
    let metrics = this.byWorkflow.get(workflow);
    if (!metrics) {
      metrics = new WorkflowRunMetrics(this.families, workflow);
      this.byWorkflow.set(workflow, metrics);
    }
    return metrics;
  }
}
