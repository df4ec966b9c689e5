// End-to-end: `cairn dev` reloading. A source change swaps the code without losing instances
// (an in-flight one continues on the new code at its next step, a waiting one wakes on it); a
// syntax error is reported with file and line while the last good build keeps serving; a change
// to .dev.vars restarts the engine with the new secrets and the same instances.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitUntil } from "cairn/testing";
import { afterAll, describe, expect, it } from "vitest";
import { CairnProcess } from "./helpers/cairn-process.js";
import { copyFixture, getJson, postJson, removeProjects, waitForHttpStatus } from "./helpers/projects.js";

afterAll(async () => {
  await CairnProcess.killAll();
  removeProjects();
});

async function text(url: string): Promise<string> {
  return (await fetch(url)).text();
}

function waitForText(url: string, wanted: string) {
  return waitUntil(
    () => text(url),
    (body) => body === wanted,
    { timeoutMs: 20_000, intervalMs: 25, what: `${url} to answer "${wanted}"` },
  );
}

describe("cairn dev reloading", () => {
  const dir = copyFixture("orders-jsonc");
  const indexFile = join(dir, "src", "index.ts");
  const goodIndex = readFileSync(indexFile, "utf8");
  let cairn: CairnProcess;
  let url: string;

  it("swaps the code on a source change; instances continue on the new code at their next step", async () => {
    cairn = CairnProcess.start(["dev", "--port", "0"], dir);
    url = await cairn.ready();
    await postJson(url, "/orders", { id: "in-flight", params: { items: ["a"], hold: true } });
    await postJson(url, "/orders", { id: "parked", params: { items: ["b"] } });
    await waitUntil(
      async () => (await getJson(url, "/held/in-flight")).body.held,
      (held) => held === true,
      { timeoutMs: 20_000, what: "the in-flight step to be running" },
    );
    await waitForHttpStatus(url, "/orders/parked", "waiting");

    writeFileSync(join(dir, "src", "version.ts"), 'export const VERSION = "v2";\n');
    await waitForText(`${url}/version`, "v2");

    await fetch(`${url}/release/in-flight`);
    for (const id of ["in-flight", "parked"]) {
      await waitForHttpStatus(url, `/orders/${id}`, "waiting");
      await postJson(url, `/orders/${id}/events/shipped`, { carrier: id });
    }
    const inFlight = await waitForHttpStatus(url, "/orders/in-flight", ["complete", "errored"]);
    const parked = await waitForHttpStatus(url, "/orders/parked", ["complete", "errored"]);
    // Steps finished before the reload keep their results; the steps after it ran the new code.
    expect(inFlight.output).toMatchObject({
      reserved: { startedOn: "v1" },
      afterHold: { ranOn: "v2" },
      receipt: { version: "v2" },
    });
    expect(parked.output).toMatchObject({ reserved: { startedOn: "v1" }, receipt: { version: "v2" } });
  });

  it("shows a syntax error with file and line and keeps serving the last good build", async () => {
    const lines = goodIndex.split("\n");
    const at = lines.findIndex((l) => l.includes('if (first === "version")'));
    lines[at] = lines[at]!.replace("new Response(VERSION)", "new Response(VERSION;");
    writeFileSync(indexFile, lines.join("\n"));

    const failure = await cairn.waitForLog((l) => l.msg.startsWith("build failed"), "the build failure");
    expect(failure.msg).toBe("build failed; still serving the last good build");
    expect(failure.error).toContain(`src/index.ts:${at + 1}:`);
    expect(failure.error).toContain('Expected ")" but found ";"');

    expect(await text(`${url}/version`)).toBe("v2");
    const created = await postJson(url, "/orders", { id: "during-error", params: { items: ["c"] } });
    expect(created.status).toBe(201);
    await waitForHttpStatus(url, "/orders/during-error", "waiting");

    writeFileSync(indexFile, goodIndex.replace("new Response(VERSION)", 'new Response(VERSION + ", fixed")'));
    await waitForText(`${url}/version`, "v2, fixed");
  });

  it("ignores changes to files that are not part of the Worker, such as a log written in the folder", async () => {
    writeFileSync(join(dir, "server.log"), "a line\n");
    writeFileSync(join(dir, "src", "version.ts"), 'export const VERSION = "v3";\n');
    await waitForText(`${url}/version`, "v3, fixed");
    const rebuilds = cairn.logs().filter((l) => l.msg === "change detected, rebuilding");
    expect(rebuilds.flatMap((l) => l.paths as string[]).filter((p) => p.endsWith("server.log"))).toEqual([]);
  });

  it("restarts the engine with new secrets when .dev.vars changes, keeping the instances", async () => {
    writeFileSync(join(dir, ".dev.vars"), 'SECRET_TOKEN="rotated"\n');
    await waitUntil(
      async () => (await getJson(url, "/env")).body.secret,
      (secret) => secret === "rotated",
      { timeoutMs: 20_000, what: "the new secret" },
    );
    await postJson(url, "/orders/during-error/events/shipped", { carrier: "after restart" });
    const done = await waitForHttpStatus(url, "/orders/during-error", ["complete", "errored"]);
    expect(done.output).toMatchObject({ carrier: "after restart", receipt: { version: "v3" } });
    expect(await cairn.kill("SIGTERM")).toEqual({ code: 0, signal: null });
  });
});
