// A trace that outlives its process: one process creates an instance inside a span and is killed
// while the instance sleeps; another opens the same SQLite file later and finishes it. Both write
// their spans to a file with a real OpenTelemetry SDK: every run span of the instance, in either
// process, is in the creator's trace with the creator's span as its parent.

import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-store.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const tsx = createRequire(import.meta.url).resolve("tsx/cli");
const child = fileURLToPath(new URL("./trace-restart-child.ts", import.meta.url));

type SpanLine = {
  phase: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  attributes: Record<string, unknown>;
};

/** Runs one phase in a child process; "killed" when it died by its own SIGKILL. */
function runChild(
  dbPath: string,
  spansFile: string,
  phase: string,
): Promise<{ outcome: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [tsx, "--conditions=source", child, dbPath, spansFile, phase],
      { cwd: repoRoot, timeout: 60_000 },
      (error, _stdout, stderr) => resolve({ outcome: error ? "killed" : "finished", stderr }),
    );
  });
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe("a trace across a process restart", () => {
  it("continues in the process that finishes the instance, under the creating span", async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const spansFile = join(dir.dbPath, "..", "spans.jsonl");
    expect((await runChild(dir.dbPath, spansFile, "create")).outcome).toBe("killed");
    const finish = await runChild(dir.dbPath, spansFile, "finish");
    expect(finish).toEqual({ outcome: "finished", stderr: "" });

    const spans = readFileSync(spansFile, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as SpanLine);
    const checkout = spans.find((s) => s.name === "checkout")!;
    const runs = spans.filter((s) => s.name === "workflow.run trip");
    expect(
      runs.map((r) => [r.phase, r.attributes["cairn.run.end_reason"], r.attributes["cairn.run.fresh"]]),
    ).toEqual([
      ["create", "hibernated", true],
      ["finish", "finished", false],
    ]);
    for (const run of runs) {
      expect(run.traceId).toBe(checkout.traceId);
      expect(run.parentSpanId).toBe(checkout.spanId);
    }
    const travel = spans.find((s) => s.name === "workflow.step travel")!;
    expect(travel).toMatchObject({
      phase: "finish",
      traceId: checkout.traceId,
      parentSpanId: runs[1]!.spanId,
    });
  }, 150_000);
});
