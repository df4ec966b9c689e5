// W6 history: a store already holding 1,000,000 finished instances. Shows that a big history
// does not slow the live path or the reads: create-to-complete of one more instance, status()
// of an old one, the first page of the instance list (all, and filtered by status), file size.

import {
  WorkflowEntrypoint,
  type WorkflowEvent,
  WorkflowInstanceHandle,
  type WorkflowStep,
} from "../src/index.js";
import type { ListQuery } from "../src/storage/types.js";
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
import { nowMs, summarize, timeRuns } from "./lib/stats.js";

class OneStep extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    return step.do("only step", async () => ({ ok: true }));
  }
}

const PAGE = 50;

export const workload: Workload = {
  id: "W6",
  title: "history",
  async run(options: BenchOptions) {
    const count = options.quick ? Math.min(options.w6Instances, 20_000) : options.w6Instances;
    const location = freshLocation(options, "w6");
    const buildStart = nowMs();
    const workflows = { HISTORY: { name: HISTORY_WORKFLOW, class: OneStep } };
    let bench: Bench<typeof workflows>;
    let buildMs: number;
    try {
      await buildHistory(location, count, Date.now());
      buildMs = nowMs() - buildStart;
      bench = await openBench(options, workflows, { location });
    } catch (error) {
      await removeLocation(location).catch(() => {});
      throw error;
    }
    try {
      const { cairn, watch } = bench;
      const fileMb = (await bench.storeBytes()) / (1024 * 1024);
      const create = await timeRuns(50, 5, async (i) => {
        await cairn.env.HISTORY.create({ id: `w6-new-${i}` });
        const seq = watch.lastCreated[0];
        if (!seq?.created) throw new Error("create did not create");
        await within(watch.whenFinished(seq.seq), 30_000, `instance w6-new-${i} to complete`);
      });
      // Old instances spread over the whole history, in a fixed pseudo-random order.
      const ids = Array.from({ length: 1000 }, (_, i) => `h-${1 + ((i * 7919 + 13) % count)}`);
      const handles = ids.map((id) => new WorkflowInstanceHandle(cairn.engine, HISTORY_WORKFLOW, id));
      const status = await timeRuns(1000, 100, async (i) => {
        const s = await handles[i % handles.length]!.status();
        if (s.status !== "complete" && s.status !== "errored")
          throw new Error(`unexpected status ${s.status}`);
      });
      const list = (query: Omit<ListQuery, "workflow" | "limit">) =>
        timeRuns(20, 3, async () => {
          const page = await cairn.engine.store.listInstances({
            workflow: HISTORY_WORKFLOW,
            limit: PAGE,
            ...query,
          });
          if (page.items.length !== PAGE) throw new Error(`a first page of ${page.items.length} items`);
        });
      const listAll = summarize(await list({}));
      const listErrored = summarize(await list({ status: "errored" }));
      const listComplete = summarize(await list({ status: "complete" }));
      const c = summarize(create);
      const s = summarize(status);
      return {
        metrics: {
          finishedInstances: count,
          buildMs,
          fileMb,
          createToCompleteP50Ms: c.p50,
          createToCompleteP99Ms: c.p99,
          statusP50Ms: s.p50,
          statusP99Ms: s.p99,
          listFirstPageP50Ms: listAll.p50,
          listErroredFirstPageP50Ms: listErrored.p50,
          listCompleteFirstPageP50Ms: listComplete.p50,
        },
        notes: [
          `${count} finished instances (every 10th errored), each with one journal record and seven log entries: ${BUILD_METHOD[options.storage]}`,
          `create→complete: 50 runs after 5 warm-ups; status(): 1,000 calls on old instances through a WorkflowInstanceHandle; lists: store.listInstances, ${PAGE} per page, newest first, 20 runs each after 3 warm-ups`,
        ],
      };
    } finally {
      await bench.close();
    }
  },
};
