// `npm run soak -- --fuzz`: the HTTP API's property-based fuzz files run far beyond what
// `npm test` gives them, with fresh random seeds, round after round until `--minutes` is up. Each
// round runs the four files (the routes, the edges, the path tricks, a thousand connections at
// once) with FUZZ_SCALE times their usual runs in a vitest process of its own; a failing property
// prints its seed and path to replay, and stops the soak. Writes bench/results/soak-fuzz-<date>.json.

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RESULTS = join(ROOT, "bench", "results");

export const FUZZ_FILES = [
  "test/server/fuzz.test.ts",
  "test/server/fuzz-edges.test.ts",
  "test/server/path-tricks.test.ts",
  "test/server/many-connections.test.ts",
];

export type FuzzSettings = { minutes: number; scale: number };

type Round = { round: number; durationMs: number; tests: number; failed: number; requests: number };

/** Vitest's JSON report: the fields read here. */
type VitestReport = { numTotalTests: number; numFailedTests: number; success: boolean };

function runRound(round: number, scale: number, scratch: string): Round & { output: string; ok: boolean } {
  const report = join(scratch, `round-${round}.json`);
  const counts = join(scratch, `round-${round}-requests.jsonl`);
  const started = Date.now();
  const child = spawnSync(
    "npx",
    ["vitest", "run", ...FUZZ_FILES, "--reporter=default", "--reporter=json", `--outputFile.json=${report}`],
    {
      cwd: ROOT,
      env: { ...process.env, FUZZ_SCALE: String(scale), FUZZ_REPORT: counts },
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  const durationMs = Date.now() - started;
  let parsed: VitestReport | null = null;
  try {
    parsed = JSON.parse(readFileSync(report, "utf8")) as VitestReport;
  } catch {
    // No report: vitest itself failed; its output says why.
  }
  let requests = 0;
  try {
    for (const line of readFileSync(counts, "utf8").split("\n").filter(Boolean))
      requests += (JSON.parse(line) as { requests: number }).requests;
  } catch {
    // The routes' file did not get to its end.
  }
  return {
    round,
    durationMs,
    tests: parsed?.numTotalTests ?? 0,
    failed: parsed?.numFailedTests ?? 0,
    requests,
    ok: child.status === 0 && parsed?.success === true,
    output: `${child.stdout ?? ""}${child.stderr ?? ""}`,
  };
}

/** Runs rounds until the time is up; returns the exit code. */
export async function runFuzzSoak(settings: FuzzSettings): Promise<number> {
  const started = new Date();
  const deadline = Date.now() + settings.minutes * 60_000;
  const scratch = mkdtempSync(join(os.tmpdir(), "cairn-fuzz-soak-"));
  const rounds: Round[] = [];
  let failure: string | null = null;
  console.log(
    `soak: the HTTP API's fuzz at FUZZ_SCALE=${settings.scale}, rounds until ${settings.minutes} min are up`,
  );
  try {
    for (let round = 1; Date.now() < deadline; round++) {
      const { output, ok, ...figures } = runRound(round, settings.scale, scratch);
      rounds.push(figures);
      console.log(
        `  round ${round}: ${figures.tests} tests, ${figures.failed} failed, ${figures.requests.toLocaleString("en-US")} requests to the routes' fuzz, ${Math.round(figures.durationMs / 1000)} s`,
      );
      if (!ok) {
        failure = output.slice(-20_000);
        break;
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const sum = (pick: (r: Round) => number) => rounds.reduce((n, r) => n + pick(r), 0);
  const result = {
    kind: "soak-fuzz",
    startedAt: started.toISOString(),
    durationMs: Date.now() - started.getTime(),
    settings: { ...settings, files: FUZZ_FILES },
    machine: { cpus: os.cpus().length, node: process.version, loadAverageAtEnd: os.loadavg() },
    totals: {
      rounds: rounds.length,
      tests: sum((r) => r.tests),
      failedTests: sum((r) => r.failed),
      routeRequests: sum((r) => r.requests),
    },
    rounds,
    failed: failure !== null,
  };
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `soak-fuzz-${started.toISOString().slice(0, 10)}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `soak: ${result.totals.rounds} rounds, ${result.totals.tests} tests, ${result.totals.routeRequests.toLocaleString("en-US")} requests to the routes' fuzz`,
  );
  console.log(`wrote ${file}`);
  if (failure !== null) {
    console.error(`soak FAILED: a fuzz property broke; vitest's output ends with:\n${failure}`);
    return 1;
  }
  if (rounds.length === 0) {
    console.error("soak: no round ran (--minutes too small?)");
    return 1;
  }
  return 0;
}
