// Bundles the dashboard's browser code (Preact, under ui/) with esbuild: the page's script and
// stylesheet, and the shared worker that holds the one change feed every tab listens to. Used by
// `npm run build` (written to dist/dashboard/static) and, in a source checkout, in memory on the
// first request, so that the dashboard always matches the source it runs with.

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const uiDir = join(dirname(fileURLToPath(import.meta.url)), "ui");

/** The files the page loads, by name under its assets path. */
export const DASHBOARD_FILES = ["app.js", "app.css", "changes-worker.js"] as const;

export type BuiltFile = { name: string; contents: Uint8Array };

/** Builds the bundle; `minify` for what ships, off for readable stack traces while developing. */
export async function buildDashboard(options: { minify?: boolean } = {}): Promise<BuiltFile[]> {
  const result = await build({
    entryPoints: { app: join(uiDir, "main.tsx"), "changes-worker": join(uiDir, "changes-worker.ts") },
    bundle: true,
    write: false,
    outdir: "/",
    format: "esm",
    target: ["es2022"],
    platform: "browser",
    jsx: "automatic",
    jsxImportSource: "preact",
    minify: options.minify ?? true,
    legalComments: "none",
    logLevel: "silent",
    define: { "process.env.NODE_ENV": '"production"' },
  });
  return result.outputFiles.map((file) => ({ name: file.path.replace(/^\//, ""), contents: file.contents }));
}
