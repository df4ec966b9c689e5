// W7 event round trip: sendEvent to an instance that waits for it (hibernated in waitForEvent),
// until that instance completes. Shows the latency of waking a parked instance: the event's
// commit, the claim, the replay of its journal, taking the event from the inbox, the finish.

import {
  WorkflowEntrypoint,
  type WorkflowEvent,
  WorkflowInstanceHandle,
  type WorkflowStep,
} from "../src/index.js";
import { type BenchOptions, openBench, type Workload, within } from "./lib/harness.js";
import { nowMs, summarize } from "./lib/stats.js";

class Waiter extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    const event = await step.waitForEvent<number>("go", { type: "go" });
    return event.payload;
  }
}

export const workload: Workload = {
  id: "W7",
  title: "event round trip",
  async run(options: BenchOptions) {
    const runs = options.quick ? 50 : 200;
    const warmup = options.quick ? 5 : 20;
    const total = runs + warmup;
    const bench = await openBench(options, { WAITER: { name: "waiter", class: Waiter } });
    try {
      const { cairn, watch } = bench;
      const seqs: number[] = [];
      for (let b = 0; b < total; b += 100) {
        const n = Math.min(100, total - b);
        await cairn.env.WAITER.createBatch(Array.from({ length: n }, (_, i) => ({ id: `w7-${b + i}` })));
        for (const r of watch.lastCreated) if (r.created) seqs.push(r.seq);
      }
      await within(watch.whenCount("suspended", total), 120_000, `${total} instances to be waiting`);
      const samples: number[] = [];
      for (let i = 0; i < total; i++) {
        const handle = new WorkflowInstanceHandle(cairn.engine, "waiter", `w7-${i}`);
        const start = nowMs();
        await handle.sendEvent({ type: "go", payload: i });
        const end = await within(watch.whenFinished(seqs[i]!), 30_000, `instance w7-${i} to complete`);
        if (i >= warmup) samples.push(end - start);
      }
      const s = summarize(samples);
      return {
        metrics: { runs, p50Ms: s.p50, p99Ms: s.p99, maxMs: s.max, meanMs: s.mean },
        notes: [
          `${runs} round trips (after ${warmup} warm-ups), one at a time, each to a different instance hibernated in waitForEvent`,
        ],
      };
    } finally {
      await bench.close();
    }
  },
};
