// End-to-end: `cairn dev` on the assets fixture with other routing settings: run_worker_first as
// a list of patterns (with a negative rule) and as true, each html_handling mode's redirects,
// 404-page (which answers every miss itself, so the Worker never sees one), the
// workflows-starter form of the section (a directory and single-page-application, no binding),
// and config errors that stop start-up naming the key and value.

import { afterAll, afterEach, describe, expect, it } from "vitest";
import { CairnProcess } from "../helpers/cairn-process.js";
import { copyFixture, removeProjects } from "../helpers/projects.js";
import { assetsProjectConfig, navigate, send, workerCalls, writeConfig } from "./helpers.js";

afterEach(async () => {
  await CairnProcess.killAll();
});
afterAll(() => removeProjects());

async function devWith(assets: Record<string, unknown>, drop: string[] = []): Promise<string> {
  const dir = copyFixture("assets-project");
  writeConfig(dir, assetsProjectConfig(assets, drop));
  return CairnProcess.start(["dev", "--port", "0"], dir).ready();
}

async function redirects(url: string, table: [string, number, string | undefined][]): Promise<void> {
  const seen: [string, number, string | undefined][] = [];
  for (const [path] of table) {
    const response = await send(url, path);
    seen.push([path, response.status, response.headers.location as string | undefined]);
  }
  expect(seen).toEqual(table);
}

describe("run_worker_first", () => {
  it("as patterns: positive rules reach the Worker first, negative ones stay with the assets", async () => {
    const url = await devWith({
      run_worker_first: ["/api/*", "!/api/docs/*", "/assets/app.js"],
      html_handling: "force-trailing-slash",
    });
    // A path a rule names goes to the Worker even though it is an asset.
    const script = await send(url, "/assets/app.js");
    expect(script.body).toBe("worker saw /assets/app.js");
    // A negative rule sends the path to the assets, whose miss is single-page-application's.
    const docs = await send(url, "/api/docs/intro");
    expect(docs.status).toBe(200);
    expect(docs.body).toContain("<h1>app</h1>");
    // Paths no rule names behave as by default.
    expect((await send(url, "/assets/digits.txt")).body).toBe("0123456789");
    expect((await send(url, "/nowhere")).body).toBe("worker saw /nowhere");
    expect(await workerCalls(url)).toBe(2);

    await redirects(url, [
      ["/about", 307, "/about/"],
      ["/about.html", 307, "/about/"],
      ["/about/", 200, undefined],
      ["/docs", 307, "/docs/"],
      ["/docs/index.html", 307, "/docs/"],
      ["/docs/", 200, undefined],
    ]);
  });

  it("as true: every request reaches the Worker, which can still use the ASSETS binding", async () => {
    const url = await devWith({ run_worker_first: true, html_handling: "none", not_found_handling: "none" });
    expect((await send(url, "/assets/app.js")).body).toBe("worker saw /assets/app.js");
    expect((await navigate(url, "/")).body).toBe("worker saw /");
    expect(await workerCalls(url)).toBe(2);
    // html_handling "none": only exact file names are assets.
    expect((await send(url, "/api/asset?path=/about.html")).body).toContain("<h1>about</h1>");
    expect((await send(url, "/api/asset?path=/about")).status).toBe(404);
    expect((await send(url, "/api/asset?path=/docs/")).status).toBe(404);
  });
});

describe("html_handling and not_found_handling", () => {
  it("drop-trailing-slash redirects to paths without a slash; 404-page answers every miss itself", async () => {
    // The call counter must reach the Worker, so a rule sends it there first.
    const url = await devWith(
      {
        html_handling: "drop-trailing-slash",
        not_found_handling: "404-page",
        run_worker_first: ["/api/calls"],
      },
      ["binding"],
    );
    await redirects(url, [
      ["/about", 200, undefined],
      ["/about/", 307, "/about"],
      ["/about.html", 307, "/about"],
      ["/docs", 200, undefined],
      ["/docs/", 307, "/docs"],
      ["/docs/index.html", 307, "/docs"],
    ]);
    const missing = await send(url, "/no/such/page");
    expect(missing.status).toBe(404);
    expect(missing.body).toContain("<h1>not found</h1>");
    // With a 404 page every GET has an asset answer, so only run_worker_first reaches the Worker.
    expect((await send(url, "/api/users")).status).toBe(404);
    expect((await send(url, "/api/users", { method: "POST", body: "{}" })).status).toBe(405);
    expect(await workerCalls(url)).toBe(0);
  });

  it("serves the workflows-starter form: a directory and single-page-application, no binding", async () => {
    const url = await devWith({}, ["binding"]);
    expect((await navigate(url, "/instances/abc")).body).toContain("<h1>app</h1>");
    expect(JSON.parse((await send(url, "/api/status")).body)).toMatchObject({ worker: true });
    expect((await send(url, "/assets/app.js")).status).toBe(200);
  });
});

describe("config errors", () => {
  async function failedDev(assets: Record<string, unknown>): Promise<string> {
    const dir = copyFixture("assets-project");
    writeConfig(dir, assetsProjectConfig(assets));
    const cairn = CairnProcess.start(["dev", "--port", "0"], dir);
    const exit = await cairn.exited;
    expect(exit.code).toBe(1);
    return cairn.stderr;
  }

  it("names a missing directory, a bad value with what is allowed, and a bad route pattern", async () => {
    expect(await failedDev({ directory: "./build" })).toMatch(
      /assets\.directory names .*build, which does not exist/,
    );
    expect(await failedDev({ not_found_handling: "spa" })).toContain(
      'assets.not_found_handling is "spa"; it must be one of "single-page-application", "404-page", "none"',
    );
    expect(await failedDev({ run_worker_first: ["/api/*", "api"] })).toContain(
      "'api': rules must start with '/' or '!/'",
    );
  });
});
