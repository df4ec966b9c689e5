// Bundles the Worker's entry module with esbuild, as wrangler does: TypeScript stripped, npm
// imports bundled, `cloudflare:workers` and `cloudflare:workflows` left as imports of Cairn's own
// modules (so the Worker and the engine share one copy), `rules` applied to non-JavaScript
// imports (.wasm, .txt, …), and `process` pointed at the Worker's own (whose env is not the
// host's). A failure comes back as esbuild's message, with file, line and column, for the
// caller to show.

import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { build, formatMessages, type Message, type Plugin } from "esbuild";
import type { ProjectConfig } from "./config.js";
import { HostError } from "./host-error.js";
import { inputFile, moduleRulesPlugin, readModuleRules } from "./module-rules.js";
import { processShimSettings, writeProcessShim } from "./worker-process-shim.js";

/** `inputs`: the project's source files in the bundle; `files`: those an error points at. */
export type BuildResult =
  | { ok: true; file: string; warnings: string[]; inputs: string[] }
  | { ok: false; message: string; files: string[] };

/** `.ts` when Cairn itself runs from source (through tsx), `.js` when it runs from dist. */
const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";

/** The `cloudflare:` modules Cairn provides, as file URLs of its own modules. */
export const PROVIDED_MODULES: Record<string, string> = {
  "cloudflare:workers": new URL(`./runtime/cloudflare-workers${ext}`, import.meta.url).href,
  "cloudflare:workflows": new URL(`../workflows${ext}`, import.meta.url).href,
  "cloudflare:email": new URL(`./runtime/cloudflare-email${ext}`, import.meta.url).href,
};

/** The module holding the Worker's `process` (outside the bundle, shared with the host). */
const WORKER_PROCESS_MODULE = new URL(`./runtime/worker-process${ext}`, import.meta.url).href;

const cloudflareModules: Plugin = {
  name: "cairn-cloudflare-modules",
  setup(b) {
    b.onResolve({ filter: /^cloudflare:/ }, (args) => {
      const target = PROVIDED_MODULES[args.path];
      if (target) return { path: target, external: true };
      return {
        errors: [
          {
            text: `"${args.path}" is not provided by Cairn (it provides ${Object.keys(PROVIDED_MODULES).join(", ")})`,
          },
        ],
      };
    });
  },
};

/** Lets CommonJS packages inside the ESM bundle call `require` for Node built-ins. */
const REQUIRE_SHIM =
  'import { createRequire as __cairnCreateRequire } from "node:module"; const require = __cairnCreateRequire(import.meta.url);';

async function describe(messages: Message[], kind: "error" | "warning"): Promise<string[]> {
  return formatMessages(messages, { kind, color: false });
}

/** Writes the bundle to `outDir/worker-<generation>.mjs`. Never throws for errors in user code. */
export async function bundleWorker(
  config: ProjectConfig,
  outDir: string,
  generation: number,
): Promise<BuildResult> {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `worker-${generation}.mjs`);
  const shim = processShimSettings(writeProcessShim(outDir, WORKER_PROCESS_MODULE), WORKER_PROCESS_MODULE);
  try {
    const rules = readModuleRules(config.raw, config.path);
    const result = await build({
      absWorkingDir: config.dir,
      // A project of static assets only has no entry: its Worker is an empty module.
      ...(config.main
        ? { entryPoints: [config.main] }
        : { stdin: { contents: "export default {};\n", loader: "js" as const, resolveDir: config.dir } }),
      outfile: file,
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      sourcemap: "inline",
      keepNames: true,
      logLevel: "silent",
      define: { ...shim.define, ...config.define },
      alias: config.alias,
      inject: shim.inject,
      banner: { js: REQUIRE_SHIM },
      plugins: [cloudflareModules, shim.plugin, moduleRulesPlugin(rules)],
      metafile: true,
    });
    const inputs = Object.keys(result.metafile.inputs)
      .map(inputFile)
      .filter((path) => !path.includes("node_modules") && !path.endsWith("worker-process-shim.mjs"))
      .map((path) => resolve(config.dir, path));
    return { ok: true, file, warnings: await describe(result.warnings, "warning"), inputs };
  } catch (error) {
    if (error instanceof HostError) return { ok: false, message: error.message, files: [config.path] };
    const errors = (error as { errors?: Message[] }).errors;
    if (!Array.isArray(errors) || errors.length === 0)
      return { ok: false, message: String(error), files: [] };
    const files = errors.flatMap((e) => (e.location ? [resolve(config.dir, e.location.file)] : []));
    return { ok: false, message: (await describe(errors, "error")).join("\n").trimEnd(), files };
  }
}
