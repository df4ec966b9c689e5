// Reads a Worker project's wrangler config into what the host needs: the entry module, the
// `[[workflows]]` bindings, vars, cron triggers and build settings. Unknown keys are ignored;
// bindings Cairn does not provide and `script_name`s naming another Worker stop start-up.

import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { readConfigFile } from "./config-file.js";
import { cronProblem } from "./crons.js";
import { HostError } from "./host-error.js";
import { readModuleRules } from "./module-rules.js";
import { BINDING_KEYS, findUnsupportedBindings } from "./unsupported-bindings.js";

export type WorkflowConfig = {
  name: string;
  binding: string;
  className: string;
  stepLimit: number | undefined;
  schedules: string[];
};

export type ProjectConfig = {
  /** The config file. */
  path: string;
  /** The folder holding the config file; relative paths in it start here. */
  dir: string;
  name: string | undefined;
  /** Absolute path of the entry module; null for a project of static assets only. */
  main: string | null;
  workflows: WorkflowConfig[];
  vars: Record<string, unknown>;
  crons: string[];
  define: Record<string, string>;
  alias: Record<string, string>;
  dev: { port: number | undefined; ip: string | undefined };
  /** Keys that change behaviour on Cloudflare but that Cairn ignores (reported as warnings). */
  ignored: string[];
  /** `compatibility_date` and `compatibility_flags`, which change what some runtime APIs do. */
  compatibility: { date: string | undefined; flags: string[] };
  /**
   * The whole config with the selected environment laid over it: each part of the project
   * (assets, Durable Objects, KV, …) reads and checks its own section from here.
   */
  raw: Record<string, unknown>;
};

/** Keys a wrangler environment does not inherit from the top level. */
const NOT_INHERITED = new Set(["vars", "define", "workflows", ...BINDING_KEYS]);
const IGNORED_WITH_WARNING = ["build", "site", "tail_consumers"];

type Raw = Record<string, unknown>;

function invalid(path: string, message: string): HostError {
  return new HostError("config.invalid", `${path}: ${message}`);
}

