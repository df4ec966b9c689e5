// W1-workers: W1's fan-out (1,000 instances of 10 steps) run by 1, then 2, worker processes
// sharing one PostgreSQL schema, the instances created from a third process that runs none. Shows
// how `cairn start --workers N` scales on this machine, where the workers, the PostgreSQL server
// and the creating process share two cores. PostgreSQL only: on SQLite one process holds the file.

import { fork } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { Cairn } from "../src/index.js";
import {
  type BenchOptions,
  freshLocation,
  removeLocation,
  type Workload,
  type WorkloadResult,
} from "./lib/harness.js";
import { perSecond } from "./lib/stats.js";
import { FanOut, fanOutAndWait } from "./w1-fan-out.js";

const STEPS = 10;
const WORKER = fileURLToPath(new URL("./lib/w1-worker-process.ts", import.meta.url));

type WorkerHandle = { close(): Promise<string[]> };

function startWorker(url: string, schema: string, worker: number): Promise<WorkerHandle> {
  const child = fork(WORKER, [JSON.stringify({ url, schema, worker })], { stdio: "inherit" });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`worker ${worker} exited (${code}) before it was ready`)));
    child.once("message", () => {
      child.removeAllListeners("exit");
      resolve({
        close: () =>
          new Promise<string[]>((done) => {
            child.on("message", (m) => done((m as { errors?: string[] }).errors ?? []));
            child.send("close");
          }),
      });
    });
  });
}

/** Busy and total CPU time of the whole machine so far, over all cores (ms). */
function machineCpu(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const { user, nice, sys, irq, idle } = cpu.times;
    busy += user + nice + sys + irq;
    total += user + nice + sys + irq + idle;
  }
  return { busy, total };
}

/**
 * Runs the fan-out once with `workers` processes; answers its steps per second and how busy the
 * machine's cores were meanwhile (all processes, PostgreSQL's included).
 */
async function runWith(
  options: BenchOptions,
  workers: number,
): Promise<{ stepsPerSecond: number; machineBusyPercent: number }> {
  const instances = options.quick ? 200 : 1000;
  const location = freshLocation(options, `w1w${workers}`);
  if (location.kind !== "postgres") throw new Error("W1-workers needs PostgreSQL");
  // The creating process runs nothing; it also migrates the fresh schema before the workers open it.
  const client = await Cairn.open({
    storage: location.url,
    postgresSchema: location.schema,
    workflows: { FAN_OUT: { name: "fan-out", class: FanOut } },
    runInstances: false,
    metrics: false,
  });
  const handles: WorkerHandle[] = [];
  let result: { stepsPerSecond: number; machineBusyPercent: number };
  try {
    for (let w = 1; w <= workers; w++) handles.push(await startWorker(location.url, location.schema, w));
    const cpuBefore = machineCpu();
    const ms = await fanOutAndWait(client, instances, "w1");
    const cpuAfter = machineCpu();
    result = {
      stepsPerSecond: perSecond(instances * STEPS, ms),
      machineBusyPercent: (100 * (cpuAfter.busy - cpuBefore.busy)) / (cpuAfter.total - cpuBefore.total),
    };
  } finally {
    const errors = (await Promise.all(handles.map((h) => h.close()))).flat();
    await client.close();
    await removeLocation(location);
    if (errors.length > 0)
      console.error(`[bench] W1-workers: a worker reported ${errors.length} error(s): ${errors[0]}`);
  }
  return result;
}

export const workload: Workload = {
  id: "W1-workers",
  title: "fan-out by 1 and 2 worker processes (PostgreSQL)",
  run: async (options: BenchOptions): Promise<Omit<WorkloadResult, "id" | "title" | "durationMs">> => {
    if (options.storage !== "postgres") {
      return {
        metrics: { skipped: 1 },
        notes: ["skipped: PostgreSQL only (on SQLite one process holds the file, so there is one worker)"],
      };
    }
    const one = await runWith(options, 1);
    const two = await runWith(options, 2);
    return {
      metrics: {
        stepsPerSecond1: one.stepsPerSecond,
        stepsPerSecond2: two.stepsPerSecond,
        scaling: two.stepsPerSecond / one.stepsPerSecond,
        machineBusyPercent1: one.machineBusyPercent,
        machineBusyPercent2: two.machineBusyPercent,
      },
      notes: [
        `${options.quick ? 200 : 1000} instances × ${STEPS} steps created by createBatch (100 per call) from a process that runs none, run by 1 and then 2 worker processes on one schema each; time from the first createBatch until the creating process counts every instance complete (polling every 5 ms); the machine's cores' busy share meanwhile from os.cpus(), every process included`,
      ],
    };
  },
};
