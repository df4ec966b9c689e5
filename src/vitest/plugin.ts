// `cairnWorkflows()`: the vite plugin that runs a Worker project's vitest tests, written for
// Cloudflare's integration, on Cairn. It resolves `cloudflare:workers`, `cloudflare:workflows`
// and `cloudflare:test` to Cairn's modules, reads the wrangler config, and adds a setup file
// that gives each test file its own Cairn on a throwaway store (file-runtime.ts). It imports
// nothing of vitest or vite, so that it works with vitest 3.2 and 4.

import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadProjectConfig } from "../host/config.js";
import { findConfigFile } from "../host/config-file.js";
import { loadVars } from "../host/vars.js";
import { bindingsNotInTests } from "./bindings-not-in-tests.js";
import { type FileOptions, OPTIONS_MODULE, type TestStorage } from "./options.js";
import { unknownImports, unsupportedMessage } from "./unsupported.js";

export type CairnWorkflowsOptions = {
  /**
   * The wrangler config (wrangler.json, wrangler.jsonc or wrangler.toml), relative to the vitest
   * root; by default the one in the root. Cloudflare's shape, `{ configPath, environment }`, is
   * accepted too.
   */
  wrangler?: string | { configPath?: string; environment?: string };
  /** The wrangler environment (`env.<name>` of the config), as `--env` of `cairn dev`. */
  environment?: string;
  /** Each test file's store: SQLite in memory (default), or a SQLite file in a temporary folder. */
  storage?: TestStorage;
};

/** The plugin, typed by its shape alone: vite's Plugin type differs between the vite versions vitest 3.2 and 4 use. */
export type CairnWorkflowsPlugin = {
  name: string;
  enforce: "pre";
  config(): { test: { setupFiles: string[] } };
  configResolved(config: { root: string }): void;
  resolveId(id: string): string | undefined;
  load(id: string): string | undefined;
  transform(code: string, id: string): { code: string; map: null } | undefined;
};

/** `.ts` when Cairn runs from its sources, `.js` when it runs from dist. */
const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
const own = (path: string) => fileURLToPath(new URL(`${path}${ext}`, import.meta.url));

/** Cairn's own modules (src/ or dist/), which the import check leaves alone. */
const CAIRN_DIR = fileURLToPath(new URL("../", import.meta.url));
const SETUP_FILE = own("./setup");
const CLOUDFLARE_TEST_FILE = own("./cloudflare-test");
const PROVIDED: Record<string, string> = {
  "cloudflare:workers": own("./cloudflare-workers"),
  "cloudflare:workflows": own("../workflows"),
};

/** Vite's marker for ids that are not files. */
const VIRTUAL = "\0cairn-vitest:";
const TEST_MODULE = `${VIRTUAL}cloudflare:test`;
const OPTIONS_ID = `${VIRTUAL}options`;
const KNOWN_OPTIONS = new Set(["wrangler", "environment", "storage"]);

function checkOptions(options: CairnWorkflowsOptions): void {
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new Error(
        `cairnWorkflows(): option "${key}" is not supported (Cairn takes ${[...KNOWN_OPTIONS].join(", ")}): ` +
          "bindings and vars come from the wrangler config",
      );
    }
  }
  if (options.storage !== undefined && options.storage !== "memory" && options.storage !== "file") {
    throw new Error(
      `cairnWorkflows(): storage must be "memory" or "file", got ${JSON.stringify(options.storage)}`,
    );
  }
}

/** Reads the project as each test file's setup needs it. */
function readProject(root: string, options: CairnWorkflowsOptions): FileOptions {
  const wrangler = typeof options.wrangler === "string" ? { configPath: options.wrangler } : options.wrangler;
  const environment = options.environment ?? wrangler?.environment;
  const explicit = wrangler?.configPath === undefined ? undefined : resolve(root, wrangler.configPath);
  const configPath = findConfigFile(root, explicit);
  const config = loadProjectConfig(configPath, environment);
  const { values } = loadVars(config, { devVars: true, env: environment });
  if (config.main === null) {
    throw new Error(
      `cairnWorkflows(): ${configPath} names no main; the tests need the Worker's entry module`,
    );
  }
  const missing = bindingsNotInTests(config.raw);
  if (missing.length > 0) {
    throw new Error(
      `cairnWorkflows(): ${configPath} declares bindings that Cairn's vitest integration does not provide yet:\n` +
        `${missing.map((line) => `  - ${line}`).join("\n")}\n` +
        "Test files get workflow bindings, vars and secrets only; test these parts against `cairn dev`.",
    );
  }
  return {
    configPath,
    main: config.main,
    workflows: config.workflows,
    vars: values,
    storage: options.storage ?? "memory",
  };
}

/**
 * Runs the project's tests written for Cloudflare's vitest integration on Cairn.
 * @example
 * // vitest.config.ts
 * import { cairnWorkflows } from "cairn/vitest";
 * import { defineConfig } from "vitest/config";
 *
 * export default defineConfig({ plugins: [cairnWorkflows({ wrangler: "./wrangler.jsonc" })] });
 */
export function cairnWorkflows(options: CairnWorkflowsOptions = {}): CairnWorkflowsPlugin {
  checkOptions(options);
  let project: FileOptions | undefined;
  return {
    name: "cairn-workflows",
    enforce: "pre",
    config() {
      return { test: { setupFiles: [SETUP_FILE] } };
    },
    configResolved(config) {
      project = readProject(config.root, options);
    },
    resolveId(id) {
      if (id === "cloudflare:test") return TEST_MODULE;
      if (id === OPTIONS_MODULE) return OPTIONS_ID;
      if (id in PROVIDED) return PROVIDED[id];
      // Another `cloudflare:` module fails as it loads, naming itself.
      if (id.startsWith("cloudflare:")) return `${VIRTUAL}${id}`;
      return undefined;
    },
    load(id) {
      if (!id.startsWith(VIRTUAL)) return undefined;
      if (id === TEST_MODULE) return `export * from ${JSON.stringify(CLOUDFLARE_TEST_FILE)};\n`;
      if (id === OPTIONS_ID) {
        if (!project) throw new Error("cairnWorkflows(): the wrangler config was not read yet");
        return (
          `export const options = ${JSON.stringify(project)};\n` +
          `export const loadWorker = () => import(${JSON.stringify(project.main)});\n`
        );
      }
      const name = id.slice(VIRTUAL.length);
      const message = `"${name}" is not provided by Cairn (it provides cloudflare:workers, cloudflare:workflows and cloudflare:test)`;
      return `throw new Error(${JSON.stringify(message)});\n`;
    },
    transform(code, id) {
      // A name Cloudflare's module does not export either fails the file as it loads, as a
      // missing export of an ES module would, but with the message naming it.
      const skip = id.startsWith("\0") || id.startsWith(CAIRN_DIR) || id.includes("/node_modules/");
      if (skip || !code.includes("cloudflare:test")) return undefined;
      const unknown = unknownImports(code);
      if (unknown.length === 0) return undefined;
      const message = unknown.map(unsupportedMessage).join("\n");
      return { code: `throw new Error(${JSON.stringify(message)});${code}`, map: null };
    },
  };
}
