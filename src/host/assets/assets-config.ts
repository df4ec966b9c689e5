// Reads and checks the `assets` section of a wrangler config: where the files are, the binding
// name, what a miss and an HTML path do, and when the Worker runs ahead of the assets. Every key
// is checked; a bad value stops start-up naming the key, the value and what is allowed.

import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { HostError } from "../host-error.js";
import { parseRouteRules, type RouteRules } from "./route-rules.js";

export const NOT_FOUND_HANDLING = ["single-page-application", "404-page", "none"] as const;
export const HTML_HANDLING = [
  "auto-trailing-slash",
  "force-trailing-slash",
  "drop-trailing-slash",
  "none",
] as const;

export type NotFoundHandling = (typeof NOT_FOUND_HANDLING)[number];
export type HtmlHandling = (typeof HTML_HANDLING)[number];

/** `assets.run_worker_first`: always, never, or for the paths the rules pick. */
export type RunWorkerFirst = boolean | RouteRules;

export type AssetsConfig = {
  /** Absolute path of the assets folder. */
  directory: string;
  binding: string | undefined;
  notFoundHandling: NotFoundHandling;
  htmlHandling: HtmlHandling;
  runWorkerFirst: RunWorkerFirst;
  /**
   * Whether a navigation (`Sec-Fetch-Mode: navigate`) that matches no asset is answered by
   * single-page-application handling rather than the Worker: on from compatibility date
   * 2025-04-01, or with the flag `assets_navigation_prefers_asset_serving`.
   */
  navigationPrefersAssets: boolean;
};

const KEYS = ["directory", "binding", "not_found_handling", "html_handling", "run_worker_first"];
const NAVIGATION_FLAG_ON = "assets_navigation_prefers_asset_serving";
const NAVIGATION_FLAG_OFF = "assets_navigation_has_no_effect";
const NAVIGATION_DEFAULT_FROM = "2025-04-01";

function invalid(path: string, message: string): HostError {
  return new HostError("config.invalid", `${path}: ${message}`);
}

function oneOf<T extends string>(
  value: unknown,
  allowed: readonly T[],
  fallback: T,
  key: string,
  path: string,
): T {
  if (value === undefined) return fallback;
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  throw invalid(
    path,
    `assets.${key} is ${JSON.stringify(value)}; it must be one of ${allowed.map((a) => `"${a}"`).join(", ")}`,
  );
}

function readDirectory(value: unknown, configDir: string, path: string): string {
  if (typeof value !== "string" || value === "") {
    throw invalid(
      path,
      `assets.directory is ${JSON.stringify(value)}; it must name the folder of static assets, e.g. "./dist"`,
    );
  }
  const directory = resolve(configDir, value);
  if (!existsSync(directory)) {
    throw invalid(path, `assets.directory names ${directory}, which does not exist`);
  }
  if (!statSync(directory).isDirectory()) {
    throw invalid(path, `assets.directory names ${directory}, which is not a folder`);
  }
  return directory;
}

function readBinding(value: unknown, path: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^[A-Za-z_$][\w$]*$/.test(value)) {
    throw invalid(
      path,
      `assets.binding is ${JSON.stringify(value)}; it must be a JavaScript identifier such as "ASSETS"`,
    );
  }
  return value;
}

function readRunWorkerFirst(value: unknown, path: string): RunWorkerFirst {
  if (value === undefined) return false;
  if (typeof value === "boolean") return value;
  if (Array.isArray(value) && value.every((rule) => typeof rule === "string")) {
    const parsed = parseRouteRules(value as string[]);
    if (typeof parsed === "string") throw invalid(path, `assets.run_worker_first: ${parsed}`);
    return parsed;
  }
  throw invalid(
    path,
    `assets.run_worker_first is ${JSON.stringify(value)}; it must be true, false or a list of route patterns such as ["/api/*", "!/api/docs/*"]`,
  );
}

function navigationPrefersAssets(date: string | undefined, flags: string[]): boolean {
  if (flags.includes(NAVIGATION_FLAG_ON)) return true;
  if (flags.includes(NAVIGATION_FLAG_OFF)) return false;
  return date !== undefined && date >= NAVIGATION_DEFAULT_FROM;
}

/** What a project of static assets only (no `main`) may not ask for, in wrangler's words. */
function checkAssetsOnly(config: AssetsConfig, path: string): void {
  if (config.binding !== undefined) {
    throw invalid(
      path,
      "Cannot use assets with a binding in an assets-only Worker. Please remove the asset binding from your configuration file, or provide a Worker script in your configuration file (`main`).",
    );
  }
  if (config.runWorkerFirst !== false) {
    throw invalid(
      path,
      "Cannot set run_worker_first without a Worker script. Please remove run_worker_first from your configuration file, or provide a Worker script in your configuration file (`main`).",
    );
  }
}

/**
 * The checked `assets` section of `raw`, or null when the config has none. Relative paths start
 * at `configDir`, the folder of the config file `path`; `hasMain` says whether there is a Worker.
 */
export function readAssetsConfig(
  raw: Record<string, unknown>,
  configDir: string,
  path: string,
  compatibility: { date: string | undefined; flags: string[] },
  hasMain = true,
): AssetsConfig | null {
  const section = raw.assets;
  if (section === undefined || section === null) return null;
  if (typeof section !== "object" || Array.isArray(section)) {
    throw invalid(path, `assets must be an object such as { "directory": "./dist" }`);
  }
  const assets = section as Record<string, unknown>;
  for (const key of Object.keys(assets)) {
    if (!KEYS.includes(key)) {
      throw invalid(
        path,
        `assets.${key} is not a key Cairn knows; the keys of assets are ${KEYS.join(", ")}`,
      );
    }
  }
  const config: AssetsConfig = {
    directory: readDirectory(assets.directory, configDir, path),
    binding: readBinding(assets.binding, path),
    notFoundHandling: oneOf(
      assets.not_found_handling,
      NOT_FOUND_HANDLING,
      "none",
      "not_found_handling",
      path,
    ),
    htmlHandling: oneOf(assets.html_handling, HTML_HANDLING, "auto-trailing-slash", "html_handling", path),
    runWorkerFirst: readRunWorkerFirst(assets.run_worker_first, path),
    navigationPrefersAssets: navigationPrefersAssets(compatibility.date, compatibility.flags),
  };
  if (!hasMain) checkAssetsOnly(config, path);
  return config;
}
