#!/usr/bin/env node
// The `cairn` executable. It runs the compiled CLI from dist/ when that build is present and not
// older than src/; in a development checkout without a fresh build it runs the TypeScript source
// in this same process through tsx, so `npx cairn …` works right after `npm install`.
// CAIRN_FROM_SOURCE=1 forces the source.

import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const built = join(root, "dist", "cli", "main.js");
const source = join(root, "src", "cli", "main.ts");

/** Newest modification time of any file under `dir`. */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

async function tsxRegister() {
  try {
    return (await import("tsx/esm/api")).register;
  } catch {
    return null;
  }
}

const register = existsSync(source) ? await tsxRegister() : null;
const fresh = existsSync(built) && (!register || statSync(built).mtimeMs >= newest(join(root, "src")));
if (register && (process.env.CAIRN_FROM_SOURCE === "1" || !fresh)) {
  register();
  await import(pathToFileURL(source).href);
} else if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  process.stderr.write("cairn: no build in dist/ and tsx is not installed; run `npm run build`\n");
  process.exit(1);
}
