// The gauge of running instances that make no progress (see src/engine/stall.ts), read from this
// process's live instances when metrics are scraped: the engine keeps one number per instance
// (the clock time of its last journal write), so nothing is counted on the step path.

import { Gauge, type Registry } from "prom-client";

/** What the gauge reads. */
export type StallSource = {
  workflows: readonly { name: string }[];
  /** How many of this process's running instances of `workflow` are stalled now. */
  stalled(workflow: string): number;
};

export function stallGauge(registry: Registry, source: StallSource): void {
  const names = source.workflows.map((w) => w.name);
  new Gauge({
    name: "cairn_instances_stalled",
    help: "Instances running in this process with no journal write for 5 minutes and nothing the engine waits for.",
    labelNames: ["workflow"],
    registers: [registry],
    collect() {
      for (const name of names) this.set({ workflow: name }, source.stalled(name));
    },
  });
}
