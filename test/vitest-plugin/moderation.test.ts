// cairn/vitest on a Worker project whose tests are written for Cloudflare's vitest integration
// (test/fixtures/moderation-project): vitest runs in a child process on the project's own
// config, as `npx vitest run` in that project would. tsx and `--conditions=source` let that
// config import "cairn/vitest" from Cairn's sources (a project that installed cairn gets dist),
// which vite's native config loader leaves to Node.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const project = join(root, "test/fixtures/moderation-project");
const reports = mkdtempSync(join(tmpdir(), "cairn-vitest-plugin-"));
afterAll(() => rmSync(reports, { recursive: true, force: true }));

type Assertion = { fullName: string; status: string; failureMessages: string[] };
type FileReport = { name: string; status: string; message: string; assertionResults: Assertion[] };
type Report = {
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  success: boolean;
  testResults: FileReport[];
};

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, output }));
  });
}

/** Runs vitest on the fixture project with `config`, and reads its JSON report. */
async function vitest(config: string): Promise<{ code: number | null; output: string; report: Report }> {
  const outputFile = join(reports, `${config}.json`);
  const { code, output } = await run(process.execPath, [
    "--import",
    "tsx",
    "--conditions=source",
    join(root, "node_modules/vitest/vitest.mjs"),
    "run",
    "--root",
    project,
    "--config",
    config,
    "--configLoader",
    "native",
    "--reporter=json",
    `--outputFile=${outputFile}`,
  ]);
  let report: Report;
  try {
    report = JSON.parse(readFileSync(outputFile, "utf8")) as Report;
  } catch {
    throw new Error(`vitest wrote no report (exit code ${code}):\n${output}`);
  }
  return { code, output, report };
}

const file = (report: Report, name: string): FileReport => {
  const found = report.testResults.find((r) => r.name.endsWith(name));
  if (!found) throw new Error(`no results for ${name}: ${report.testResults.map((r) => r.name).join(", ")}`);
  return found;
};

// Each test runs a child process; they run side by side.
describe.concurrent("the moderation project's tests, written for Cloudflare", () => {
  it("all pass on Cairn, each test file on its own store", { timeout: 120_000 }, async () => {
    const { code, output, report } = await vitest("vitest.config.ts");
    expect(report.numFailedTests, output).toBe(0);
    expect(report.numTotalTests).toBe(16);
    expect(report.numPassedTests).toBe(16);
    expect(report.success).toBe(true);
    expect(code).toBe(0);
    const names = (name: string) => file(report, name).assertionResults.map((a) => a.fullName);
    expect(names("test/unit.test.ts")).toHaveLength(6);
    expect(names("test/integration.test.ts")).toEqual([
      "moderates what the Worker submits (implicit dispose)",
      "moderates a batch the Worker submits (explicit dispose)",
      "the lifecycle of an instance the Worker created terminates",
      "the lifecycle of an instance the Worker created restarts with its mocks",
      "the lifecycle of an instance the Worker created pauses",
    ]);
    expect(names("test/self.test.ts")).toHaveLength(4);
    expect(names("test/mocks.test.ts")).toEqual(["runs the mocked workflow class"]);
  });

  it("type-checks against Cairn's cloudflare:test and cloudflare:workers", { timeout: 120_000 }, async () => {
    const tsc = join(root, "node_modules/typescript/bin/tsc");
    const { code, output } = await run(process.execPath, [tsc, "-p", join(project, "tsconfig.json")]);
    expect(output).toBe("");
    expect(code).toBe(0);
  });
});

describe.concurrent("what cairn/vitest does not provide", () => {
  it("fails where it is used, or as the file loads, with a message naming it", {
    timeout: 120_000,
  }, async () => {
    const { code, report } = await vitest("vitest.unsupported.config.ts");
    expect(code).toBe(1);

    // Cloudflare's exports that Cairn lacks: each fails the test that uses it, naming itself.
    const known = file(report, "unsupported/known-exports.check.ts").assertionResults;
    const failure = (name: string) => known.find((a) => a.fullName === name)?.failureMessages.join("\n");
    expect(failure("uses fetchMock")).toContain(
      'Error: cloudflare:test export "fetchMock" is not provided by Cairn: the Worker runs in Node, in the test\'s own process: mock outbound requests with vi.spyOn(globalThis, "fetch") or msw. ' +
        "Cairn's cloudflare:test provides env, SELF, createExecutionContext, waitOnExecutionContext, createScheduledController, introspectWorkflowInstance and introspectWorkflow.",
    );
    expect(failure("uses runInDurableObject")).toContain(
      `cloudflare:test export "runInDurableObject" is not provided by Cairn: Cairn's vitest integration does not run Durable Objects (cairn dev does).`,
    );
    expect(failure("uses applyD1Migrations")).toContain(
      `cloudflare:test export "applyD1Migrations" is not provided by Cairn: Cairn's vitest integration does not provide D1 databases (cairn dev does).`,
    );
    expect(failure("uses createMessageBatch")).toContain(
      `cloudflare:test export "createMessageBatch" is not provided by Cairn: Cairn's vitest integration does not run Queues (cairn dev does).`,
    );
    expect(failure("uses reset")).toContain(
      'cloudflare:test export "reset" is not provided by Cairn: each test file',
    );
    expect(known.find((a) => a.fullName === "still has env in the same file")?.status).toBe("passed");

    // A name cloudflare:test does not have at all: the file fails as it loads.
    const unknown = file(report, "unsupported/unknown-export.check.ts");
    expect(unknown.status).toBe("failed");
    expect(unknown.assertionResults).toEqual([]);
    expect(unknown.message).toContain(
      'cloudflare:test export "notAnExport" is not provided by Cairn: it is not an export Cairn knows of.',
    );

    // A cloudflare: module Cairn does not provide: the file fails as it loads.
    const sockets = file(report, "unsupported/unknown-module.check.ts");
    expect(sockets.status).toBe("failed");
    expect(sockets.message).toContain(
      '"cloudflare:sockets" is not provided by Cairn (it provides cloudflare:workers, cloudflare:workflows and cloudflare:test)',
    );
  });
});
