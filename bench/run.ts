// `npm run bench`: measures Cairn on the workloads W1–W10 (docs/performance.md) and the storage's own
// ceiling, each in a child process of its own, then prints a Markdown table and writes
// bench/results/<date>-<storage>.json and .md (with -quick or -partial for smaller runs).
// Never part of `npm test`. See docs/performance.md for what each figure means.

import { fork, spawnSync } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs, type RunArgs, runSuffix, USAGE } from "./lib/args.js";
import type { BenchOptions, WorkloadResult } from "./lib/harness.js";
import { describeMachine } from "./lib/machine.js";
import { type BenchServer, benchServer, durability, URL_VARIABLE } from "./lib/postgres.js";
import type { ChildReply } from "./lib/registry.js";
import { medianResult } from "./lib/repeats.js";
import { markdown, type RunResult, updateDocs, writeResults } from "./lib/report.js";
import { nowMs, round } from "./lib/stats.js";

const CHILD = fileURLToPath(new URL("./child.ts", import.meta.url));
const RESULTS = fileURLToPath(new URL("./results/", import.meta.url));
const DOCS = fileURLToPath(new URL("../docs/performance.md", import.meta.url));
const PROFILES = fileURLToPath(new URL("./profiles/", import.meta.url));
/** A workload that takes longer than this is stopped and reported as failed. */
const CHILD_LIMIT_MS = 60 * 60_000;

const COMPILED_HOOKS = fileURLToPath(new URL("./lib/use-compiled.mjs", import.meta.url));

/** Builds dist/ with the project's build (tsc), so that the workloads run what ships. */
function build(): void {
  const t = nowMs();
  const result = spawnSync("npm", ["run", "build", "--silent"], { stdio: "inherit" });
  if (result.status !== 0) throw new Error(`npm run build failed (exit ${result.status}); try --source`);
  console.log(`built dist/ in ${round((nowMs() - t) / 1000)} s`);
}

/**
 * Runs one workload in a fresh Node process (same loader flags, plus --expose-gc for W5, plus
 * the hooks that swap src/ for dist/ unless --source).
 */
function runChild(id: string, options: BenchOptions, cpuProf: boolean): Promise<WorkloadResult> {
  const profile = cpuProf ? ["--cpu-prof", `--cpu-prof-dir=${PROFILES}${id}`] : [];
  const compiled = options.code === "compiled" ? ["--import", COMPILED_HOOKS] : [];
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [id, JSON.stringify(options)], {
      execArgv: [...process.execArgv, ...compiled, "--expose-gc", ...profile],
      stdio: "inherit",
    });
    let reply: ChildReply | undefined;
    const timer = setTimeout(() => child.kill("SIGKILL"), CHILD_LIMIT_MS);
    child.on("message", (message) => {
      reply = message as ChildReply;
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (reply?.ok) resolve(reply.result);
      else if (reply) reject(new Error(reply.error));
      else reject(new Error(`the ${id} process ended (code ${code}, signal ${signal}) without a result`));
    });
  });
}

/**
 * Runs every workload `args.repeat` times, in rounds (each workload once per round), so that a
 * slow moment of the machine falls on one run of several workloads rather than on every run of
 * one. Each workload's result is the median of its runs (bench/lib/repeats.ts); every run's own
 * result is kept in `rounds`. A run that fails is reported, and the others still count.
 */
async function runAll(
  args: RunArgs,
  options: BenchOptions,
  results: Record<string, WorkloadResult>,
  failures: Record<string, string>,
  rounds: Record<string, WorkloadResult[]>,
): Promise<void> {
  for (let round_ = 1; round_ <= args.repeat; round_++) {
    if (args.repeat > 1) console.log(`round ${round_} of ${args.repeat}`);
    for (const id of args.only) {
      const t = nowMs();
      try {
        const result = await runChild(id, options, args.cpuProf);
        rounds[id] = [...(rounds[id] ?? []), result];
        const shown = Object.entries(result.metrics)
          .map(([k, v]) => `${k}=${round(v)}`)
          .join(" ");
        console.log(`  ${id} done in ${round((nowMs() - t) / 1000)} s: ${shown}`);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const which = args.repeat > 1 ? `run ${round_} of ${args.repeat}: ` : "";
        failures[id] = failures[id] ? `${failures[id]}\n${which}${message}` : `${which}${message}`;
        console.error(`  ${id} FAILED after ${round((nowMs() - t) / 1000)} s: ${message}`);
      }
    }
  }
  for (const [id, runs] of Object.entries(rounds))
    results[id] = args.repeat > 1 ? medianResult(runs) : runs[0]!;
}

async function main(args: RunArgs): Promise<number> {
  const startedAt = new Date();
  const start = nowMs();
  const machine = describeMachine();
  const options: BenchOptions = {
    storage: args.storage,
    quick: args.quick,
    w5Instances: args.w5Instances,
    w6Instances: args.w6Instances,
    code: args.code,
  };
  if (args.code === "compiled") build();
  const results: Record<string, WorkloadResult> = {};
  const failures: Record<string, string> = {};
  const rounds: Record<string, WorkloadResult[]> = {};
  let server: BenchServer | null = null;
  let serverText: string | undefined;
  if (args.storage === "postgres") {
    server = await benchServer();
    // Workload processes inherit the environment: they find the server there.
    process.env[URL_VARIABLE] = server.url;
    const origin = server.owned ? "a throwaway embedded server on this machine" : URL_VARIABLE;
    serverText = `${origin}; ${await durability(server.url)}`;
    console.log(`PostgreSQL: ${serverText}`);
  }
  console.log(
    `cairn bench on ${args.storage}: ${args.only.join(", ")}${args.quick ? " (quick)" : ""}, ${args.repeat} run${args.repeat === 1 ? "" : "s"} of each`,
  );
  try {
    await runAll(args, options, results, failures, rounds);
  } finally {
    await server?.destroy();
  }
  machine.loadAverageAtEnd = os.loadavg().map((n) => Math.round(n * 100) / 100);
  const date = startedAt.toISOString().slice(0, 10);
  const run: RunResult = {
    date,
    startedAt: startedAt.toISOString(),
    storage: args.storage,
    ...(serverText ? { server: serverText } : {}),
    options: { ...options, only: args.only, repeat: args.repeat },
    machine,
    durationMs: nowMs() - start,
    results,
    failures,
    ...(args.repeat > 1 ? { rounds } : {}),
  };
  const md = markdown(run);
  const files = writeResults(RESULTS, `${date}-${args.storage}${runSuffix(args)}`, run, md);
  console.log(`\n${md}`);
  console.log(`wrote ${files.join(" and ")}`);
  if (args.writeDocs) {
    const written = updateDocs(DOCS, run, md);
    console.log(`updated ${DOCS}: ${written.join(" and ") || "nothing (no block for this run)"}`);
  }
  return Object.keys(failures).length > 0 ? 1 : 0;
}

let args: RunArgs;
try {
  args = parseArgs(process.argv.slice(2));
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
if (args.help) {
  console.log(USAGE);
} else {
  main(args).then(
    (code) => process.exit(code),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
