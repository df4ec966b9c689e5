// Unit: reading the `assets` section: defaults, the folder relative to the config file, the
// navigation compatibility switch, and a clear error naming the key, the value and what is
// allowed for every bad value.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readAssetsConfig } from "../../../src/host/assets/assets-config.js";
import { HostError } from "../../../src/host/host-error.js";

const dir = mkdtempSync(join(tmpdir(), "cairn-assets-config-"));
mkdirSync(join(dir, "dist"));
writeFileSync(join(dir, "file.txt"), "not a folder");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const path = join(dir, "wrangler.json");
const modern: { date: string | undefined; flags: string[] } = { date: "2025-09-01", flags: [] };
const read = (assets: unknown, compatibility = modern) =>
  readAssetsConfig({ assets } as Record<string, unknown>, dir, path, compatibility);

function failure(assets: unknown): HostError {
  try {
    read(assets);
  } catch (error) {
    if (error instanceof HostError) return error;
    throw error;
  }
  throw new Error("expected a config error");
}

describe("assets config", () => {
  it("is null without an assets section and fills in Cloudflare's defaults", () => {
    expect(readAssetsConfig({}, dir, path, modern)).toBeNull();
    expect(read({ directory: "./dist" })).toEqual({
      directory: join(dir, "dist"),
      binding: undefined,
      notFoundHandling: "none",
      htmlHandling: "auto-trailing-slash",
      runWorkerFirst: false,
      navigationPrefersAssets: true,
    });
  });

  it("reads every key", () => {
    const config = read({
      directory: "dist",
      binding: "ASSETS",
      not_found_handling: "single-page-application",
      html_handling: "drop-trailing-slash",
      run_worker_first: ["/api/*"],
    })!;
    expect(config.binding).toBe("ASSETS");
    expect(config.notFoundHandling).toBe("single-page-application");
    expect(config.htmlHandling).toBe("drop-trailing-slash");
    expect(typeof config.runWorkerFirst).toBe("object");
    expect(read({ directory: "dist", run_worker_first: true })!.runWorkerFirst).toBe(true);
  });

  it("lets navigations prefer assets from compatibility date 2025-04-01, or by flag", () => {
    const at = (date: string | undefined, flags: string[] = []) =>
      read({ directory: "dist" }, { date, flags })!.navigationPrefersAssets;
    expect(at("2025-03-31")).toBe(false);
    expect(at("2025-04-01")).toBe(true);
    expect(at(undefined)).toBe(false);
    expect(at("2024-01-01", ["assets_navigation_prefers_asset_serving"])).toBe(true);
    expect(at("2026-01-01", ["assets_navigation_has_no_effect"])).toBe(false);
  });

  it("refuses a binding or run_worker_first in a project of static assets only, as wrangler does", () => {
    const assetsOnly = (assets: unknown) => () =>
      readAssetsConfig({ assets } as Record<string, unknown>, dir, path, modern, false);
    expect(assetsOnly({ directory: "dist" })()).not.toBeNull();
    expect(assetsOnly({ directory: "dist", binding: "ASSETS" })).toThrow(
      "Cannot use assets with a binding in an assets-only Worker",
    );
    expect(assetsOnly({ directory: "dist", run_worker_first: ["/api/*"] })).toThrow(
      "Cannot set run_worker_first without a Worker script",
    );
    expect(assetsOnly({ directory: "dist", run_worker_first: false })()).not.toBeNull();
  });

  it("refuses bad values, naming the key, the value and what is allowed", () => {
    const cases: [unknown, string][] = [
      ["dist", "assets must be an object"],
      [{}, 'assets.directory is undefined; it must name the folder of static assets, e.g. "./dist"'],
      [{ directory: "missing" }, `assets.directory names ${join(dir, "missing")}, which does not exist`],
      [{ directory: "file.txt" }, "which is not a folder"],
      [
        { directory: "dist", binding: "my-assets" },
        'assets.binding is "my-assets"; it must be a JavaScript identifier',
      ],
      [
        { directory: "dist", not_found_handling: "spa" },
        'assets.not_found_handling is "spa"; it must be one of "single-page-application", "404-page", "none"',
      ],
      [
        { directory: "dist", html_handling: "auto" },
        'assets.html_handling is "auto"; it must be one of "auto-trailing-slash", "force-trailing-slash", "drop-trailing-slash", "none"',
      ],
      [
        { directory: "dist", run_worker_first: "yes" },
        'assets.run_worker_first is "yes"; it must be true, false or a list',
      ],
      [{ directory: "dist", run_worker_first: ["api/*"] }, "'api/*': rules must start with '/' or '!/'"],
      [{ directory: "dist", serve_directly: true }, "assets.serve_directly is not a key Cairn knows"],
    ];
    for (const [assets, message] of cases) {
      const error = failure(assets);
      expect(error.code).toBe("config.invalid");
      expect(error.message).toContain(path);
      expect(error.message).toContain(message);
    }
  });
});
