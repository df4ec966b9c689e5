// W2 latency: 200 times in a row, create a one-step instance and wait until it is complete.
// Shows the floor of one instance's life: a create commit, a claim, the step's commit and the
// finish commit, each a round trip to the writer and an fsync. The first runs warm up the JIT
// and are not counted.

import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "../src/index.js";
import { type BenchOptions, openBench, type Workload, within } from "./lib/harness.js";
import { nowMs, summarize } from "./lib/stats.js";

class OneStep extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    return step.do("only step", async () => ({ ok: true }));
  }
}

export const workload: Workload = {
  id: "W2",
  title: "latency",
  async run(options: BenchOptions) {
    const runs = options.quick ? 50 : 200;
    const warmup = options.quick ? 5 : 20;
    const bench = await openBench(options, { ONE_STEP: { name: "one-step", class: OneStep } });
    try {
      const { cairn, watch } = bench;
      const samples: number[] = [];
      for (let i = 0; i < warmup + runs; i++) {
        const start = nowMs();
        await cairn.env.ONE_STEP.create({ id: `w2-${i}` });
        const seq = watch.lastCreated[0];
        if (!seq?.created) throw new Error("create did not create");
        const end = await within(watch.whenFinished(seq.seq), 30_000, `instance w2-${i} to complete`);
        if (i >= warmup) samples.push(end - start);
      }
      const s = summarize(samples);
      return {
        metrics: { runs, p50Ms: s.p50, p99Ms: s.p99, maxMs: s.max, meanMs: s.mean },
        notes: [`${runs} sequential create→complete runs after ${warmup} warm-up runs`],
      };
    } finally {
      await bench.close();
    }
  },
};
