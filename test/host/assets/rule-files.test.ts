// Unit: the `_redirects` and `_headers` files: parsing (with bad lines skipped and reported),
// matching with splats and placeholders, and their effect on the asset server's responses,
// including an edit taking effect at the next request.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { AssetFiles } from "../../../src/host/assets/asset-files.js";
import { AssetServer } from "../../../src/host/assets/asset-server.js";
import type { AssetsConfig } from "../../../src/host/assets/assets-config.js";
import { parseHeadersFile } from "../../../src/host/assets/headers-file.js";
import {
  findRedirect,
  parseRedirectsFile,
  redirectLocation,
} from "../../../src/host/assets/redirects-file.js";
import { AssetRuleFiles } from "../../../src/host/assets/rule-files.js";

const root = mkdtempSync(join(tmpdir(), "cairn-assets-rules-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("_redirects", () => {
  const { rules, problems } = parseRedirectsFile(
    [
      "# comments and blank lines are skipped",
      "",
      "/old /new 301",
      "/blog/* /posts/:splat",
      "/users/:id/profile /people/:id 308",
      "/app/* /index.html 200",
      "https://:sub.example.com/* https://example.com/:sub/:splat 301",
      "/temp /elsewhere",
      "/old /ignored-duplicate 301",
      "/bad-status /x 404",
      "no-slash /x",
      "/two/*/stars/* /x",
      "/proxy https://other.example 200",
      "/too many fields 301 x",
    ].join("\n"),
  );

  it("reports the lines it leaves out with their number", () => {
    expect(problems).toEqual([
      "_redirects line 10: status 404 is not one of 200, 301, 302, 303, 307, 308",
      "_redirects line 11: no-slash: it must start with / or https://",
      "_redirects line 12: /two/*/stars/*: it may use * only once",
      "_redirects line 13: a 200 rule must serve a path of this site",
      "_redirects line 14: expected <from> <to> [status]",
    ]);
  });

  it("matches single paths first, then patterns in file order, filling placeholders", () => {
    const at = (href: string) => findRedirect(rules, new URL(href));
    expect(at("http://h/old")).toEqual({ status: 301, to: "/new" });
    expect(at("http://h/temp")).toEqual({ status: 302, to: "/elsewhere" });
    expect(at("http://h/blog/2024/hello")).toEqual({ status: 302, to: "/posts/2024/hello" });
    expect(at("http://h/users/42/profile")).toEqual({ status: 308, to: "/people/42" });
    expect(at("http://h/users/42/x/profile")).toBeNull();
    expect(at("http://docs.example.com/a/b")).toEqual({ status: 301, to: "https://example.com/docs/a/b" });
    expect(at("http://h/app/settings")).toEqual({ status: 200, to: "/index.html" });
    expect(at("http://h/nothing")).toBeNull();
  });

  it("keeps the request's query unless the target has its own", () => {
    expect(redirectLocation("/new", new URL("http://h/old?a=1"))).toBe("/new?a=1");
    expect(redirectLocation("/new?b=2", new URL("http://h/old?a=1"))).toBe("/new?b=2");
    expect(redirectLocation("https://x.example/p", new URL("http://h/old?a=1"))).toBe(
      "https://x.example/p?a=1",
    );
  });
});

describe("_headers", () => {
  it("parses rules, reporting header lines without a pattern and malformed ones", () => {
    const { rules, problems } = parseHeadersFile(
      [
        "  X-Orphan: 1",
        "/*",
        "  X-Frame-Options: DENY",
        "  not a header",
        "/a/:name",
        "  ! Cache-Control",
      ].join("\n"),
    );
    expect(rules).toHaveLength(2);
    expect(problems).toEqual([
      "_headers line 1: a header line must follow a URL pattern line",
      '_headers line 4: expected Name: value, got "not a header"',
    ]);
  });
});

describe("rule files on the asset server", () => {
  const dist = join(root, "dist");
  mkdirSync(join(dist, "docs"), { recursive: true });
  writeFileSync(join(dist, "index.html"), "home");
  writeFileSync(join(dist, "app.js"), "js");
  writeFileSync(join(dist, "docs", "guide.html"), "guide");
  writeFileSync(
    join(dist, "_redirects"),
    "/old /app.js 301\n/app/* / 200\n/page/* /index.html 200\n/gone/* /missing.html 200\n",
  );
  writeFileSync(
    join(dist, "_headers"),
    [
      "/*",
      "  X-Frame-Options: DENY",
      "  X-Multi: one",
      "/docs/:page",
      "  X-Page: :page",
      "  X-Multi: two",
      "  ! Cache-Control",
    ].join("\n"),
  );
  const config: AssetsConfig = {
    directory: dist,
    binding: undefined,
    notFoundHandling: "none",
    htmlHandling: "auto-trailing-slash",
    runWorkerFirst: false,
    navigationPrefersAssets: true,
  };
  const files = new AssetFiles(dist);
  const server = new AssetServer(config, files, new AssetRuleFiles(files, pino({ level: "silent" })));
  const get = (path: string) => server.serve(new Request(`http://localhost${path}`));

  it("redirects with the rule's status and serves a 200 rule's asset at the requested URL", async () => {
    const moved = await get("/old?v=2");
    expect(moved.status).toBe(301);
    expect(moved.headers.get("location")).toBe("/app.js?v=2");
    const rewritten = await get("/app/settings/7");
    expect(rewritten.status).toBe(200);
    expect(await rewritten.text()).toBe("home");
    // The target goes through html_handling like any path: /index.html is spelt / canonically.
    const spelt = await get("/page/x");
    expect([spelt.status, spelt.headers.get("location")]).toEqual([307, "/"]);
    expect((await get("/gone/x")).status).toBe(404);
    expect(await server.answers(new Request("http://localhost/gone/x"))).toBe(true);
  });

  it("adds headers of every matching rule, appending a header two rules set and removing unset ones", async () => {
    const home = await get("/");
    expect(home.headers.get("x-frame-options")).toBe("DENY");
    expect(home.headers.get("cache-control")).toBe("public, max-age=0, must-revalidate");
    const guide = await get("/docs/guide");
    expect(guide.headers.get("x-page")).toBe("guide");
    expect(guide.headers.get("x-multi")).toBe("one, two");
    expect(guide.headers.has("cache-control")).toBe(false);
    // Headers apply to every answer of the assets: redirects and misses too.
    expect((await get("/old")).headers.get("x-frame-options")).toBe("DENY");
    expect((await get("/missing")).headers.get("x-frame-options")).toBe("DENY");
  });

  it("applies an edited rule file at the next request", async () => {
    writeFileSync(join(dist, "_redirects"), "/old /docs/guide 302\n");
    const moved = await get("/old");
    expect(moved.status).toBe(302);
    expect(moved.headers.get("location")).toBe("/docs/guide");
  });
});
