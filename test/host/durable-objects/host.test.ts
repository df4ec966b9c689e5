// End-to-end: a real `cairn dev` on a project with a SQLite-backed Durable Object. A workflow's
// steps and the Worker call it over RPC and through stub.fetch, a missing method fails as on
// Cloudflare, an alarm fires; then the process is killed with SIGKILL and started again: storage
// is kept and an alarm set before the kill fires after the restart. A source change rebuilds the
// object from the new class on the same storage.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitUntil } from "cairn/testing";
import { afterAll, describe, expect, it } from "vitest";
import { CairnProcess } from "../helpers/cairn-process.js";
import { copyFixture, getJson, postJson, removeProjects, waitForHttpStatus } from "../helpers/projects.js";

afterAll(async () => {
  await CairnProcess.killAll();
  removeProjects();
});

function waitForAlarm(url: string, name: string, fired: number) {
  return waitUntil(
    async () => (await getJson(url, `/alarm/${name}`)).body,
    (state: { fired: number }) => state.fired === fired,
    { timeoutMs: 20_000, intervalMs: 50, what: `the alarm of ${name} to have fired ${fired} time(s)` },
  );
}

describe("Durable Objects in cairn dev", () => {
  const dir = copyFixture("durable-objects-project");
  let cairn: CairnProcess;
  let url: string;

  it("serves RPC from the Worker and from workflow steps, stub.fetch, and Cloudflare's missing-method error", async () => {
    cairn = CairnProcess.start(["dev", "--port", "0"], dir);
    url = await cairn.ready();
    expect(cairn.logs().some((l) => l.msg.startsWith("config key ignored") && l.key === "migrations")).toBe(
      false,
    );

    expect((await postJson(url, "/workflow/w1", {})).status).toBe(201);
    const done = await waitForHttpStatus(url, "/workflow/w1", ["complete", "errored"]);
    expect(done.output).toEqual({ first: 1, second: 11 });

    const counted = await getJson(url, "/count/w1");
    expect(counted.body).toMatchObject({ value: 11, bumps: 2, path: "/count/w1" });
    expect(counted.body.id).toMatch(/^[0-9a-f]{64}$/);

    expect((await postJson(url, "/increment/a", {})).body).toEqual({ value: 1 });
    expect((await getJson(url, "/missing/a")).body).toEqual({
      error: 'The RPC receiver does not implement the method "nope".',
      name: "TypeError",
      remote: true,
    });
  });

  it("fires an alarm when it is due", async () => {
    const set = await postJson(url, "/alarm/soon?in=200", {});
    expect(typeof set.body.at).toBe("number");
    expect(await waitForAlarm(url, "soon", 1)).toEqual({ fired: 1, pending: null });
  });

  it("keeps storage and fires an alarm set before a SIGKILL after the restart", async () => {
    await postJson(url, "/alarm/later?in=1500", {});
    expect((await getJson(url, "/alarm/later")).body.fired).toBe(0);
    const exit = await cairn.kill("SIGKILL");
    expect(exit.signal).toBe("SIGKILL");

    cairn = CairnProcess.start(["dev", "--port", "0"], dir);
    url = await cairn.ready();
    expect(await waitForAlarm(url, "later", 1)).toEqual({ fired: 1, pending: null });
    expect((await getJson(url, "/count/w1")).body).toMatchObject({ value: 11, bumps: 2 });
    expect((await postJson(url, "/increment/a", {})).body).toEqual({ value: 2 });
    expect((await getJson(url, "/alarm/soon")).body).toEqual({ fired: 1, pending: null });
  });

  it("rebuilds live objects from the new class after a reload, on the same storage", async () => {
    const file = join(dir, "src", "index.js");
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace("path: new URL(request.url).pathname,", 'path: "reloaded",'),
    );
    const reloaded = await waitUntil(
      async () => (await getJson(url, "/count/w1")).body,
      (body: { path: string }) => body.path === "reloaded",
      { timeoutMs: 20_000, intervalMs: 50, what: "the object to answer from the new class" },
    );
    expect(reloaded).toMatchObject({ value: 11, bumps: 2 });
  });

  it("refuses a build that no longer exports a bound class and keeps serving the last good one", async () => {
    const file = join(dir, "src", "index.js");
    writeFileSync(file, readFileSync(file, "utf8").replace("export class Counter", "class Counter"));
    const failure = await cairn.waitForLog((l) => l.msg.startsWith("build failed"), "the build failure");
    expect(failure.error).toContain(
      'Durable Object binding COUNTER: class_name "Counter" is not a class exported by index.js',
    );
    expect((await getJson(url, "/count/w1")).body).toMatchObject({ value: 11, path: "reloaded" });
  });
});
