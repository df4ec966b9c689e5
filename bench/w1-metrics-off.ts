// W1-metrics-off: W1's fan-out on a Cairn opened with `metrics: false`. Run beside W1 (the
// runner takes them one after the other), the ratio of the two is what collecting metrics costs
// the step path.

import type { BenchOptions, Workload } from "./lib/harness.js";
import { runFanOut } from "./w1-fan-out.js";

export const workload: Workload = {
  id: "W1-metrics-off",
  title: "fan-out with metrics off",
  run: (options: BenchOptions) => runFanOut(options, { metrics: false }),
};
