// A worker process of the scale-out tests: opens Cairn on the shared PostgreSQL and runs
// instances; it serves nothing else. It reports engine errors to the parent and closes cleanly
// when asked (the parent may also SIGKILL it at any moment).
// Usage: node --import tsx --conditions=source worker-process.ts '<WorkerConfig as JSON>'

import { Cairn, WorkflowsError } from "cairn";
import { EffectsLog } from "./effects-log.js";
import { Mixed } from "./mixed-workflow.js";
import type { FromChild, ToChild } from "./protocol.js";

export type WorkerConfig = {
  url: string;
  schema: string;
  effectsPath: string;
  worker: number;
  incarnation: number;
  leaseMs: number;
  maxRunning: number;
  /** If set, the worker reports its peak RSS this often (an "rss" message). */
  reportRssEveryMs?: number;
};

const config = JSON.parse(process.argv[2] ?? "") as WorkerConfig;
const tell = (message: FromChild) => process.send?.(message);

const cairn = await Cairn.open({
  storage: config.url,
  postgresSchema: config.schema,
  postgresPoolSize: 6,
  workflows: { MIXED: { name: "mixed", class: Mixed } },
  env: { EFFECTS: new EffectsLog(config.effectsPath, config.worker, config.incarnation) },
  owner: `worker-${config.worker}.${config.incarnation}`,
  leaseMs: config.leaseMs,
  maxRunning: config.maxRunning,
  hibernateAfterMs: 200,
  shutdownGraceMs: 2_000,
  onError: (error, context) =>
    tell({
      type: "engine-error",
      context,
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      ...(WorkflowsError.is(error) ? { code: error.code } : {}),
    }),
});

process.on("message", (message: ToChild) => {
  if (message.type !== "close") return;
  void cairn.close().then(() => {
    tell({ type: "closed" });
    process.disconnect?.();
  });
});
tell({ type: "ready" });
if (config.reportRssEveryMs) {
  const reportRss = () => tell({ type: "rss", maxRssBytes: process.resourceUsage().maxRSS * 1024 });
  reportRss();
  setInterval(reportRss, config.reportRssEveryMs).unref();
}
