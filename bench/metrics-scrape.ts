// metrics-scrape: what one scrape of `cairn.metrics()` costs with 10,000 instances in the store,
// all waiting (hibernated in a waitForEvent, status `waiting`) after running one step each: the
// store-wide counts are read, every metric is rendered. Scrapes run one after another on an
// otherwise idle process; the figures are the wall time of each and the main thread's CPU time.

import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "../src/index.js";
import { type BenchOptions, openBench, type Workload, within } from "./lib/harness.js";
import { nowMs, summarize } from "./lib/stats.js";

const SCRAPES = 200;

class Waits extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    await step.do("prepare", async () => 1);
    await step.waitForEvent("go", { type: "go", timeout: "1 day" });
  }
}

export const workload: Workload = {
  id: "metrics-scrape",
  title: "one metrics scrape with 10,000 waiting instances",
  async run(options: BenchOptions) {
    const instances = options.quick ? 2_000 : 10_000;
    const bench = await openBench(
      options,
      { WAITS: { name: "waits", class: Waits } },
      { record: false, engine: { hibernateAfterMs: 0 } },
    );
    try {
      const { cairn, watch } = bench;
      for (let b = 0; b < instances / 100; b++) {
        await cairn.env.WAITS.createBatch(
          Array.from({ length: 100 }, (_, i) => ({ id: `m-${b * 100 + i}` })),
        );
      }
      await within(watch.whenCount("suspended", instances), 300_000, `${instances} instances to wait`, () => {
        return `${watch.suspended} waiting`;
      });
      let text = "";
      for (let i = 0; i < 10; i++) text = await cairn.metrics();
      if (!text.includes(`cairn_instances{workflow="waits",status="waiting"} ${instances}`)) {
        throw new Error(`the scrape does not show ${instances} waiting instances`);
      }
      const wall: number[] = [];
      const cpuStart = process.cpuUsage();
      for (let i = 0; i < SCRAPES; i++) {
        const start = nowMs();
        await cairn.metrics();
        wall.push(nowMs() - start);
      }
      const cpu = process.cpuUsage(cpuStart);
      const s = summarize(wall);
      return {
        metrics: {
          instances,
          scrapeP50Ms: s.p50,
          scrapeP99Ms: s.p99,
          scrapeMaxMs: s.max,
          scrapeCpuMs: (cpu.user + cpu.system) / 1000 / SCRAPES,
          bytes: Buffer.byteLength(text),
        },
        notes: [
          `${instances} instances waiting (hibernated in a waitForEvent) in the store; ${SCRAPES} scrapes of cairn.metrics() one after another; CPU is the process's user + system time per scrape`,
        ],
      };
    } finally {
      await bench.close();
    }
  },
};
