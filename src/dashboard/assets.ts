// The dashboard's static files, ready to serve: read from dist/dashboard/static in a built
// package, or bundled from ui/ on first use when running from source. Each file carries its
// content type and an ETag from its bytes, so browsers revalidate instead of downloading again.

import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export type DashboardAsset = { body: Uint8Array; type: string; etag: string };

const here = dirname(fileURLToPath(import.meta.url));

const TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

function asset(name: string, body: Uint8Array): DashboardAsset {
  const type = TYPES[name.slice(name.lastIndexOf(".") + 1)] ?? "application/octet-stream";
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
  return { body, type, etag };
}

let loading: Promise<Map<string, DashboardAsset>> | null = null;

async function load(): Promise<Map<string, DashboardAsset>> {
  const files = new Map<string, DashboardAsset>();
  if (existsSync(join(here, "ui", "main.tsx"))) {
    // A source checkout: bundle what is there now (esbuild takes well under a second).
    const { buildDashboard } = await import("./build.js");
    for (const file of await buildDashboard({ minify: true }))
      files.set(file.name, asset(file.name, file.contents));
    return files;
  }
  const { DASHBOARD_FILES } = await import("./build.js");
  for (const name of DASHBOARD_FILES) {
    files.set(name, asset(name, new Uint8Array(await readFile(join(here, "static", name)))));
  }
  return files;
}

/** The dashboard's files by name (`app.js`, `app.css`, `changes-worker.js`), loaded once. */
export function dashboardAssets(): Promise<Map<string, DashboardAsset>> {
  loading ??= load().catch((error) => {
    loading = null;
    throw error;
  });
  return loading;
}
