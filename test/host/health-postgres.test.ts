// Readiness of a real `cairn start` on a real PostgreSQL that goes away and comes back: readyz is
// 200; with the server stopped it turns 503 with the store's reason while healthz stays 200 and
// the process keeps running (no unhandled rejection or uncaught exception logged); with the
// server started again readyz is 200 once more, the instance that was in flight finishes, and a
// new one runs. The probes answer without the token the rest of the API asks for.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitUntil } from "cairn/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LATEST_VERSION } from "../../src/storage/postgres/migrations.js";
import { type PostgresServer, startPostgresServer } from "../helpers/postgres-server.js";
import { CairnProcess } from "./helpers/cairn-process.js";
import { copyFixture, getJson, postJson, removeProjects, waitForHttpStatus } from "./helpers/projects.js";

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgresServer();
}, 120_000);
afterAll(async () => {
  await CairnProcess.killAll();
  removeProjects();
  await server?.destroy();
});

const TOKEN = "pg-health-token";

async function probe(url: string): Promise<{ status: number; body: any }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

describe("readyz of cairn start on PostgreSQL", () => {
  it("turns 503 with the store's reason while PostgreSQL is stopped, and 200 with work resumed once it is back", async () => {
    const dir = copyFixture("two-workflows-toml");
    const releaseDir = join(dir, "releases");
    mkdirSync(releaseDir);
    const args = [
      ...["start", "--port", "0", "--admin-port", "0", "--api-token", TOKEN],
      ...["--storage", `${server.url}?schema=health_flip`, "--var", `RELEASE_DIR:${releaseDir}`],
    ];
    const cairn = CairnProcess.start(args, dir);
    const url = await cairn.ready();
    const admin = (cairn.logs().find((l) => l.msg === "ready")?.admin ?? "") as string;

    const ready = await probe(`${admin}/readyz`);
    expect(ready).toMatchObject({ status: 200, body: { status: "ready", reason: null } });
    expect(ready.body.checks.migrations).toEqual({ ok: true, detail: `schema version ${LATEST_VERSION}` });
    expect((await probe(`${admin}/cairn/api/workflows`)).status).toBe(401);

    await postJson(url, "/greet/before", { name: "before" });
    await waitForHttpStatus(url, "/greet/before", "complete");
    await postJson(url, "/count/in-flight", { to: 2 });
    await waitUntil(
      async () => (await getJson(url, "/started/in-flight")).body.started,
      (started) => started === true,
      { timeoutMs: 20_000, what: "the first step of in-flight to start" },
    );

    await server.stop();
    const down = await waitUntil(
      () => probe(`${admin}/readyz`),
      (answer) => answer.status === 503,
      { timeoutMs: 20_000, intervalMs: 100, what: "readyz to turn 503 with PostgreSQL stopped" },
    );
    expect(down.body.status).toBe("not_ready");
    expect(down.body.checks.store).toMatchObject({ ok: false, code: "storage.unavailable" });
    expect(down.body.reason).toMatch(/^store: \(storage\.unavailable\) PostgreSQL is unavailable/);
    expect(await probe(`${admin}/healthz`)).toEqual({ status: 200, body: { status: "alive" } });

    await server.start();
    await waitUntil(
      () => probe(`${admin}/readyz`),
      (answer) => answer.status === 200,
      { timeoutMs: 30_000, intervalMs: 100, what: "readyz to turn 200 with PostgreSQL back" },
    );
    writeFileSync(join(releaseDir, "in-flight"), "");
    expect(await waitForHttpStatus(url, "/count/in-flight", "complete", 30_000)).toMatchObject({
      output: { counted: 2 },
    });
    await postJson(url, "/greet/after", { name: "after" });
    expect(await waitForHttpStatus(url, "/greet/after", "complete", 30_000)).toMatchObject({
      output: { text: "Hi, after" },
    });
    expect(await probe(`${admin}/healthz`)).toEqual({ status: 200, body: { status: "alive" } });

    const crashes = cairn
      .logs()
      .filter((l) => l.msg === "unhandled rejection" || l.msg === "uncaught exception");
    expect(crashes).toEqual([]);
    expect(await cairn.kill("SIGTERM")).toEqual({ code: 0, signal: null });
  });
});
