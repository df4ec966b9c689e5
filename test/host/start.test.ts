// End-to-end: `cairn start` on a wrangler.toml project with two workflows, a JavaScript entry and
// a class-based default export (WorkerEntrypoint), with --storage, --var and JSON logs. SIGTERM
// stops taking work, lets the in-flight attempt finish, and exits 0.
// Instances created over HTTP run separately, and their state survives a restart of the process.

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CairnProcess } from "./helpers/cairn-process.js";
import { copyFixture, getJson, postJson, removeProjects, waitForHttpStatus } from "./helpers/projects.js";

afterEach(async () => {
  await CairnProcess.killAll();
  removeProjects();
});

function startArgs(dir: string): { args: string[]; releaseDir: string } {
  const releaseDir = join(dir, "releases");
  mkdirSync(releaseDir, { recursive: true });
  const db = join(mkdtempSync(join(tmpdir(), "cairn-start-db-")), "prod.db");
  const args = [
    "start",
    "--port",
    "0",
    "--admin-port",
    "0",
    "--storage",
    `sqlite:${db}`,
    "--var",
    `RELEASE_DIR:${releaseDir}`,
  ];
  return { args, releaseDir };
}

describe("cairn start", () => {
  it("serves a toml project with two workflows and a WorkerEntrypoint class, logging JSON", async () => {
    const dir = copyFixture("two-workflows-toml");
    const { args, releaseDir } = startArgs(dir);
    const cairn = CairnProcess.start(args, dir);
    const url = await cairn.ready();

    expect((await postJson(url, "/greet/ada", { name: "Ada" })).status).toBe(201);
    expect((await postJson(url, "/count/c1", { to: 3 })).status).toBe(201);
    writeFileSync(join(releaseDir, "c1"), "");
    expect(await waitForHttpStatus(url, "/greet/ada", "complete")).toEqual({
      status: "complete",
      output: { text: "Hi, Ada", workflow: "greet" },
    });
    expect(await waitForHttpStatus(url, "/count/c1", "complete")).toEqual({
      status: "complete",
      output: { releasedOnAttempt: 1, counted: 3 },
    });
    expect((await getJson(url, "/globals/1")).body).toEqual({
      userAgent: "string",
      cacheMiss: true,
      uuid: 36,
      digest: 32,
      clone: 2,
      base64: "aGk=",
    });
    const moduleEnv = await getJson(url, "/module-env/1");
    expect(moduleEnv.body).toEqual({ salutation: "Hi", atLoad: "Hi", same: true });
    expect(await waitForHttpStatus(url, "/greet/from-module-1", "complete")).toMatchObject({
      output: { text: "Hi, module" },
    });
    const ready = cairn.logs().find((l) => l.msg === "config loaded");
    expect(ready?.workflows).toEqual(["GREET → greet (GreetWorkflow)", "COUNT → count (CountWorkflow)"]);
    // `cairn start` reads no .dev.vars and keeps no state in the project folder when given --storage.
    expect(cairn.logs().some((l) => l.msg === "secrets loaded")).toBe(false);
  });

  it("on SIGTERM stops taking requests, lets the in-flight attempt finish, and exits 0", async () => {
    const dir = copyFixture("two-workflows-toml");
    const { args, releaseDir } = startArgs(dir);
    const first = CairnProcess.start(args, dir);
    let url = await first.ready();
    await postJson(url, "/count/graceful", { to: 2 });
    await waitForStarted(url, "graceful");

    void first.kill("SIGTERM");
    await first.waitForLog((l) => l.msg === "shutting down", "the shutdown to begin");
    await expect(fetch(`${url}/count/graceful`)).rejects.toThrow();
    writeFileSync(join(releaseDir, "graceful"), "");
    expect(await first.exited).toEqual({ code: 0, signal: null });

    // The attempt finished during the shutdown, so the next process does not run it again.
    const second = CairnProcess.start(args, dir);
    url = await second.ready();
    expect(await waitForHttpStatus(url, "/count/graceful", "complete")).toEqual({
      status: "complete",
      output: { releasedOnAttempt: 1, counted: 2 },
    });
    expect((await getJson(url, "/started/graceful")).body.started).toBe(false);
    expect(await second.kill("SIGINT")).toEqual({ code: 0, signal: null });
  });
});

async function waitForStarted(url: string, id: string): Promise<void> {
  const { waitUntil } = await import("cairn/testing");
  await waitUntil(
    async () => (await getJson(url, `/started/${id}`)).body.started,
    (started) => started === true,
    { timeoutMs: 20_000, what: `the first step of ${id} to start` },
  );
}
