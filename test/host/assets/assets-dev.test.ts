// End-to-end: a real `cairn dev` serving a full-stack project with static assets (a built SPA in
// dist/ and a Worker for /api/*). Assets are served without waking the Worker (its call counter
// proves it), navigations that match no asset get index.html, other misses reach the Worker,
// conditional and range requests work over HTTP, the ASSETS binding serves from Worker code, a
// file changed or added while it runs is served at the next request, and no path reaches outside
// the assets folder.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CairnProcess } from "../helpers/cairn-process.js";
import { copyFixture, removeProjects } from "../helpers/projects.js";
import { assetsProjectConfig, navigate, send, workerCalls, writeConfig } from "./helpers.js";

afterAll(async () => {
  await CairnProcess.killAll();
  removeProjects();
});

describe("cairn dev with static assets", () => {
  const dir = copyFixture("assets-project");
  let cairn: CairnProcess;
  let url: string;

  beforeAll(async () => {
    cairn = CairnProcess.start(["dev", "--port", "0"], dir);
    url = await cairn.ready();
  });

  it("serves assets without calling the Worker", async () => {
    const script = await send(url, "/assets/app.js");
    expect(script.status).toBe(200);
    expect(script.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(script.headers["cache-control"]).toBe("public, max-age=0, must-revalidate");
    expect(script.body).toBe('console.log("app");\n');
    const home = await send(url, "/");
    expect(home.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(home.body).toContain("<h1>app</h1>");
    expect((await send(url, "/about")).body).toContain("<h1>about</h1>");
    expect((await send(url, "/docs/")).body).toContain("<h1>docs</h1>");
    expect(await workerCalls(url)).toBe(0);
  });

  it("answers a navigation that matches no asset with index.html, without the Worker", async () => {
    const page = await navigate(url, "/settings/profile/7");
    expect(page.status).toBe(200);
    expect(page.body).toContain("<h1>app</h1>");
    expect(await workerCalls(url)).toBe(0);
  });

  it("sends a miss that is not a navigation to the Worker", async () => {
    const before = await workerCalls(url);
    const miss = await send(url, "/settings/profile/7", { headers: { "Sec-Fetch-Mode": "cors" } });
    expect(miss.status).toBe(404);
    expect(miss.body).toBe("worker saw /settings/profile/7");
    const api = await send(url, "/api/users");
    expect(JSON.parse(api.body)).toEqual({ worker: true, method: "GET", path: "/api/users" });
    const post = await send(url, "/api/users", { method: "POST", body: "{}" });
    expect(JSON.parse(post.body)).toMatchObject({ worker: true, method: "POST" });
    expect(await workerCalls(url)).toBe(before + 3);
  });

  it("refuses a method other than GET or HEAD on an asset with 405, as Cloudflare does", async () => {
    const before = await workerCalls(url);
    const post = await send(url, "/assets/app.js", { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    expect(await workerCalls(url)).toBe(before);
  });

  it("answers If-None-Match with 304 and HEAD without a body", async () => {
    const first = await send(url, "/assets/app.js");
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const again = await send(url, "/assets/app.js", { headers: { "If-None-Match": etag } });
    expect(again.status).toBe(304);
    expect(again.body).toBe("");
    const head = await send(url, "/assets/app.js", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe(String(first.body.length));
    expect(head.body).toBe("");
  });

  it("serves Range requests with 206 and refuses unsatisfiable ones with 416", async () => {
    const part = await send(url, "/assets/digits.txt", { headers: { Range: "bytes=3-6" } });
    expect(part.status).toBe(206);
    expect(part.headers["content-range"]).toBe("bytes 3-6/10");
    expect(part.body).toBe("3456");
    const beyond = await send(url, "/assets/digits.txt", { headers: { Range: "bytes=50-" } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers["content-range"]).toBe("bytes */10");
  });

  it("redirects the other spellings of an HTML page with 307 (auto-trailing-slash)", async () => {
    for (const [path, location] of [
      ["/about.html", "/about"],
      ["/about/", "/about"],
      ["/docs", "/docs/"],
      ["/docs/index.html", "/docs/"],
      ["/index.html?x=1", "/?x=1"],
    ]) {
      const response = await send(url, path!);
      expect([path, response.status, response.headers.location]).toEqual([path, 307, location]);
    }
  });

  it("serves from the ASSETS binding in Worker code, not_found_handling included", async () => {
    const script = await send(url, "/api/asset?path=/assets/app.js");
    expect(script.status).toBe(200);
    expect(script.body).toBe('console.log("app");\n');
    const spa = await send(url, "/api/asset?path=/no/such/page");
    expect(spa.status).toBe(200);
    expect(spa.body).toContain("<h1>app</h1>");
    const redirect = await send(url, "/api/asset?path=/about.html");
    expect(redirect.status).toBe(307);
    expect(redirect.headers.location).toBe("/about");
  });

  it("applies _redirects and _headers ahead of the Worker, and serves neither file", async () => {
    const before = await workerCalls(url);
    const moved = await send(url, "/old-about?from=nav");
    expect([moved.status, moved.headers.location]).toEqual([301, "/about?from=nav"]);
    expect((await send(url, "/assets/digits.txt")).headers["x-asset-rule"]).toBe("digits.txt");
    expect((await send(url, "/")).headers["x-asset-rule"]).toBeUndefined();
    expect(await workerCalls(url)).toBe(before);
    for (const file of ["/_redirects", "/_headers"]) {
      const response = await send(url, file);
      expect(response.body).not.toContain("/old-about");
      expect(response.body).not.toContain("X-Asset-Rule");
    }
  });

  it("serves a changed or new file at the next request, without a restart", async () => {
    const before = await send(url, "/assets/app.js");
    writeFileSync(join(dir, "dist", "assets", "app.js"), 'console.log("v2");\n');
    const after = await send(url, "/assets/app.js");
    expect(after.body).toBe('console.log("v2");\n');
    expect(after.headers.etag).not.toBe(before.headers.etag);
    const stale = await send(url, "/assets/app.js", {
      headers: { "If-None-Match": before.headers.etag as string },
    });
    expect(stale.status).toBe(200);

    mkdirSync(join(dir, "dist", "fresh"));
    writeFileSync(join(dir, "dist", "fresh", "new.css"), "p{}");
    const added = await send(url, "/fresh/new.css");
    expect(added.status).toBe(200);
    expect(added.headers["content-type"]).toBe("text/css; charset=utf-8");
    expect(added.body).toBe("p{}");
  });

  it("never serves a file outside the assets folder", async () => {
    writeFileSync(join(dir, "secret.txt"), "top secret");
    for (const path of [
      "/../secret.txt",
      "/..%2fsecret.txt",
      "/assets/..%2f..%2fsecret.txt",
      "/%2e%2e/%2e%2e/secret.txt",
      "/..%5csecret.txt",
      "/assets/%2e%2e%5c%2e%2e%5csecret.txt",
      "/../wrangler.jsonc",
      "/..%2fwrangler.jsonc",
    ]) {
      for (const response of [await send(url, path), await navigate(url, path)]) {
        expect(response.body, path).not.toContain("top secret");
        expect(response.body, path).not.toContain('"assets-project"');
      }
    }
  });

  it("applies an edited assets section after the config reload", async () => {
    writeConfig(dir, assetsProjectConfig({ not_found_handling: "none" }));
    await cairn.waitForLog((line) => line.msg === "reloaded" && line.restarted === true, "the config reload");
    const miss = await navigate(url, "/settings/profile/7");
    expect(miss.body).toBe("worker saw /settings/profile/7");
  });
});
