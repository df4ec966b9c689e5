// End-to-end: a project Cairn cannot run stops start-up with a clear message and a non-zero exit:
// bindings Cairn does not provide (each named with its type), a script_name naming another
// Worker, a config syntax error, a class_name the entry does not export, a missing config, and
// (for `cairn start`) a syntax error in the code.

import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CairnProcess } from "./helpers/cairn-process.js";
import { copyFixture, removeProjects } from "./helpers/projects.js";

afterEach(async () => {
  await CairnProcess.killAll();
  removeProjects();
});

/** Runs `cairn <command>` in `dir` and returns its exit and error output once it exits. */
async function failedStart(command: "dev" | "start", dir: string) {
  const cairn = CairnProcess.start([command, "--port", "0"], dir);
  const exit = await cairn.exited;
  expect(cairn.logs().some((l) => l.msg === "ready")).toBe(false);
  return { exit, stderr: cairn.stderr };
}

function editJsonc(dir: string, edit: (text: string) => string): void {
  const file = join(dir, "wrangler.jsonc");
  writeFileSync(file, edit(readFileSync(file, "utf8")));
}

describe("start-up errors", () => {
  it("names every binding Cairn does not provide, with its type", async () => {
    const dir = copyFixture("orders-jsonc");
    editJsonc(dir, (text) =>
      text.replace(
        '"vars": {',
        `"ai": { "binding": "AI" },
         "services": [{ "binding": "AUTH", "service": "auth-worker" }],
         "vars": {`,
      ),
    );
    const { exit, stderr } = await failedStart("dev", dir);
    expect(exit.code).toBe(1);
    expect(stderr).toContain("bindings that Cairn does not provide");
    for (const line of ["AI: Workers AI (ai)", "AUTH: service binding (services)"]) {
      expect(stderr).toContain(line);
    }
  });

  it("refuses a workflow whose script_name names another Worker", async () => {
    const dir = copyFixture("orders-jsonc");
    editJsonc(dir, (text) =>
      text.replace(
        '"class_name": "OrderWorkflow",',
        '"class_name": "OrderWorkflow", "script_name": "billing-worker",',
      ),
    );
    const { exit, stderr } = await failedStart("start", dir);
    expect(exit.code).toBe(1);
    expect(stderr).toContain(
      'workflow binding ORDERS names script_name "billing-worker", which is not this Worker',
    );
  });

  it("reports a config syntax error with file, line and column", async () => {
    const dir = copyFixture("two-workflows-toml");
    const file = join(dir, "wrangler.toml");
    writeFileSync(file, readFileSync(file, "utf8").replace('SALUTATION = "Hi"', "SALUTATION = Hi there"));
    const { exit, stderr } = await failedStart("start", dir);
    expect(exit.code).toBe(1);
    expect(stderr).toMatch(/wrangler\.toml:9:\d+: Invalid TOML document/);
  });

  it("reports a class_name the entry module does not export", async () => {
    const dir = copyFixture("orders-jsonc");
    editJsonc(dir, (text) => text.replace('"class_name": "OrderWorkflow"', '"class_name": "RefundWorkflow"'));
    const { exit, stderr } = await failedStart("start", dir);
    expect(exit.code).toBe(1);
    expect(stderr).toContain(
      'class_name "RefundWorkflow" is not a class with a run() method exported by index.ts',
    );
    expect(stderr).toContain("its exports: OrderWorkflow");
  });

  it("reports a folder without a wrangler config", async () => {
    const dir = copyFixture("orders-jsonc");
    rmSync(join(dir, "wrangler.jsonc"));
    const { exit, stderr } = await failedStart("dev", dir);
    expect(exit.code).toBe(1);
    expect(stderr).toContain("no wrangler config in");
    expect(stderr).toContain("wrangler.json, wrangler.jsonc, wrangler.toml");
  });

  it("cairn start exits on a syntax error in the code, naming file and line", async () => {
    const dir = copyFixture("two-workflows-toml");
    const file = join(dir, "src", "workflows.js");
    writeFileSync(file, readFileSync(file, "utf8").replace("let counted = 0;", "let counted = ;"));
    const { exit, stderr } = await failedStart("start", dir);
    expect(exit.code).toBe(1);
    expect(stderr).toMatch(/src\/workflows\.js:27:\d+:/);
    expect(stderr).toContain("Unexpected");
  });
});
