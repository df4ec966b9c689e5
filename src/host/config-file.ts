// Finds and parses a wrangler config file: wrangler.json, wrangler.jsonc or wrangler.toml (the
// order wrangler looks in), or the file given with --config. JSON files may hold comments and
// trailing commas; a parse error names the file, line and column.

import { existsSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { type ParseError, parse as parseJsonc, printParseErrorCode } from "jsonc-parser";
import { parse as parseToml, TomlError } from "smol-toml";
import { HostError } from "./host-error.js";

export const CONFIG_NAMES = ["wrangler.json", "wrangler.jsonc", "wrangler.toml"] as const;

/** The config file of the project in `dir`, or `explicit` (relative to the working directory). */
export function findConfigFile(dir: string, explicit?: string): string {
  if (explicit !== undefined) {
    const path = resolve(explicit);
    if (!existsSync(path)) throw new HostError("config.not_found", `config file ${path} does not exist`);
    return path;
  }
  for (const name of CONFIG_NAMES) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  throw new HostError(
    "config.not_found",
    `no wrangler config in ${dir}: looked for ${CONFIG_NAMES.join(", ")} (use --config <file> to name one)`,
  );
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split("\n");
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

/** The raw config object; throws `config.invalid` naming file, line and column on a syntax error. */
export function readConfigFile(path: string): Record<string, unknown> {
  const text = readFileSync(path, "utf8");
  let value: unknown;
  if (path.endsWith(".toml")) {
    try {
      value = parseToml(text);
    } catch (error) {
      if (!(error instanceof TomlError)) throw error;
      const first = error.message.split("\n")[0];
      throw new HostError("config.invalid", `${path}:${error.line}:${error.column}: ${first}`);
    }
  } else {
    const errors: ParseError[] = [];
    value = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
    const first = errors[0];
    if (first) {
      const where = lineAndColumn(text, first.offset);
      throw new HostError("config.invalid", `${path}:${where}: ${printParseErrorCode(first.error)}`);
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HostError("config.invalid", `${basename(path)} must hold an object at the top level`);
  }
  return value as Record<string, unknown>;
}
