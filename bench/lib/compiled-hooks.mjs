// Module hooks for `npm run bench`: the workloads import Cairn from src/ (TypeScript, through
// tsx); these hooks send each such import to the compiled file in dist/ instead, so that the
// bench measures the JavaScript that ships (tsc's output), not tsx's on-the-fly transform.

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const SOURCE = new URL("../../src/", import.meta.url).href;
const COMPILED = new URL("../../dist/", import.meta.url).href;
/**
 * Kept in src/: the dashboard's bundler reads the UI's sources beside it (src/dashboard/ui), which
 * tsc never compiles, so its copy in dist/ cannot build (W10 measures the bundle with it).
 */
const KEEP_SOURCE = new Set([`${SOURCE}dashboard/build.ts`]);

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (!resolved.url.startsWith(SOURCE) || !resolved.url.endsWith(".ts")) return resolved;
  if (KEEP_SOURCE.has(resolved.url)) return resolved;
  const url = `${COMPILED}${resolved.url.slice(SOURCE.length, -".ts".length)}.js`;
  if (!existsSync(fileURLToPath(url))) return resolved;
  return { ...resolved, url, format: "module" };
}
