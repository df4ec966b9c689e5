// W8 inspect: what the operating tools read, on a store already holding 1,000,000 finished
// instances (W6's history): the first page of 25 with counts by status and the filter's total
// (unfiltered, and filtered by status), the next pages by cursor, and one instance with 100
// steps in full. Beside each, the store's own reads for the same answer, as the ceiling.

import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "../src/index.js";
import {
  type Bench,
  type BenchOptions,
  freshLocation,
  openBench,
  removeLocation,
  type Workload,
  within,
} from "./lib/harness.js";
import { BUILD_METHOD, buildHistory, HISTORY_WORKFLOW } from "./lib/history-store.js";
import { summarize, timeRuns } from "./lib/stats.js";

const STEPS = 100;
const PAGE = 25;

class HundredSteps extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    let total = 0;
    for (let i = 0; i < STEPS; i++) total += await step.do(`step ${i}`, async () => i);
    return total;
  }
}

export const workload: Workload = {
  id: "W8",
  title: "inspect",
  async run(options: BenchOptions) {
    const count = options.quick ? Math.min(options.w6Instances, 20_000) : options.w6Instances;
    const location = freshLocation(options, "w8");
    const workflows = { HISTORY: { name: HISTORY_WORKFLOW, class: HundredSteps } };
    let bench: Bench<typeof workflows>;
    try {
      await buildHistory(location, count, Date.now());
      bench = await openBench(options, workflows, { location });
    } catch (error) {
      await removeLocation(location).catch(() => {});
      throw error;
    }
    try {
      const { cairn, watch } = bench;
      const inspect = cairn.inspect;
      const store = cairn.engine.store;
      await cairn.env.HISTORY.create({ id: "w8-hundred" });
      const created = watch.lastCreated[0];
      if (!created?.created) throw new Error("create did not create");
      await within(watch.whenFinished(created.seq), 60_000, "the 100-step instance to complete");

      const firstPage = (status?: "errored") =>
        timeRuns(50, 5, async () => {
          const page = await inspect.instances(HISTORY_WORKFLOW, {
            limit: PAGE,
            ...(status ? { status } : {}),
          });
          if (page.instances.length !== PAGE || page.total < PAGE) throw new Error("a short first page");
        });
      const all = summarize(await firstPage());
      const errored = summarize(await firstPage("errored"));
      // 60 consecutive pages from the first page's cursor (1,500 instances deep).
      let cursor = (await inspect.instances(HISTORY_WORKFLOW, { limit: PAGE })).nextCursor;
      const next = summarize(
        await timeRuns(60, 0, async () => {
          const page = await inspect.instances(HISTORY_WORKFLOW, { limit: PAGE, cursor: cursor! });
          if (page.instances.length !== PAGE) throw new Error("a short page");
          cursor = page.nextCursor;
        }),
      );
      const detail = summarize(
        await timeRuns(200, 20, async () => {
          const d = await inspect.instance(HISTORY_WORKFLOW, "w8-hundred");
          if (d.steps.length !== STEPS) throw new Error(`${d.steps.length} steps`);
        }),
      );
      // The ceiling: the store's own reads for the same answers, without decoding or shaping.
      const storeFirstPage = summarize(
        await timeRuns(50, 5, () =>
          Promise.all([
            store.listInstances({ workflow: HISTORY_WORKFLOW, limit: PAGE }),
            store.countInstances({ workflow: HISTORY_WORKFLOW }),
            store.countByStatus(HISTORY_WORKFLOW),
          ]),
        ),
      );
      const seq = created.seq;
      const storeDetail = summarize(
        await timeRuns(200, 20, () =>
          Promise.all([
            store.getInstance(HISTORY_WORKFLOW, "w8-hundred"),
            store.loadJournal(seq),
            store.readLog(seq),
          ]),
        ),
      );
      return {
        metrics: {
          finishedInstances: count,
          firstPageP50Ms: all.p50,
          firstPageP99Ms: all.p99,
          erroredFirstPageP50Ms: errored.p50,
          erroredFirstPageP99Ms: errored.p99,
          nextPageP50Ms: next.p50,
          nextPageP99Ms: next.p99,
          instanceP50Ms: detail.p50,
          instanceP99Ms: detail.p99,
          storeFirstPageP50Ms: storeFirstPage.p50,
          storeInstanceP50Ms: storeDetail.p50,
        },
        notes: [
          `${count} finished instances (every 10th errored): ${BUILD_METHOD[options.storage]}; plus one instance of ${STEPS} steps run by the engine`,
          `pages: cairn.inspect.instances, ${PAGE} per page with counts by status and the filter's total, 50 runs after 5 warm-ups; next pages: 60 consecutive pages by cursor; instance: cairn.inspect.instance of the ${STEPS}-step instance, 200 runs after 20 warm-ups`,
          "ceiling: the store's own reads for the same answers (listInstances + countInstances + countByStatus; getInstance + loadJournal + readLog), without decoding or shaping",
        ],
      };
    } finally {
      await bench.close();
    }
  },
};
