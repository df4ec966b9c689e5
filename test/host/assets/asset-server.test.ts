// Unit: the asset server against a real folder: headers Cloudflare sends, conditional and range
// requests, methods, canonical-path redirects, and paths that try to reach outside the folder
// (dot segments, encoded slashes and backslashes, NUL bytes, symlinks) never serving a file there.

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { AssetFiles, relativeAssetPath } from "../../../src/host/assets/asset-files.js";
import { AssetServer, decodeAssetPath } from "../../../src/host/assets/asset-server.js";
import type { AssetsConfig } from "../../../src/host/assets/assets-config.js";
import { AssetRuleFiles } from "../../../src/host/assets/rule-files.js";

const root = mkdtempSync(join(tmpdir(), "cairn-assets-server-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const dist = join(root, "dist");
mkdirSync(join(dist, "sub"), { recursive: true });
writeFileSync(join(dist, "index.html"), "<h1>home</h1>");
writeFileSync(join(dist, "app.js"), "console.log(1)");
writeFileSync(join(dist, "data.bin"), Buffer.from("0123456789"));
writeFileSync(join(dist, "sub", "style.css"), "body{}");
writeFileSync(join(dist, "café.txt"), "accent");
writeFileSync(join(dist, "[id].html"), "bracket");
writeFileSync(join(dist, "app.js.map"), "{}");
writeFileSync(join(dist, ".assetsignore"), "*.map\n");
writeFileSync(join(dist, "_headers"), "/nothing-matches-this\n  X-Test: 1\n");
writeFileSync(join(root, "secret.txt"), "outside the folder");
symlinkSync(join(root, "secret.txt"), join(dist, "link-out.txt"));
symlinkSync(join(dist, "app.js"), join(dist, "link-in.js"));

function server(overrides: Partial<AssetsConfig> = {}): AssetServer {
  const config: AssetsConfig = {
    directory: dist,
    binding: undefined,
    notFoundHandling: "none",
    htmlHandling: "auto-trailing-slash",
    runWorkerFirst: false,
    navigationPrefersAssets: true,
    ...overrides,
  };
  const files = new AssetFiles(dist);
  return new AssetServer(config, files, new AssetRuleFiles(files, pino({ level: "silent" })));
}

const get = (path: string, headers: Record<string, string> = {}, method = "GET") =>
  server().serve(new Request(`http://localhost${path}`, { method, headers }));

describe("asset responses", () => {
  it("sends Content-Type, a quoted strong ETag and Cloudflare's Cache-Control", async () => {
    const html = await get("/");
    expect(html.status).toBe(200);
    expect(html.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(html.headers.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
    expect(html.headers.get("cache-control")).toBe("public, max-age=0, must-revalidate");
    expect(await html.text()).toBe("<h1>home</h1>");
    expect((await get("/app.js")).headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect((await get("/sub/style.css")).headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect((await get("/data.bin")).headers.get("content-type")).toBe("application/octet-stream");
    expect((await get("/", { Authorization: "Bearer x" })).headers.has("cache-control")).toBe(false);
  });

  it("answers a matching If-None-Match with 304 and no body; a stale one gets the file", async () => {
    const etag = (await get("/app.js")).headers.get("etag")!;
    const same = await get("/app.js", { "If-None-Match": etag });
    expect(same.status).toBe(304);
    expect(same.headers.get("etag")).toBe(etag);
    expect(await same.text()).toBe("");
    expect((await get("/app.js", { "If-None-Match": `W/${etag}` })).status).toBe(304);
    expect((await get("/app.js", { "If-None-Match": `"other", ${etag}` })).status).toBe(304);
    expect((await get("/app.js", { "If-None-Match": '"other"' })).status).toBe(200);
  });

  it("serves byte ranges with 206 and refuses unsatisfiable ones with 416", async () => {
    const part = await get("/data.bin", { Range: "bytes=2-5" });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe("bytes 2-5/10");
    expect(part.headers.has("cache-control")).toBe(false);
    expect(await part.text()).toBe("2345");
    const suffix = await get("/data.bin", { Range: "bytes=-3" });
    expect(await suffix.text()).toBe("789");
    const beyond = await get("/data.bin", { Range: "bytes=20-30" });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get("content-range")).toBe("bytes */10");
    // A malformed Range is ignored: the whole file is sent.
    const malformed = await get("/data.bin", { Range: "lines=1-2" });
    expect(malformed.status).toBe(200);
    expect(await malformed.text()).toBe("0123456789");
    // If-Range naming another version sends the whole file.
    const changed = await get("/data.bin", { Range: "bytes=0-1", "If-Range": '"old"' });
    expect(changed.status).toBe(200);
  });

  it("answers HEAD with the headers and no body", async () => {
    const head = await get("/app.js", {}, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("14");
    expect(await head.text()).toBe("");
  });

  it("refuses other methods on an asset with 405 and answers an empty 404 for a miss", async () => {
    const post = await get("/app.js", {}, "POST");
    expect(post.status).toBe(405);
    expect(post.statusText).toBe("Method Not Allowed");
    const miss = await get("/missing.js");
    expect(miss.status).toBe(404);
    expect(await miss.text()).toBe("");
    expect((await get("/missing.js", {}, "POST")).status).toBe(404);
  });

  it("serves percent-encoded names and redirects other spellings to the encoded one", async () => {
    const accent = await get("/caf%C3%A9.txt");
    expect(await accent.text()).toBe("accent");
    const bracket = await get("/[id]", {});
    expect(bracket.status).toBe(307);
    expect(bracket.headers.get("location")).toBe("/%5Bid%5D");
    const doubled = await get("//app.js?v=1");
    expect(doubled.status).toBe(307);
    expect(doubled.headers.get("location")).toBe("/app.js?v=1");
  });

  it("never serves files that .assetsignore excludes, nor the rule files", async () => {
    expect((await get("/app.js.map")).status).toBe(404);
    expect((await get("/.assetsignore")).status).toBe(404);
    expect((await get("/_headers")).status).toBe(404);
  });
});

describe("path safety", () => {
  it("refuses dot segments, backslashes and NUL bytes in a decoded path", () => {
    for (const path of [
      "/../secret.txt",
      "/sub/../../secret.txt",
      "/./app.js",
      "/sub/..",
      "/a\\..\\b",
      "/a\0b",
      "x",
    ]) {
      expect(relativeAssetPath(path)).toBeNull();
    }
    expect(relativeAssetPath("/sub/style.css")).toBe("sub/style.css");
  });

  it("never serves a file outside the folder, however the path is spelt", async () => {
    const attempts = [
      "/..%2fsecret.txt",
      "/..%2Fsecret.txt",
      "/sub/..%2f..%2fsecret.txt",
      "/%2e%2e/secret.txt",
      "/sub/%2e%2e%2f%2e%2e%2fsecret.txt",
      "/..%5csecret.txt",
      "/%2e%2e%5csecret.txt",
      "/secret.txt%00",
      "/link-out.txt",
    ];
    for (const path of attempts) {
      for (const notFound of ["none", "single-page-application", "404-page"] as const) {
        const response = await server({ notFoundHandling: notFound }).serve(
          new Request(`http://localhost${path}`),
        );
        const body = await response.text();
        expect(body, `${path} (${notFound})`).not.toContain("outside the folder");
      }
    }
  });

  it("decodes encoded slashes into real ones, so a path cannot hide a traversal in one segment", () => {
    expect(decodeAssetPath("/..%2fsecret.txt")).toBe("/../secret.txt");
    expect(decodeAssetPath("/a%2Fb")).toBe("/a/b");
    expect(decodeAssetPath("/bad%E0%A4%A")).toBe("/bad%E0%A4%A");
  });

  it("follows a symlink that stays inside the folder", async () => {
    expect(await (await get("/link-in.js")).text()).toBe("console.log(1)");
  });
});
