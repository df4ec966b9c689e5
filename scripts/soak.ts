// `npm run soak`: the crash scenario of `npm test` (test/crash/scenario.ts) run again and again
// with fresh seeds, each run killing the engine with SIGKILL at random instants and then checking
// every promise (no committed step run again, no event lost or taken twice, streams and rollback
// chains intact, nothing stuck), until the kills reach `--kills` or the time reaches `--minutes`.
// A broken promise prints its seed (replay it with CAIRN_CRASH_SEED in the crash test) and stops
// the soak. Prints progress and a summary; writes bench/results/soak-<date>.json. Never part of
// `npm test`.

import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type CrashRun, runCrashScenario } from "../test/crash/scenario.js";

const RESULTS = fileURLToPath(new URL("../bench/results/", import.meta.url));

const USAGE = `npm run soak -- [options]
  --kills N           stop once the runs together killed the engine N times (default 1000)
  --minutes M         stop starting new runs after M minutes (default 60)
  --kills-per-run K   SIGKILLs in each run before its last incarnation finishes the work (default 32)
  --seed S            the first run's seed (default random); later runs take S+1, S+2, …
  --limits            instead: the limits under load (a burst of creates, events at once);
                      npm run soak -- --limits --help lists its options
  --fuzz              instead: the HTTP API's fuzz files in rounds with fresh seeds, until
                      --minutes (default 60) are up, at --fuzz-scale F times their usual
                      runs (default 20)
  --help              this text`;

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--${name} must be a whole number of at least 1, got "${value}"`);
  return n;
}

function options() {
  const { values } = parseArgs({
    options: {
      kills: { type: "string" },
      minutes: { type: "string" },
      "kills-per-run": { type: "string" },
      seed: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  return {
    kills: positive("kills", values.kills, 1000),
    minutes: positive("minutes", values.minutes, 60),
    killsPerRun: positive("kills-per-run", values["kills-per-run"], 32),
    seed: values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : positive("seed", values.seed, 1),
  };
}

/** The soak's totals over its runs. */
function totals(runs: CrashRun[]) {
  const sum = (pick: (r: CrashRun) => number) => runs.reduce((n, r) => n + pick(r), 0);
  return {
    runs: runs.length,
    kills: sum((r) => r.kills),
    instances: sum((r) => r.instances),
    stepStarts: sum((r) => r.stepStarts),
    killsWithStepInFlight: sum((r) => r.killsWithStepInFlight),
    crashedAttempts: sum((r) => r.crashedAttempts),
    eventSends: sum((r) => r.eventSends),
    eventsStored: sum((r) => r.eventsStored),
    streams: sum((r) => r.streams),
    rollbackHandlerRuns: sum((r) => r.rollbackHandlerRuns),
    worstRecoveryMs: Math.max(0, ...runs.map((r) => r.recoveryMs)),
  };
}

async function main(): Promise<number> {
  let settings: ReturnType<typeof options>;
  try {
    settings = options();
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const started = new Date();
  const deadline = Date.now() + settings.minutes * 60_000;
  const runs: CrashRun[] = [];
  let failed: CrashRun | null = null;
  let failedToRun: { seed: number; error: string } | null = null;
  console.log(
    `soak: SQLite crash runs of ${settings.killsPerRun} kills from seed ${settings.seed}, until ${settings.kills} kills or ${settings.minutes} min`,
  );
  for (let seed = settings.seed; ; seed++) {
    const done = totals(runs);
    if (done.kills >= settings.kills || Date.now() >= deadline) break;
    let run: CrashRun;
    try {
      run = await runCrashScenario({ seed, kills: settings.killsPerRun });
    } catch (error) {
      // The harness itself failed (a child that never became ready): that stops the soak too.
      console.error(`  run with seed ${seed} could not be carried out: ${(error as Error).stack ?? error}`);
      failedToRun = { seed, error: (error as Error).message };
      break;
    }
    runs.push(run);
    const now = totals(runs);
    console.log(
      `  run ${now.runs} (seed ${seed}): ${run.kills} kills, ${run.stepStarts} step starts, every instance finished ${run.recoveryMs} ms after the last kill; ${now.kills}/${settings.kills} kills so far, ${run.violations.length === 0 ? "all checks held" : `${run.violations.length} VIOLATIONS`}`,
    );
    if (run.violations.length > 0) {
      failed = run;
      break;
    }
  }
  const summary = totals(runs);
  const result = {
    kind: "soak",
    storage: "sqlite",
    startedAt: started.toISOString(),
    durationMs: Date.now() - started.getTime(),
    settings,
    machine: { cpus: os.cpus().length, node: process.version, loadAverageAtEnd: os.loadavg() },
    totals: summary,
    peakParentRssBytes: process.resourceUsage().maxRSS * 1024,
    failed: failed
      ? { seed: failed.seed, violations: failed.violations, files: failed.dir }
      : failedToRun
        ? { seed: failedToRun.seed, violations: [failedToRun.error], files: null }
        : null,
    runs: runs.map(({ summary: _text, violations, dir: _dir, ...figures }) => ({
      ...figures,
      violations: violations.length,
    })),
  };
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `soak-${started.toISOString().slice(0, 10)}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `soak: ${summary.runs} runs, ${summary.kills} kills, ${summary.instances} instances, ${summary.stepStarts} step starts (${summary.killsWithStepInFlight} kills with a step in flight, ${summary.crashedAttempts} attempts recorded as crashed), ${summary.eventSends} event sends, longest from a run's last kill until all its instances finished ${summary.worstRecoveryMs} ms`,
  );
  console.log(`wrote ${file}`);
  if (failed) {
    console.error(`soak FAILED at seed ${failed.seed} (files kept in ${failed.dir}):`);
    for (const v of failed.violations) console.error(`  - ${v}`);
    console.error(`replay: CAIRN_CRASH_SEED=${failed.seed} npx vitest run test/crash/crash.test.ts`);
    return 1;
  }
  if (failedToRun) return 1;
  if (summary.kills < settings.kills) {
    console.error(`soak stopped by --minutes with ${summary.kills} of ${settings.kills} kills`);
    return 1;
  }
  return 0;
}

/** `--fuzz [--minutes M] [--fuzz-scale F]`: the long fuzz of the HTTP API (scripts/soak-fuzz.ts). */
async function fuzz(): Promise<number> {
  const { values } = parseArgs({
    options: { fuzz: { type: "boolean" }, minutes: { type: "string" }, "fuzz-scale": { type: "string" } },
  });
  let settings: { minutes: number; scale: number };
  try {
    settings = {
      minutes: positive("minutes", values.minutes, 60),
      scale: positive("fuzz-scale", values["fuzz-scale"], 20),
    };
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { runFuzzSoak } = await import("./soak-fuzz.js");
  return runFuzzSoak(settings);
}

if (process.argv.includes("--limits")) {
  const { soakLimits } = await import("./soak-limits.js");
  process.exitCode = await soakLimits(process.argv.slice(2));
} else if (process.argv.includes("--fuzz")) {
  process.exitCode = await fuzz();
} else {
  process.exitCode = await main();
}
