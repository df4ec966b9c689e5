// Proves the promise that workflow code written for Cloudflare type-checks against Cairn
// unchanged (and that the check can fail), then runs that same code on Cairn.

import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { Cairn } from "cairn";
import { waitForStatus } from "cairn/testing";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-store.js";
import { SignupWorkflow } from "./fixtures/cloudflare-workflow.js";

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

function typecheck(project: string): { ok: boolean; output: string } {
  try {
    execFileSync(process.execPath, [tsc, "-p", project], { encoding: "utf8", stdio: "pipe" });
    return { ok: true, output: "" };
  } catch (error) {
    return { ok: false, output: String((error as { stdout?: string }).stdout ?? error) };
  }
}

describe("Cloudflare workflow code", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it("type-checks unchanged against cairn/workers and cairn/workflows", () => {
    const result = typecheck("test/types/tsconfig.json");
    expect(result.output).toBe("");
    expect(result.ok).toBe(true);
  }, 60_000);

  it("rejects wrong workflow code (bad duration unit, bad backoff, unknown payload field)", () => {
    const result = typecheck("test/types/tsconfig.broken.json");
    expect(result.ok).toBe(false);
    expect(result.output).toContain("broken-workflow.ts(8,");
    expect(result.output).toContain("broken-workflow.ts(9,");
    expect(result.output).toContain("broken-workflow.ts(10,");
  }, 60_000);

  it("runs unchanged on Cairn", async () => {
    const { dbPath, cleanup } = tempDir();
    cleanups.push(cleanup);
    const cairn = await Cairn.open({
      storage: dbPath,
      workflows: { SIGNUPS: { name: "signups", class: SignupWorkflow } },
      env: { GREETING: "hello" },
    });
    cleanups.push(() => cairn.close());
    const instance = await cairn.env.SIGNUPS.create({ id: "signup-1", params: { email: "a@b.c" } });
    await instance.sendEvent({ type: "confirmation", payload: { ok: true } });
    const status = await waitForStatus(instance, ["complete", "errored"]);
    expect(status).toEqual({
      status: "complete",
      output: {
        account: { id: "acct-a@b.c", createdAt: expect.any(String), who: "signups/signup-1" },
        welcome: "hello, attempt 1 of 4 for send welcome",
        total: 3,
        confirmed: true,
      },
    });
  });
});
