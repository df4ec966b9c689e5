// W1-engine: W1's workload with every step record answered at once and never written (creates,
// claims and finishes are real). Not a figure of Cairn: a bound that shows how fast the engine's
// own step path runs on the event loop, so that W1 can be read against it. The gap between the
// two is what journal writes cost the event loop (posting them, settling their commits).

import { type BenchOptions, openBench, type Workload, within } from "./lib/harness.js";
import { nowMs, perSecond } from "./lib/stats.js";
import { FanOut, STEPS } from "./w1-fan-out.js";

export const workload: Workload = {
  id: "W1-engine",
  title: "fan-out without journal writes (bound)",
  async run(options: BenchOptions) {
    const instances = options.quick ? 200 : 1000;
    const bench = await openBench(
      options,
      { FAN_OUT: { name: "fan-out", class: FanOut } },
      { skipStepWrites: true },
    );
    try {
      const { cairn, watch } = bench;
      const loop = performance.eventLoopUtilization();
      const start = nowMs();
      for (let b = 0; b < instances / 100; b++) {
        const batch = Array.from({ length: 100 }, (_, i) => ({ id: `w1e-${b * 100 + i}` }));
        await cairn.env.FAN_OUT.createBatch(batch);
      }
      const end = await within(
        watch.whenCount("finished", instances),
        300_000,
        `${instances} instances to complete`,
      );
      if (watch.completed !== instances) throw new Error(`only ${watch.completed} of ${instances} completed`);
      const totalMs = end - start;
      const busy = performance.eventLoopUtilization(loop).utilization * 100;
      return {
        metrics: {
          instances,
          steps: instances * STEPS,
          totalMs,
          stepsPerSecond: perSecond(instances * STEPS, totalMs),
          eventLoopBusyPercent: busy,
        },
        notes: [
          `W1's ${instances} instances × ${STEPS} steps with every recordStep answered at once and not written (a bound, not durable); the event loop was busy ${Math.round(busy)} % of the time`,
        ],
        ops: { ...watch.ops },
      };
    } finally {
      await bench.close();
    }
  },
};
