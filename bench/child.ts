// Runs one workload in a process of its own, so that each starts from a clean heap (W5 reads
// the process's memory) and no timer or thread of one workload disturbs the next. Started by
// run.ts with the workload's id and the options as JSON; answers with one IPC message.

import type { BenchOptions, Workload } from "./lib/harness.js";
import { type ChildReply, MODULES } from "./lib/registry.js";
import { nowMs } from "./lib/stats.js";

async function main(): Promise<void> {
  const [id, json] = process.argv.slice(2);
  const path = id ? MODULES[id] : undefined;
  if (!path || !json) throw new Error(`usage: child.ts <${Object.keys(MODULES).join("|")}> <options json>`);
  const options = JSON.parse(json) as BenchOptions;
  const { workload } = (await import(path)) as { workload: Workload };
  const start = nowMs();
  const result = await workload.run(options);
  const reply: ChildReply = {
    ok: true,
    result: { id: workload.id, title: workload.title, durationMs: nowMs() - start, ...result },
  };
  await new Promise<void>((resolve) => process.send?.(reply, () => resolve()));
}

if (process.send) {
  // Exits as soon as the answer is out: a workload has closed its Cairn by then.
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      const reply: ChildReply = {
        ok: false,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      };
      process.send?.(reply, () => process.exit(1));
    },
  );
}
