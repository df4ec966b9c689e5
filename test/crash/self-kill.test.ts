// A step whose callback kills its own process at once, every time: each crash must count as a
// failed attempt, so that the instance ends errored once its retries run out instead of starting
// attempt 1 again forever. The process that takes an instance over after a crash commits each
// attempt's start before running the callback, which makes this hold even for a callback that
// dies in the very turn it started.

import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-store.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const tsx = createRequire(import.meta.url).resolve("tsx/cli");
const child = fileURLToPath(new URL("./self-kill-child.ts", import.meta.url));

/** Runs the child to its end: "killed" when it died (tsx reports the inner SIGKILL as a failure). */
function runChild(dbPath: string): Promise<{ outcome: "killed" | "finished"; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [tsx, "--conditions=source", child, dbPath],
      { cwd: repoRoot, timeout: 30_000 },
      (error, stdout) => resolve({ outcome: error ? "killed" : "finished", stdout }),
    );
  });
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe("a step that kills its process every time", () => {
  it("ends errored once its retries run out, each crash counted as an attempt", async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const runs: { outcome: "killed" | "finished"; stdout: string }[] = [];
    // The first run folds the attempt's start into a result that never comes, so that crash is
    // not counted; every later run commits the start first. With limit 2 (three attempts), that
    // is four crashes, then a run that finds the instance errored. Without the durable starts
    // the step would start attempt 1 in every run, forever.
    for (let i = 0; i < 7; i++) {
      const run = await runChild(dir.dbPath);
      runs.push(run);
      if (run.outcome === "finished") break;
    }
    expect(runs.map((r) => r.outcome)).toEqual(["killed", "killed", "killed", "killed", "finished"]);
    const status = JSON.parse(runs.at(-1)!.stdout.trim().split("\n").at(-1)!);
    expect(status).toMatchObject({ status: "errored", error: { name: "WorkflowInternalError" } });
  }, 120_000);
});
