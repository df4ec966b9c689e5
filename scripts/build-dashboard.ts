// Writes the dashboard's minified bundle to dist/dashboard/static, where a built package reads it.

import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildDashboard } from "../src/dashboard/build.js";

const out = join(import.meta.dirname, "..", "dist", "dashboard", "static");
await mkdir(out, { recursive: true });
for (const file of await buildDashboard({ minify: true })) {
  await writeFile(join(out, file.name), file.contents);
  console.log(`dist/dashboard/static/${file.name}  ${(file.contents.byteLength / 1024).toFixed(1)} KiB`);
}
