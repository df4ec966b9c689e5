// cairn/testing imports no test runner: this runs a node:test file (plain JavaScript, try/finally
// instead of `await using`) with Node's own runner in a child process, and checks that its tests
// ran and passed. tsx only compiles Cairn's TypeScript sources for that process.

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const file = fileURLToPath(new URL("./node-test/introspection.node.mjs", import.meta.url));

function runNodeTest(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--conditions=source", "--test", "--test-reporter=tap", file],
      { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
    );
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

it("works under node:test: both of its tests pass", async () => {
  const { code, output } = await runNodeTest();
  expect(output).toContain("ok 1 - introspectWorkflowInstance with try/finally");
  expect(output).toContain("ok 2 - introspectWorkflow disposed by t.after");
  expect(output).toMatch(/# pass 2\n# fail 0/);
  expect(code, output).toBe(0);
});
