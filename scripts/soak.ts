// `npm run soak`: the crash scenario of `npm test` (test/crash/scenario.ts) run again and again
// with fresh seeds, each run killing the engine with SIGKILL at random instants and then checking
// every promise (no committed step run again, no event lost or taken twice, streams and rollback
// chains intact, nothing stuck), until the kills reach `--kills` or the time reaches `--minutes`.
// A broken promise prints its seed (replay it with CAIRN_CRASH_SEED in the crash test) and stops
// the soak. Prints progress and a summary; writes bench/results/soak-<date>.json. Never part of
// `npm test`. With `--storage postgres` it runs the PostgreSQL soak instead (scripts/soak-postgres.ts).

import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type CrashRun, runCrashScenario } from "../test/crash/scenario.js";
import { type PostgresSoakSettings, runPostgresSoak } from "./soak-postgres.js";

const RESULTS = fileURLToPath(new URL("../bench/results/", import.meta.url));

const USAGE = `npm run soak -- [options]
  --storage S         sqlite (default) or postgres
  --kills N           stop once the runs together killed the engine N times (default 1000 on
                      sqlite; on postgres, worker SIGKILLs, default 300)
  --minutes M         stop starting new runs (sqlite) or faults (postgres) after M minutes (default 60)
  --seed S            sqlite: the first run's seed (default random), later runs take S+1, S+2, …;
                      postgres: the seed of the fault sequence and the client's event order
  --help              this text
sqlite only:
  --kills-per-run K   SIGKILLs in each run before its last incarnation finishes the work (default 32)
postgres only (scripts/soak-postgres.ts; starts a PostgreSQL server of its own):
  --restarts R        restarts of the server, spread over the run (default 5)
  --terminations T    times one to three of the processes' connections are dropped with
                      pg_terminate_backend (default 100)
  --lease-ms L        the workers' leaseMs, at least 1000 (default 3000)
instead of the crash soak:
  --limits            the limits under load (a burst of creates, events at once);
                      npm run soak -- --limits --help lists its options
  --fuzz              the HTTP API's fuzz files in rounds with fresh seeds, until --minutes
                      (default 60) are up, at --fuzz-scale F times their usual runs (default 20)`;

function whole(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max = 2 ** 31,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(
      `--${name} must be a whole number of at least ${min}${max < 2 ** 31 ? ` and at most ${max}` : ""}, got "${value}"`,
    );
  return n;
}

function positive(name: string, value: string | undefined, fallback: number): number {
  return whole(name, value, fallback, 1);
}

const SQLITE_ONLY = ["kills-per-run"] as const;
const POSTGRES_ONLY = ["restarts", "terminations", "lease-ms"] as const;

function options() {
  const { values } = parseArgs({
    options: {
      storage: { type: "string" },
      kills: { type: "string" },
      minutes: { type: "string" },
      "kills-per-run": { type: "string" },
      restarts: { type: "string" },
      terminations: { type: "string" },
      "lease-ms": { type: "string" },
      seed: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const storage = values.storage ?? "sqlite";
  if (storage !== "sqlite" && storage !== "postgres")
    throw new Error(`--storage must be sqlite or postgres, got "${storage}"`);
  for (const flag of storage === "sqlite" ? POSTGRES_ONLY : SQLITE_ONLY) {
    if (values[flag] !== undefined)
      throw new Error(`--${flag} applies to --storage ${storage === "sqlite" ? "postgres" : "sqlite"} only`);
  }
  const seed =
    values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : positive("seed", values.seed, 1);
  if (storage === "postgres") {
    const postgres: PostgresSoakSettings = {
      kills: positive("kills", values.kills, 300),
      minutes: positive("minutes", values.minutes, 60),
      restarts: whole("restarts", values.restarts, 5, 0),
      terminations: whole("terminations", values.terminations, 100, 0),
      seed,
      leaseMs: whole("lease-ms", values["lease-ms"], 3_000, 1_000, 3_600_000),
    };
    return { storage, postgres } as const;
  }
  return {
    storage,
    sqlite: {
      kills: positive("kills", values.kills, 1000),
      minutes: positive("minutes", values.minutes, 60),
      killsPerRun: positive("kills-per-run", values["kills-per-run"], 32),
      seed,
    },
  } as const;
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
  let parsed: ReturnType<typeof options>;
  try {
    parsed = options();
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.storage === "postgres") return runPostgresSoak(parsed.postgres);
  const settings = parsed.sqlite;
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