function isObject(value: unknown): value is Raw {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The top-level config with the section of `env` laid over it, as wrangler does. */
function applyEnvironment(raw: Raw, env: string | undefined, path: string): Raw {
  if (env === undefined) return raw;
  const section = isObject(raw.env) ? raw.env[env] : undefined;
  if (!isObject(section)) throw invalid(path, `there is no environment "${env}" under env`);
  const merged: Raw = {};
  for (const [key, value] of Object.entries(raw))
    if (!NOT_INHERITED.has(key) && key !== "env") merged[key] = value;
  Object.assign(merged, section);
  if (typeof raw.name === "string" && section.name === undefined) merged.name = `${raw.name}-${env}`;
  return merged;
}

function stringMap(value: unknown, key: string, path: string): Record<string, string> {
  if (value === undefined) return {};
  if (!isObject(value) || Object.values(value).some((v) => typeof v !== "string")) {
    throw invalid(path, `${key} must be an object of strings`);
  }
  return value as Record<string, string>;
}

function readWorkflows(raw: Raw, path: string): WorkflowConfig[] {
  const list = raw.workflows ?? [];
  if (!Array.isArray(list)) throw invalid(path, "workflows must be a list of { name, binding, class_name }");
  const text = (entry: Raw, field: string, at: string) => {
    const value = entry[field];
    if (typeof value !== "string" || value === "")
      throw invalid(path, `${at}.${field} must be a non-empty string`);
    return value;
  };
  return list.map((entry: unknown, index) => {
    const at = `workflows[${index}]`;
    if (!isObject(entry)) throw invalid(path, `${at} must be an object { name, binding, class_name }`);
    const binding = text(entry, "binding", at);
    if (entry.script_name !== undefined && entry.script_name !== raw.name) {
      throw new HostError(
        "config.unknown_script",
        `${path}: workflow binding ${binding} names script_name "${String(entry.script_name)}", which is not this Worker` +
          `${typeof raw.name === "string" ? ` ("${raw.name}")` : ""}. Cairn runs the workflows defined in the Worker it hosts; ` +
          "remove script_name or run that Worker's project.",
      );
    }
    const limits = entry.limits;
    const steps = isObject(limits) ? limits.steps : undefined;
    if (steps !== undefined && (typeof steps !== "number" || !Number.isInteger(steps) || steps < 1)) {
      throw invalid(path, `${at}.limits.steps must be a positive integer`);
    }
    const schedules = entry.schedules ?? [];
    if (!Array.isArray(schedules)) throw invalid(path, `${at}.schedules must be a list of crons`);
    for (const cron of schedules) {
      const problem = cronProblem(cron);
      if (problem) throw invalid(path, `${at}.schedules: "${String(cron)}" is not a valid cron (${problem})`);
    }
    return {
      name: text(entry, "name", at),
      binding,
      className: text(entry, "class_name", at),
      stepLimit: steps as number | undefined,
      schedules: schedules as string[],
    };
  });
}

function readCrons(raw: Raw, path: string): string[] {
  const triggers = raw.triggers;
  if (triggers === undefined) return [];
  const crons = isObject(triggers) ? (triggers.crons ?? []) : undefined;
  if (!Array.isArray(crons)) throw invalid(path, "triggers.crons must be a list of cron expressions");
  for (const cron of crons) {
    const problem = cronProblem(cron);
    if (problem) throw invalid(path, `triggers.crons: "${String(cron)}" is not a valid cron (${problem})`);
  }
  return crons as string[];
}

function checkBindings(raw: Raw, path: string): void {
  const unsupported = findUnsupportedBindings(raw);
  if (unsupported.length === 0) return;
  const lines = unsupported.map((b) => `  - ${b.name}: ${b.type} (${b.key})${b.hint ? `: ${b.hint}` : ""}`);
  throw new HostError(
    "config.unsupported_binding",
    `${path} declares ${unsupported.length === 1 ? "a binding" : "bindings"} that Cairn does not provide:\n${lines.join("\n")}\n` +
      "Cairn provides workflow bindings, vars, secrets and service bindings to this Worker itself. Remove these bindings to run this Worker on Cairn.",
  );
}

/**
 * The entry module's absolute path. A project of static assets only (an `assets` section and no
 * `main`) has none, as on Cloudflare; any other project must name one.
 */
function readMain(raw: Raw, dir: string, path: string): string | null {
  if (raw.main === undefined && raw.assets !== undefined && raw.assets !== null) return null;
  if (typeof raw.main !== "string" || raw.main === "") {
    throw invalid(
      path,
      'main must name the Worker\'s entry module, e.g. "main": "src/index.ts" (a project of static assets only gives an assets section instead)',
    );
  }
  const main = resolve(dir, raw.main);
  if (!existsSync(main)) throw invalid(path, `main names ${main}, which does not exist`);
  return main;
}

/** Reads and checks the config at `path`; `env` selects a wrangler environment (`--env`). */
export function loadProjectConfig(path: string, env?: string): ProjectConfig {
  const raw = applyEnvironment(readConfigFile(path), env, path);
  const dir = dirname(path);
  checkBindings(raw, path);
  const main = readMain(raw, dir, path);
  const workflows = readWorkflows(raw, path);
  readModuleRules(raw, path);
  if (main === null && workflows.length > 0) {
    throw invalid(
      path,
      "workflows need main: the workflow classes are exported by the Worker's entry module",
    );
  }
  for (const key of ["name", "binding"] as const) {
    const seen = new Set<string>();
    for (const w of workflows) {
      if (seen.has(w[key])) throw invalid(path, `two workflows have the ${key} "${w[key]}"`);
      seen.add(w[key]);
    }
  }
  if (raw.vars !== undefined && !isObject(raw.vars)) throw invalid(path, "vars must be an object");
  const dev = isObject(raw.dev) ? raw.dev : {};
  return {
    path,
    dir,
    name: typeof raw.name === "string" ? raw.name : undefined,
    main,
    workflows,
    vars: (raw.vars as Raw | undefined) ?? {},
    crons: readCrons(raw, path),
    define: stringMap(raw.define, "define", path),
    alias: stringMap(raw.alias, "alias", path),
    dev: {
      port: typeof dev.port === "number" ? dev.port : undefined,
      ip: typeof dev.ip === "string" ? dev.ip : undefined,
    },
    ignored: IGNORED_WITH_WARNING.filter((key) => raw[key] !== undefined),
    compatibility: {
      date: typeof raw.compatibility_date === "string" ? raw.compatibility_date : undefined,
      flags: Array.isArray(raw.compatibility_flags)
        ? raw.compatibility_flags.filter((f): f is string => typeof f === "string")
        : [],
    },
    raw,
  };
}
