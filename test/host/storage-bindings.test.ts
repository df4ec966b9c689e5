// End-to-end: a real `cairn dev` serving a project with KV and D1 bindings. The Worker and a
// workflow step write to both; the process is killed with SIGKILL; a new process on the same
// project reads every write back (through both bindings of the shared KV namespace), and the
// data sits in the files documented for it. Bad input reaches the Worker as Cloudflare's errors.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CairnProcess } from "./helpers/cairn-process.js";
import { copyFixture, getJson, postJson, removeProjects, waitForHttpStatus } from "./helpers/projects.js";

afterAll(async () => {
  await CairnProcess.killAll();
  removeProjects();
});

describe("KV and D1 in cairn dev", () => {
  it("keeps what the Worker and a workflow step wrote across a SIGKILL", async () => {
    const dir = copyFixture("storage-project");
    const first = CairnProcess.start(["dev", "--port", "0"], dir);
    let url = await first.ready();

    const put = await fetch(`${url}/kv/greeting`, { method: "PUT", body: "hello" });
    expect(put.status).toBe(204);
    expect((await postJson(url, "/notes/first%20note", {})).status).toBe(201);
    await postJson(url, "/flow/f1", {});
    const done = await waitForHttpStatus(url, "/flow/f1", "complete");
    expect(done.output).toEqual({ lastRowId: 2 });

    expect(await first.kill("SIGKILL")).toEqual({ code: null, signal: "SIGKILL" });

    const second = CairnProcess.start(["dev", "--port", "0"], dir);
    url = await second.ready();
    expect((await getJson(url, "/kv/greeting")).body).toEqual({
      value: "hello",
      metadata: { by: "fetch" },
      cacheStatus: null,
    });
    expect((await getJson(url, "/alias/greeting")).body).toMatchObject({ value: "hello" });
    expect((await getJson(url, "/kv/flow:f1")).body).toEqual({
      value: JSON.stringify({ note: "f1" }),
      metadata: { by: "workflow" },
      cacheStatus: null,
    });
    expect((await getJson(url, "/kv")).body).toEqual({
      keys: [
        { name: "flow:f1", metadata: { by: "workflow" } },
        { name: "greeting", metadata: { by: "fetch" } },
      ],
      list_complete: true,
      cacheStatus: null,
    });
    expect((await getJson(url, "/notes")).body).toEqual([
      { text: "first note", source: "fetch" },
      { text: "flow f1", source: "workflow" },
    ]);
    expect(existsSync(join(dir, ".cairn", "kv.sqlite"))).toBe(true);
    expect(existsSync(join(dir, ".cairn", "d1", "notes-db-id.sqlite"))).toBe(true);
  });

  it("hands the Worker Cloudflare's errors for bad KV and D1 input", async () => {
    const dir = copyFixture("storage-project");
    const cairn = CairnProcess.start(["dev", "--port", "0"], dir);
    const url = await cairn.ready();
    expect((await getJson(url, "/error/kv")).body).toEqual({
      failed: true,
      name: "Error",
      message: "KV PUT failed: 400 Invalid expiration_ttl of 10. Expiration TTL must be at least 60.",
    });
    expect((await getJson(url, "/error/d1")).body).toEqual({
      failed: true,
      name: "Error",
      message: "D1_ERROR: no such table: nowhere: SQLITE_ERROR",
    });
  });
});
