// The health probes with the real `cairn` binary. `cairn start` answers /healthz and /readyz on
// its admin listener without the API token (which other API routes still ask for), GET and HEAD
// only, under the API's Host rule. `cairn dev` answers them under /cdn-cgi/cairn/ on the Worker's
// port, with readyz not ready (and why) while the Worker has no good build. A store that cannot
// be reached at start makes `cairn start` exit non-zero with one line naming it (password hidden)
// and the cause.

import { mkdtempSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitUntil } from "cairn/testing";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { LATEST_VERSION } from "../../src/storage/sqlite/migrations.js";
import { freePort } from "../helpers/postgres-server.js";
import { CairnProcess } from "./helpers/cairn-process.js";
import { copyFixture, removeProjects } from "./helpers/projects.js";

afterAll(removeProjects);
afterEach(() => CairnProcess.killAll());

const TOKEN = "health-test-token";
const EXPLORER = "/cdn-cgi/local/explorer/api/workflows";

async function probe(url: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** A GET with a Host header of our choosing (fetch always sends the URL's own). */
function statusWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

/** `cairn start` on free ports with `storage`, and `extra` arguments. */
function startArgs(storage: string, ...extra: string[]): string[] {
  return ["start", "--port", "0", "--admin-port", "0", "--storage", storage, ...extra];
}

function sqliteUrl(): string {
  return `sqlite:${join(mkdtempSync(join(tmpdir(), "cairn-health-db-")), "cairn.db")}`;
}

describe("health probes in cairn start", () => {
  it("answers healthz and readyz on the admin listener without the token the API asks for", async () => {
    const dir = copyFixture("two-workflows-toml");
    const args = startArgs(sqliteUrl(), "--api-token", TOKEN);
    const cairn = CairnProcess.start(args, dir);
    await cairn.ready();
    const admin = (cairn.logs().find((l) => l.msg === "ready")?.admin ?? "") as string;

    expect(await probe(`${admin}/healthz`)).toEqual({ status: 200, body: { status: "alive" } });
    const ready = await probe(`${admin}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: "ready",
      reason: null,
      checks: {
        store: { ok: true },
        migrations: { ok: true, detail: `schema version ${LATEST_VERSION}` },
        engine: { ok: true, detail: "running instances" },
      },
    });
    const head = await fetch(`${admin}/readyz`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");

    // The rest of the API still asks for the token.
    expect((await probe(`${admin}${EXPLORER}`)).status).toBe(401);
    expect(
      (await probe(`${admin}${EXPLORER}`, { headers: { authorization: `Bearer ${TOKEN}` } })).status,
    ).toBe(200);
    // Probes only read; a Host that is not this server's is refused as the API refuses it.
    const post = await fetch(`${admin}/readyz`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    expect(await statusWithHost(`${admin}/readyz`, "attacker.example")).toBe(403);
    expect(await statusWithHost(`${admin}/readyz`, "localhost")).toBe(200);
  });

  it("exits non-zero with one line naming an unreachable PostgreSQL, its password hidden", async () => {
    const dir = copyFixture("two-workflows-toml");
    // Taken and given back: nothing listens on it.
    const port = await freePort();
    const storage = `postgres://cairn:hunter2@127.0.0.1:${port}/cairn`;
    const cairn = CairnProcess.start(startArgs(storage), dir);
    expect((await cairn.exited).code).toBe(1);
    expect(cairn.stderr).toContain(
      `cairn start: (storage.unavailable) PostgreSQL is unavailable (connecting to postgres://cairn:***@127.0.0.1:${port}/cairn): connect ECONNREFUSED`,
    );
    expect(cairn.output).not.toContain("hunter2");
    expect(cairn.stderr).not.toMatch(/\n\s+at /);
  });

  it("exits non-zero with one line naming a SQLite file that cannot be opened", async () => {
    const dir = copyFixture("two-workflows-toml");
    const storage = "sqlite:/dev/null/cairn.db";
    const cairn = CairnProcess.start(startArgs(storage), dir);
    expect((await cairn.exited).code).toBe(1);
    expect(cairn.stderr).toMatch(
      /^cairn start: \(storage\.unavailable\) cannot open the SQLite file \/dev\/null\/cairn\.db: E[A-Z]+: /m,
    );
    expect(cairn.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("health probes in cairn dev", () => {
  it("answers under /cdn-cgi/cairn/ without the token, not ready until the Worker has a good build", async () => {
    const dir = copyFixture("orders-jsonc");
    const version = join(dir, "src", "version.ts");
    writeFileSync(version, 'export const VERSION = "v1;\n');
    const cairn = CairnProcess.start(["dev", "--port", "0", "--api-token", TOKEN], dir);
    const url = await cairn.ready();

    expect(await probe(`${url}/cdn-cgi/cairn/healthz`)).toEqual({ status: 200, body: { status: "alive" } });
    const broken = await probe(`${url}/cdn-cgi/cairn/readyz`);
    expect(broken.status).toBe(503);
    expect(broken.body.status).toBe("not_ready");
    expect(broken.body.checks).toEqual({});
    expect(broken.body.reason).toMatch(/^the Worker has no good build yet: /);
    expect(broken.body.reason).toContain("version.ts");

    writeFileSync(version, 'export const VERSION = "v1";\n');
    const ready = await waitUntil(
      () => probe(`${url}/cdn-cgi/cairn/readyz`),
      (answer) => answer.status === 200,
      { timeoutMs: 30_000, intervalMs: 50, what: "readyz once the build is fixed" },
    );
    expect(ready.body).toMatchObject({ status: "ready", checks: { engine: { ok: true } } });
    expect((await probe(`${url}${EXPLORER}`)).status).toBe(401);
  });
});
