// Unit: the run_worker_first route patterns (matching, negation, the checks Cloudflare makes) and
// the .assetsignore matcher.

import { describe, expect, it } from "vitest";
import { AssetsIgnore } from "../../../src/host/assets/ignore-file.js";
import { parseRouteRules, type RouteRules, routeFor } from "../../../src/host/assets/route-rules.js";

function rules(input: string[]): RouteRules {
  const parsed = parseRouteRules(input);
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
}

describe("run_worker_first rules", () => {
  it("sends paths a positive rule matches to the Worker, and negative rules win", () => {
    const r = rules(["/api/*", "!/api/docs/*", "/exact"]);
    expect(routeFor(r, "/api/users")).toBe("worker");
    expect(routeFor(r, "/api/users/7/posts")).toBe("worker");
    expect(routeFor(r, "/api/docs/intro")).toBe("assets");
    expect(routeFor(r, "/exact")).toBe("worker");
    expect(routeFor(r, "/exact/more")).toBe("either");
    expect(routeFor(r, "/apix")).toBe("either");
    expect(routeFor(r, "/")).toBe("either");
  });

  it("treats regular-expression characters literally and * as any run of characters", () => {
    const r = rules(["/a.b/*.json", "/x+(y)"]);
    expect(routeFor(r, "/a.b/c/d.json")).toBe("worker");
    expect(routeFor(r, "/aXb/c.json")).toBe("either");
    expect(routeFor(r, "/x+(y)")).toBe("worker");
    expect(routeFor(r, "/xx(y)")).toBe("either");
  });

  it("refuses rules Cloudflare refuses, saying why", () => {
    expect(parseRouteRules([])).toContain("give at least 1 rule");
    expect(parseRouteRules(["!/assets/*"])).toContain("only negative rules were given");
    expect(parseRouteRules(["api/*"])).toContain("'api/*': rules must start with '/' or '!/'");
    expect(parseRouteRules(["/a", "!api"])).toContain("'!api': negative rules must start with '!/'");
    expect(parseRouteRules(["/a", "/a"])).toContain("'/a': rule is a duplicate; rules must be unique");
    expect(parseRouteRules(["/api/*", "/api/users"])).toContain(
      "'/api/users': rule '/api/*' makes it redundant",
    );
    expect(parseRouteRules([`/${"x".repeat(100)}`])).toContain("less than 100 characters");
    expect(parseRouteRules(Array.from({ length: 101 }, (_, i) => `/r${i}`))).toContain("at most 100");
  });
});

describe(".assetsignore", () => {
  it("excludes what gitignore patterns name, and re-includes with !", () => {
    const ignore = new AssetsIgnore(
      ["# build leftovers", "*.map", "/secret.txt", "drafts/", "!drafts/keep.html", "cache/**/tmp", ""].join(
        "\n",
      ),
    );
    expect(ignore.ignores("app.js.map")).toBe(true);
    expect(ignore.ignores("deep/down/app.js.map")).toBe(true);
    expect(ignore.ignores("app.js")).toBe(false);
    expect(ignore.ignores("secret.txt")).toBe(true);
    expect(ignore.ignores("sub/secret.txt")).toBe(false);
    expect(ignore.ignores("drafts/post.html")).toBe(true);
    expect(ignore.ignores("nested/drafts/post.html")).toBe(true);
    expect(ignore.ignores("drafts")).toBe(false);
    expect(ignore.ignores("cache/tmp")).toBe(true);
    expect(ignore.ignores("cache/a/b/tmp")).toBe(true);
  });

  it("never serves the rule files themselves", () => {
    const ignore = new AssetsIgnore("");
    for (const name of [".assetsignore", "_headers", "_redirects"]) expect(ignore.ignores(name)).toBe(true);
    expect(ignore.ignores("sub/_headers")).toBe(false);
  });
});
