// The plain values of `env`: `vars` from the config, then secrets from a dotenv-style file
// (`.dev.vars`, or `.env` when there is none, in `cairn dev`; `--env-file` in either command),
// then `--var NAME:VALUE` flags. Later sources win, as in wrangler.

import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseEnv } from "node:util";
import type { ProjectConfig } from "./config.js";
import { HostError } from "./host-error.js";

export type VarSources = {
  /** Read `.dev.vars` (or `.dev.vars.<env>`, or `.env`) from the project folder. */
  devVars: boolean;
  /** The wrangler environment, for `.dev.vars.<env>`. */
  env?: string | undefined;
  /** A dotenv file named on the command line. */
  envFile?: string | undefined;
  /** `NAME:VALUE` pairs from `--var`. */
  vars?: string[];
};

/** The dotenv file `cairn dev` reads secrets from, if any, in wrangler's order of preference. */
export function devVarsFile(dir: string, env?: string): string | undefined {
  const names = [env ? `.dev.vars.${env}` : "", ".dev.vars", env ? `.env.${env}` : "", ".env"];
  for (const name of names.filter(Boolean)) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

function readDotenv(path: string): Record<string, string> {
  if (!existsSync(path)) throw new HostError("config.not_found", `env file ${path} does not exist`);
  return parseEnv(readFileSync(path, "utf8")) as Record<string, string>;
}

function parseVarFlag(flag: string): [string, string] {
  const at = flag.indexOf(":");
  if (at <= 0) throw new HostError("config.invalid", `--var expects NAME:VALUE, got "${flag}"`);
  return [flag.slice(0, at), flag.slice(at + 1)];
}

/** The values of env besides the workflow bindings, the files read, and the names of the secrets. */
export function loadVars(
  config: ProjectConfig,
  sources: VarSources,
): { values: Record<string, unknown>; files: string[]; secrets: string[] } {
  const values: Record<string, unknown> = { ...config.vars };
  const files: string[] = [];
  const secrets: string[] = [];
  const file = sources.envFile
    ? resolve(sources.envFile)
    : sources.devVars
      ? devVarsFile(config.dir, sources.env)
      : undefined;
  if (file) {
    const read = readDotenv(file);
    Object.assign(values, read);
    secrets.push(...Object.keys(read));
    files.push(file);
  }
  for (const flag of sources.vars ?? []) {
    const [name, value] = parseVarFlag(flag);
    values[name] = value;
  }
  for (const w of config.workflows) {
    if (w.binding in values) {
      throw new HostError(
        "config.invalid",
        `${config.path}: "${w.binding}" is both a var and a workflow binding`,
      );
    }
  }
  return { values, files, secrets };
}
