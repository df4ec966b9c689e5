// End-to-end: `cairn start --storage postgres://…` on a real PostgreSQL (CAIRN_TEST_DATABASE_URL,
// or a throwaway server). The project runs on the shared store, and a graceful SIGTERM hands the
// in-flight instance back (lease released) so that the next process finishes it at once.
// State survives a restart of the process on PostgreSQL too.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitUntil } from "cairn/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase } from "../helpers/postgres-server.js";
import { CairnProcess } from "./helpers/cairn-process.js";
import { copyFixture, getJson, postJson, removeProjects, waitForHttpStatus } from "./helpers/projects.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
}, 120_000);
afterAll(async () => {
  await CairnProcess.killAll();
  removeProjects();
  await db?.close();
});

describe("cairn start on PostgreSQL", () => {
  it("runs a project with --storage postgres://… and hands in-flight work over on SIGTERM", async () => {
    const dir = copyFixture("two-workflows-toml");
    const releaseDir = join(dir, "releases");
    mkdirSync(releaseDir);
    const storage = `${db.url}?schema=${db.newSchema("host")}`;
    const args = [
      "start",
      "--port",
      "0",
      "--admin-port",
      "0",
      "--storage",
      storage,
      "--var",
      `RELEASE_DIR:${releaseDir}`,
    ];

    const first = CairnProcess.start(args, dir);
    let url = await first.ready();
    await postJson(url, "/greet/pg-1", { name: "Postgres" });
    expect(await waitForHttpStatus(url, "/greet/pg-1", "complete")).toMatchObject({
      output: { text: "Hi, Postgres" },
    });
    await postJson(url, "/count/pg-2", { to: 2 });
    await waitUntil(
      async () => (await getJson(url, "/started/pg-2")).body.started,
      (started) => started === true,
      { timeoutMs: 20_000, what: "the first step of pg-2 to start" },
    );
    void first.kill("SIGTERM");
    await first.waitForLog((l) => l.msg === "shutting down", "the shutdown to begin");
    writeFileSync(join(releaseDir, "pg-2"), "");
    expect(await first.exited).toEqual({ code: 0, signal: null });

    const second = CairnProcess.start(args, dir);
    url = await second.ready();
    expect(await waitForHttpStatus(url, "/count/pg-2", "complete")).toEqual({
      status: "complete",
      output: { releasedOnAttempt: 1, counted: 2 },
    });
    expect(await waitForHttpStatus(url, "/greet/pg-1", "complete")).toMatchObject({ status: "complete" });
    expect(await second.kill("SIGTERM")).toEqual({ code: 0, signal: null });
  });
});
