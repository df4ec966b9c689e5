// End-to-end: a `cairn dev` or `cairn start` that cannot start prints why before its "stopped"
// line, in one stream as a terminal shows both (stdout and stderr into the same file), and exits 1.
// Also: a `rules` entry Cairn cannot honour stops start-up with a message naming the rule.

import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { copyFixture, removeProjects } from "../helpers/projects.js";
import { ADD_WASM } from "./add-wasm.js";

const bin = fileURLToPath(new URL("../../../bin/cairn.js", import.meta.url));

afterAll(() => removeProjects());

/** Runs `cairn <args>` in `dir` to its exit, with stdout and stderr written to one file. */
async function runToExit(args: string[], dir: string): Promise<{ code: number | null; output: string }> {
  const file = join(dir, "output.log");
  const fd = openSync(file, "w");
  try {
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir, stdio: ["ignore", fd, fd] });
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    return { code, output: readFileSync(file, "utf8") };
  } finally {
    closeSync(fd);
  }
}

/** The fixture project with `change` applied to its config. */
function project(change: (config: Record<string, unknown>) => void): string {
  const dir = copyFixture("runtime-gaps-project");
  const path = join(dir, "wrangler.jsonc");
  const config = JSON.parse(readFileSync(path, "utf8").replace(/^\s*\/\/.*$/gm, ""));
  change(config);
  writeFileSync(path, JSON.stringify(config));
  writeFileSync(join(dir, "src", "add.wasm"), ADD_WASM);
  return dir;
}

const badEntrypoint = (config: Record<string, unknown>) => {
  config.services = [{ binding: "API", service: "runtime-gaps-project", entrypoint: "Missing" }];
};

describe("a start that fails", () => {
  for (const command of ["dev", "start"]) {
    it(`cairn ${command} prints the error before "stopped"`, async () => {
      const dir = project(badEntrypoint);
      const args = command === "dev" ? ["dev", "--port", "0"] : ["start", "--port", "0", "--no-admin"];
      const { code, output } = await runToExit([...args, "--log-format", "json"], dir);
      expect(code).toBe(1);
      const error = output.indexOf(`cairn ${command}: `);
      const stopped = output.indexOf('"msg":"stopped"');
      expect(error, output).toBeGreaterThanOrEqual(0);
      expect(output.slice(error)).toContain('names entrypoint "Missing", which the Worker does not export');
      expect(stopped, output).toBeGreaterThan(error);
    });
  }

  it("refuses a rule type Cairn does not support, naming the rule and the supported types", async () => {
    const dir = project((config) => {
      config.rules = [{ type: "ESModule", globs: ["**/*.mjs"] }];
    });
    const { code, output } = await runToExit(["dev", "--port", "0", "--log-format", "json"], dir);
    expect(code).toBe(1);
    expect(output).toContain(
      'rules[0] has type "ESModule", which Cairn does not support (it bundles JavaScript modules itself); Cairn supports the rule types Text, Data, CompiledWasm',
    );
  });

  it("refuses a rule without globs, or with a glob that is not a string", async () => {
    for (const globs of [[], ["**/*.txt", 7]]) {
      const dir = project((config) => {
        config.rules = [{ type: "Text", globs }];
      });
      const { code, output } = await runToExit(["dev", "--port", "0", "--log-format", "json"], dir);
      expect(code).toBe(1);
      expect(output).toMatch(/rules\[0\]\.globs (must be a non-empty list|has 7, which is not a glob)/);
    }
  });
});
