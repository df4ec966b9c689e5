// W5 idle: 100,000 instances waiting in waitForEvent. Shows what an idle instance costs: the
// process's memory once all are waiting (a waiting instance should hibernate and hold nothing),
// then how fast they all complete once an event reaches each. The bench keeps no per-instance
// data of its own (ids are derived from a counter) so that the memory figure is the engine's.

import {
  WorkflowEntrypoint,
  type WorkflowEvent,
  WorkflowInstanceHandle,
  type WorkflowStep,
} from "../src/index.js";
import { type BenchOptions, openBench, type Workload, within } from "./lib/harness.js";
import { nowMs, perSecond } from "./lib/stats.js";

class Waiter extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    const event = await step.waitForEvent<{ n: number }>("go", { type: "go" });
    return event.payload.n;
  }
}

/** How many sendEvent calls are in flight at once. */
const SEND_WINDOW = 1000;

const mb = (bytes: number) => bytes / (1024 * 1024);

function memory(): { rssMb: number; heapUsedMb: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed) };
}

export const workload: Workload = {
  id: "W5",
  title: "idle",
  async run(options: BenchOptions) {
    const instances = options.quick ? Math.min(options.w5Instances, 2000) : options.w5Instances;
    const bench = await openBench(options, { WAITER: { name: "waiter", class: Waiter } }, { record: false });
    try {
      const { cairn, watch } = bench;
      const before = memory();
      const start = nowMs();
      for (let b = 0; b < instances; b += 100) {
        const n = Math.min(100, instances - b);
        await cairn.env.WAITER.createBatch(Array.from({ length: n }, (_, i) => ({ id: `w5-${b + i}` })));
      }
      const created = nowMs();
      const counts = () => cairn.engine.store.countByStatus("waiter");
      let waiting = 0;
      await within(
        (async () => {
          for (;;) {
            waiting = (await counts()).waiting ?? 0;
            if (waiting >= instances) return;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        })(),
        1_800_000,
        `${instances} instances to be waiting`,
        () => `${waiting} waiting`,
      );
      const parked = nowMs();
      const idle = memory();
      watch.reset();
      const sendStart = nowMs();
      let next = 0;
      const sender = async () => {
        while (next < instances) {
          const i = next++;
          await new WorkflowInstanceHandle(cairn.engine, "waiter", `w5-${i}`).sendEvent({
            type: "go",
            payload: { n: i },
          });
        }
      };
      await Promise.all(Array.from({ length: Math.min(SEND_WINDOW, instances) }, sender));
      const sent = nowMs();
      const end = await within(
        watch.whenCount("finished", instances),
        1_800_000,
        `${instances} instances to complete after their event`,
        () => `${watch.finished} finished`,
      );
      if (watch.completed !== instances) throw new Error(`only ${watch.completed} of ${instances} completed`);
      return {
        metrics: {
          instances,
          rssBeforeMb: before.rssMb,
          rssWaitingMb: idle.rssMb,
          heapUsedWaitingMb: idle.heapUsedMb,
          createMs: created - start,
          allWaitingMs: parked - start,
          sendMs: sent - sendStart,
          eventsToCompleteMs: end - sendStart,
          completionsPerSecond: perSecond(instances, end - sendStart),
        },
        notes: [
          `${instances} instances created with createBatch (100 per call) and left in waitForEvent; memory read after two forced GCs once countByStatus showed all waiting`,
          `then sendEvent to each (${SEND_WINDOW} calls in flight); completions/s from the first sendEvent to the last durable finish`,
        ],
        ops: { ...watch.ops },
      };
    } finally {
      await bench.close();
    }
  },
};
