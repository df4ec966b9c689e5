// The child process of the crash test: opens Cairn on the SQLite file (synchronous FULL, the
// default), creates the planned instances (createBatch skips those an earlier incarnation made),
// runs them, and serves the parent's IPC requests. The parent SIGKILLs it at random instants;
// the last incarnation ("last") also creates the late instances and is never killed.
// Usage: node --import tsx --conditions=source test/crash/child.ts <dbPath> <effectsPath> <incarnation> [last]

import { Cairn } from "cairn";
import { Effects } from "./effects.js";
import type { FromChild, ToChild } from "./protocol.js";
import { plannedInstances, WORKFLOWS } from "./workflows.js";

const [dbPath, effectsPath, incarnationArg, lastArg] = process.argv.slice(2);
if (!dbPath || !effectsPath || !incarnationArg || !process.send) {
  throw new Error("usage: child.ts <dbPath> <effectsPath> <incarnation> [last], started with an IPC channel");
}

function tell(message: FromChild): void {
  process.send?.(message);
}

const cairn = await Cairn.open({
  storage: `sqlite:${dbPath}`,
  workflows: WORKFLOWS,
  env: { EFFECTS: new Effects(effectsPath, Number(incarnationArg)) },
  // Sleeps of 200 ms hibernate (and wake through the scheduler); 5 ms retry delays stay in memory.
  hibernateAfterMs: 100,
  onError: (error, context) =>
    tell({
      type: "engine-error",
      context,
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    }),
});

const planned = plannedInstances().filter((p) => !p.late || lastArg === "last");
for (const binding of Object.keys(WORKFLOWS) as (keyof typeof WORKFLOWS)[]) {
  const batch = planned
    .filter((p) => p.binding === binding)
    .map((p) => ({ id: p.id, params: { seed: p.seed } }));
  await cairn.env[binding].createBatch(batch);
}

process.on("message", (message: ToChild) => {
  void handle(message);
});
tell({ type: "ready" });

async function handle(message: ToChild): Promise<void> {
  if (message.type === "send") {
    const instance = await cairn.env.COLLECTOR.get(message.id);
    try {
      await instance.sendEvent({ type: "pay", payload: { k: message.k, send: message.send } });
      tell({ type: "ack", send: message.send, outcome: "sent" });
    } catch (error) {
      // An earlier, interrupted send of k = 3 may already have finished the instance.
      if ((error as { code?: string }).code !== "instance.not_running") throw error;
      tell({ type: "ack", send: message.send, outcome: "finished" });
    }
  } else if (message.type === "status") {
    const statuses = [];
    for (const p of planned) {
      const instance = await cairn.env[p.binding].get(p.id);
      statuses.push({ id: p.id, status: await instance.status() });
    }
    tell({ type: "statuses", statuses });
  } else {
    await cairn.close();
    tell({ type: "closed" });
    process.disconnect();
  }
}
