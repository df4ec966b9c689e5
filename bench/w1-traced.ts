// W1-traced: W1's workload with an OpenTelemetry SDK registered (every span sampled, batched to
// an exporter that drops them). Run next to W1, it shows what tracing costs a busy process; W1
// itself runs with no SDK, where Cairn's tracing makes no spans.

import type { BenchOptions, Workload } from "./lib/harness.js";
import { runFanOut } from "./w1-fan-out.js";

export const workload: Workload = {
  id: "W1-traced",
  title: "fan-out with OpenTelemetry tracing",
  run: (options: BenchOptions) => runFanOut(options, { traced: true }),
};
