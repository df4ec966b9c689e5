// wrangler's `rules`: which imports become non-JavaScript modules. A `Text` rule's files import as
// a string, `Data` as an ArrayBuffer and `CompiledWasm` as a WebAssembly.Module. The project's
// rules come first, then wrangler's defaults (`.txt`/`.html`/`.sql` Text, `.bin` Data, `.wasm`
// and `.wasm?module` CompiledWasm); as in wrangler, a rule without `fallthrough: true` hides later
// rules of its type. Globs match the import specifier, `*` standing for any characters.

import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { Plugin } from "esbuild";
import { HostError } from "./host-error.js";

export type ModuleRuleType = "Text" | "Data" | "CompiledWasm";
export type ModuleRule = { type: ModuleRuleType; globs: string[]; fallthrough: boolean };

const SUPPORTED: readonly ModuleRuleType[] = ["Text", "Data", "CompiledWasm"];
/** Rule types wrangler knows that Cairn does not take (it bundles JavaScript itself). */
const NOT_SUPPORTED = ["ESModule", "CommonJS", "NodeJsCompatModule", "PythonModule", "PythonRequirement"];

const DEFAULT_RULES: ModuleRule[] = [
  { type: "Text", globs: ["**/*.txt", "**/*.html", "**/*.sql"], fallthrough: false },
  { type: "Data", globs: ["**/*.bin"], fallthrough: false },
  { type: "CompiledWasm", globs: ["**/*.wasm", "**/*.wasm?module"], fallthrough: false },
];

const NAMESPACE = "cairn-module-rule";

function invalid(path: string, message: string): HostError {
  return new HostError("config.invalid_rule", `${path}: ${message}`);
}

function readRule(entry: unknown, at: string, path: string): ModuleRule {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    throw invalid(path, `${at} must be an object { type, globs, fallthrough? }`);
  }
  const { type, globs, fallthrough } = entry as Record<string, unknown>;
  const supported = `Cairn supports the rule types ${SUPPORTED.join(", ")}`;
  if (typeof type !== "string" || !SUPPORTED.includes(type as ModuleRuleType)) {
    const why = NOT_SUPPORTED.includes(String(type))
      ? `which Cairn does not support (it bundles JavaScript modules itself)`
      : "which is not a module rule type";
    throw invalid(path, `${at} has type ${JSON.stringify(type)}, ${why}; ${supported}`);
  }
  if (!Array.isArray(globs) || globs.length === 0) {
    throw invalid(path, `${at}.globs must be a non-empty list of globs such as "**/*.wasm"`);
  }
  for (const glob of globs) {
    if (typeof glob !== "string" || glob.trim() === "") {
      throw invalid(
        path,
        `${at}.globs has ${JSON.stringify(glob)}, which is not a glob (a non-empty string)`,
      );
    }
  }
  if (fallthrough !== undefined && typeof fallthrough !== "boolean") {
    throw invalid(path, `${at}.fallthrough must be true or false`);
  }
  return { type: type as ModuleRuleType, globs: globs as string[], fallthrough: fallthrough === true };
}

/** The rules in force: the config's (checked) and then wrangler's defaults, hidden ones left out. */
export function readModuleRules(raw: Record<string, unknown>, path: string): ModuleRule[] {
  const own = raw.rules ?? [];
  if (!Array.isArray(own)) throw invalid(path, "rules must be a list of { type, globs, fallthrough? }");
  const all = [...own.map((entry, index) => readRule(entry, `rules[${index}]`, path)), ...DEFAULT_RULES];
  const closed = new Set<ModuleRuleType>();
  const kept: ModuleRule[] = [];
  for (const rule of all) {
    if (closed.has(rule.type)) continue;
    kept.push(rule);
    if (!rule.fallthrough) closed.add(rule.type);
  }
  return kept;
}

/** A glob as wrangler reads it: `*` is any run of characters, everything else literal. */
export function globPattern(glob: string): string {
  return glob
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))
    .join(".*");
}

/** The module text for a file under a rule. */
function moduleSource(type: ModuleRuleType, file: string): string {
  const bytes = readFileSync(file);
  if (type === "Text") return `export default ${JSON.stringify(bytes.toString("utf8"))};`;
  const decode = `Uint8Array.from(atob(${JSON.stringify(bytes.toString("base64"))}), (c) => c.charCodeAt(0))`;
  if (type === "Data") return `export default ${decode}.buffer;`;
  return `export default new WebAssembly.Module(${decode});`;
}

/** The esbuild plugin that loads imports matched by `rules` as their module type. */
export function moduleRulesPlugin(rules: ModuleRule[]): Plugin {
  const matchers = rules.flatMap((rule) =>
    rule.globs.map((glob) => ({ rule, pattern: new RegExp(`^${globPattern(glob)}$`) })),
  );
  const filter = new RegExp(matchers.map((m) => `(?:${m.pattern.source})`).join("|") || "(?!)");
  return {
    name: "cairn-module-rules",
    setup(b) {
      b.onResolve({ filter }, async (args) => {
        if (args.pluginData?.cairnRuleResolving) return undefined;
        const rule = matchers.find((m) => m.pattern.test(args.path))?.rule;
        if (!rule) return undefined;
        const specifier = args.path.replace(/\?module$/, "");
        if (specifier.startsWith(".") || isAbsolute(specifier)) {
          return { path: resolve(args.resolveDir, specifier), namespace: NAMESPACE, pluginData: rule.type };
        }
        const found = await b.resolve(specifier, {
          resolveDir: args.resolveDir,
          kind: args.kind,
          importer: args.importer,
          pluginData: { cairnRuleResolving: true },
        });
        if (found.errors.length > 0) return { errors: found.errors };
        return { path: found.path, namespace: NAMESPACE, pluginData: rule.type };
      });
      b.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => {
        try {
          return {
            contents: moduleSource(args.pluginData as ModuleRuleType, args.path),
            loader: "js",
            watchFiles: [args.path],
          };
        } catch (error) {
          return { errors: [{ text: `cannot read ${args.path}: ${(error as Error).message}` }] };
        }
      });
    },
  };
}

/** The file a metafile input names (inputs loaded under a rule carry the plugin's namespace). */
export function inputFile(input: string): string {
  return input.startsWith(`${NAMESPACE}:`) ? input.slice(NAMESPACE.length + 1) : input;
}
