// W3 long: one instance with 10,000 sequential steps. Shows the cost of one step when nothing
// else runs (each step waits for its own durable commit, so compare with single-row commits/s),
// and whether that cost grows with the instance's history: the last 1,000 steps should run as
// fast as the first 1,000.

import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "../src/index.js";
import { type BenchOptions, openBench, stepValue, type Workload, within } from "./lib/harness.js";
import { nowMs, perSecond } from "./lib/stats.js";

/** `done[i + 1]` is when step i's result came back (durable); `done[0]` when the run began. */
let done: number[] = [];

class Long extends WorkflowEntrypoint<unknown, { steps: number }> {
  async run(event: WorkflowEvent<{ steps: number }>, step: WorkflowStep) {
    done = [nowMs()];
    for (let i = 0; i < event.payload.steps; i++) {
      await step.do(`step ${i}`, async () => stepValue(i));
      done.push(nowMs());
    }
    return { steps: event.payload.steps };
  }
}

export const workload: Workload = {
  id: "W3",
  title: "long",
  async run(options: BenchOptions) {
    const steps = options.quick ? 2000 : 10_000;
    const window = Math.min(1000, steps / 10);
    const bench = await openBench(options, {
      LONG: { name: "long", class: Long, limits: { steps: steps + 10 } },
    });
    try {
      const { cairn, watch } = bench;
      // A shorter instance first, so that the first measured window is not the JIT's warm-up
      // (1,000 steps were not enough: the measured instance's first window still ran about 10 %
      // slower than its later ones).
      const warmup = Math.round((steps * 3) / 10);
      await cairn.env.LONG.create({ id: "w3-warmup", params: { steps: warmup } });
      const warm = watch.lastCreated[0];
      if (!warm?.created) throw new Error("create did not create");
      await within(watch.whenFinished(warm.seq), 120_000, "the warm-up instance to complete");
      watch.reset();
      const start = nowMs();
      await cairn.env.LONG.create({ id: "w3", params: { steps } });
      const seq = watch.lastCreated[0];
      if (!seq?.created) throw new Error("create did not create");
      const end = await within(
        watch.whenFinished(seq.seq),
        600_000,
        "the long instance to complete",
        () => `${done.length - 1} steps done`,
      );
      if (done.length !== steps + 1) throw new Error(`expected ${steps} steps, saw ${done.length - 1}`);
      const first = done[window]! - done[0]!;
      const last = done[steps]! - done[steps - window]!;
      const firstRate = perSecond(window, first);
      const lastRate = perSecond(window, last);
      return {
        metrics: {
          steps,
          totalMs: end - start,
          stepsPerSecond: perSecond(steps, end - start),
          firstWindowStepsPerSecond: firstRate,
          lastWindowStepsPerSecond: lastRate,
          lastOverFirst: lastRate / firstRate,
          msPerStep: (done[steps]! - done[0]!) / steps,
        },
        notes: [
          `one instance, ${steps} sequential steps, after a ${warmup}-step warm-up instance; windows of ${window} steps at the start and end`,
        ],
        ops: { ...watch.ops },
      };
    } finally {
      await bench.close();
    }
  },
};
