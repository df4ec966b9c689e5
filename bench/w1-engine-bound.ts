// W1-engine: W1's workload with every step record answered at once and never written (creates,
// claims and finishes are real). Not a figure of Cairn: a bound that shows how fast the engine's
// own step path runs on the event loop, so that W1 can be read against it. The gap between the
// two is what journal writes cost the event loop (posting them, settling their commits).

import type { BenchOptions, Workload } from "./lib/harness.js";
import { runFanOut } from "./w1-fan-out.js";

export const workload: Workload = {
  id: "W1-engine",
  title: "fan-out without journal writes (bound)",
  run: (options: BenchOptions) => runFanOut(options, { skipStepWrites: true }),
};
