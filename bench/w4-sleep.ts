// W4 sleep: 1,000 instances each doing step, sleep("1 second"), step. Shows how late sleepers
// wake when many are due at about the same time: lateness is when the step after the sleep
// starts minus the wake time the sleep journaled (its SLEEP_START log entry).

import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "../src/index.js";
import { type BenchOptions, openBench, type Workload, within } from "./lib/harness.js";
import { epochMs, nowMs, summarize } from "./lib/stats.js";

/** Instance id → when the step after the sleep started (ms since the epoch, sub-ms). */
const resumedAt = new Map<string, number>();

class Sleeper extends WorkflowEntrypoint {
  async run(event: WorkflowEvent<unknown>, step: WorkflowStep) {
    await step.do("before", async () => 1);
    await step.sleep("nap", "1 second");
    await step.do("after", async () => {
      if (!resumedAt.has(event.instanceId)) resumedAt.set(event.instanceId, epochMs());
      return 2;
    });
    return "done";
  }
}

export const workload: Workload = {
  id: "W4",
  title: "sleep",
  async run(options: BenchOptions) {
    const instances = options.quick ? 200 : 1000;
    const bench = await openBench(options, { SLEEPER: { name: "sleeper", class: Sleeper } });
    try {
      const { cairn, watch } = bench;
      const start = nowMs();
      for (let b = 0; b < instances / 100; b++) {
        const batch = Array.from({ length: 100 }, (_, i) => ({ id: `w4-${b * 100 + i}` }));
        await cairn.env.SLEEPER.createBatch(batch);
      }
      const end = await within(
        watch.whenCount("finished", instances),
        300_000,
        `${instances} sleepers to complete`,
        () => `${watch.finished} finished`,
      );
      const ops = { ...watch.ops };
      const lateness: number[] = [];
      for (let i = 0; i < instances; i++) {
        const id = `w4-${i}`;
        const log = await cairn.engine.readLog("sleeper", id);
        const wakeAt = log.find((e) => e.type === "SLEEP_START")?.data?.wakeAt;
        const resumed = resumedAt.get(id);
        if (typeof wakeAt !== "number" || resumed === undefined) throw new Error(`no wake data for ${id}`);
        lateness.push(resumed - wakeAt);
      }
      const s = summarize(lateness);
      return {
        metrics: {
          instances,
          totalMs: end - start,
          latenessP50Ms: s.p50,
          latenessP99Ms: s.p99,
          latenessMaxMs: s.max,
        },
        notes: [
          `${instances} instances: step, sleep 1 s, step; lateness = start of the step after the sleep − journaled wake time (ms resolution on the wake time)`,
        ],
        ops,
      };
    } finally {
      await bench.close();
    }
  },
};
