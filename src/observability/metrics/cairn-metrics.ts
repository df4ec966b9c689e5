// One Cairn's metrics: its own prom-client registry (never the global default one, so that two
// Cairns in one process keep apart), the engine observer that feeds it, the store's hooks, the
// gauges read at scrape time, and the exposition text with the process's Node.js metrics.

import { Registry } from "prom-client";
import type { EngineObserver } from "../../engine/observer.js";
import { EngineMetrics } from "./engine-metrics.js";
import { processRegistry } from "./process-metrics.js";
import { type StallSource, stallGauge } from "./stall-gauge.js";
import { type StateSource, stateGauges } from "./state-gauges.js";
import { observeStore } from "./store-metrics.js";

/** The content type of the exposition text (Prometheus text format 0.0.4). */
export const METRICS_CONTENT_TYPE: string = Registry.PROMETHEUS_CONTENT_TYPE;

export class CairnMetrics {
  readonly registry = new Registry();
  /** What the engine reports to; pass it among the engine's observers. */
  readonly observer: EngineObserver;
  private readonly process = processRegistry();

  constructor(workflows: readonly string[]) {
    this.observer = new EngineMetrics(this.registry, workflows);
  }

  /** Starts the store's hooks and the gauges read at scrape time; once the engine exists. */
  attach(source: StateSource & StallSource): void {
    observeStore(this.registry, source.store);
    stateGauges(this.registry, source);
    stallGauge(this.registry, source);
  }

  /** The exposition text: this Cairn's metrics, then the process's. */
  async text(): Promise<string> {
    const [own, process] = await Promise.all([this.registry.metrics(), this.process.metrics()]);
    return `${own}\n${process}`;
  }
}
