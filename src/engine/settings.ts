// Validates and fills in the engine's options and workflow definitions once, at open, so that
// the rest of the engine reads plain numbers. Bad options fail `Cairn.open` with a clear code.

import type { WorkflowRetentionDuration } from "../api/types.js";
import { WorkflowsError } from "../errors.js";
import { parseCron } from "./cron.js";
import { parseDuration } from "./duration.js";
import { describeValue, validateWorkflowName } from "./validate.js";
import type { WorkflowClass } from "./workflow-class.js";

export const DEFAULT_STEP_LIMIT = 10_000;
/** Cloudflare allows 25,000; Cairn lets a self-hosted deployment go further. */
export const MAX_STEP_LIMIT = 1_000_000;
export const DEFAULT_RETENTION_MS = 30 * 86_400_000;

export type RetentionInput = {
  successRetention?: WorkflowRetentionDuration;
  errorRetention?: WorkflowRetentionDuration;
};

/** One workflow as given to `Cairn.open({ workflows: { BINDING: … } })`. */
export type WorkflowDefinitionInput = {
  /** The workflow's name (as `name` in a wrangler `[[workflows]]` entry). */
  name: string;
  /**
   * The class that runs the workflow's instances. A process with `runInstances: false` may leave
   * it out: it creates, controls and reads instances by name, and worker processes run them.
   */
  class?: WorkflowClass;
  limits?: { steps?: number };
  /** Most instances of this workflow running at once in this process (default: no own cap). */
  concurrency?: number;
  /** Default retention of this workflow's finished instances. */
  retention?: RetentionInput;
  /** Cron expressions (UTC): an instance is created at each matching time. */
  schedules?: string[];
};

export type EngineOptionsInput = {
  /** Most instances running at once in this process; beyond it they stay `queued`. Default 1000. */
  maxRunning?: number;
  /** A wait due later than this (ms) hibernates the instance instead of holding memory. Default 1000. */
  hibernateAfterMs?: number;
  /** Lease duration for stores shared by several processes. Default 30 s. */
  leaseMs?: number;
  /** Default retention of finished instances. Default 30 days each. */
  retention?: RetentionInput;
  /** How often finished instances past retention are deleted. Default 60 s. */
  sweepIntervalMs?: number;
  /** How long `close()` waits for in-flight attempts. Default 30 s. */
  shutdownGraceMs?: number;
  /** Most bytes one instance may hold in step results and stream chunks. Default 1 GiB. */
  maxInstanceStateBytes?: number;
  /** A name for this process in leases. Default: pid plus a random suffix. */
  owner?: string;
  /**
   * False: this process creates, controls and reads instances but never runs them (for example a
   * web front end beside worker processes on a shared PostgreSQL). Default true.
   */
  runInstances?: boolean;
  /** Where errors that reach no caller are reported. Default: console.error. */
  onError?: (error: unknown, context: string) => void;
};

export type WorkflowDefinition = {
  binding: string;
  name: string;
  /** Absent only in a process that does not run instances. */
  class: WorkflowClass | undefined;
  stepLimit: number;
  concurrency: number;
  retention: { successMs: number; errorMs: number };
  schedules: string[];
};

export type EngineSettings = {
  workflows: Map<string, WorkflowDefinition>;
  maxRunning: number;
  hibernateAfterMs: number;
  leaseMs: number;
  sweepIntervalMs: number;
  shutdownGraceMs: number;
  maxInstanceStateBytes: number;
  owner: string | undefined;
  runInstances: boolean;
  onError: (error: unknown, context: string) => void;
};

function invalid(message: string): WorkflowsError {
  return new WorkflowsError("engine.invalid_options", message);
}

function count(value: unknown, field: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${field} must be an integer from ${min} to ${max}, got ${describeValue(value)}`);
  }
  return value;
}

function flag(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw invalid(`${field} must be true or false, got ${describeValue(value)}`);
  }
  return value;
}

function retention(
  input: RetentionInput | undefined,
  fallback: { successMs: number; errorMs: number },
  field: string,
) {
  const ms = (v: unknown, k: string, d: number) =>
    v === undefined ? d : parseDuration(v, `${field}.${k}`, "engine.invalid_options");
  return {
    successMs: ms(input?.successRetention, "successRetention", fallback.successMs),
    errorMs: ms(input?.errorRetention, "errorRetention", fallback.errorMs),
  };
}

function schedulesOf(input: unknown, workflow: string): string[] {
  if (input === undefined) return [];
  if (!Array.isArray(input)) {
    throw new WorkflowsError(
      "workflow.invalid_definition",
      `workflow "${workflow}" schedules must be an array of cron expressions, got ${describeValue(input)}`,
    );
  }
  for (const expression of input) parseCron(expression, workflow);
  return [...new Set(input as string[])];
}

/**
 * The class of a workflow. It may be left out only where instances are not run here
 * (`runInstances: false`): such a process acts on instances by id and name alone.
 */
function workflowClass(
  cls: unknown,
  binding: string,
  name: string,
  runInstances: boolean,
): WorkflowClass | undefined {
  if (cls === undefined && !runInstances) return undefined;
  if (typeof cls !== "function" || typeof cls.prototype?.run !== "function") {
    const needed = runInstances ? " (this process runs instances: runInstances is not false)" : "";
    throw new WorkflowsError(
      "workflow.invalid_definition",
      `workflow binding ${binding} (workflow "${name}") needs a class with a run(event, step) method${needed}, got ${describeValue(cls)}`,
    );
  }
  return cls as WorkflowClass;
}

/** Checks the options and workflow definitions given to `Cairn.open` and fills in defaults. */
export function resolveSettings(
  workflows: Record<string, WorkflowDefinitionInput>,
  options: EngineOptionsInput,
): EngineSettings {
  const defaults = retention(
    options.retention,
    { successMs: DEFAULT_RETENTION_MS, errorMs: DEFAULT_RETENTION_MS },
    "retention",
  );
  const maxRunning = count(options.maxRunning, "maxRunning", 1000, 1, 1_000_000);
  const runInstances = flag(options.runInstances, "runInstances", true);
  const resolved = new Map<string, WorkflowDefinition>();
  const names = new Set<string>();
  if (typeof workflows !== "object" || workflows === null)
    throw invalid("workflows must be an object of bindings");
  for (const [binding, def] of Object.entries(workflows)) {
    if (typeof def !== "object" || def === null)
      throw invalid(`workflow binding ${binding} needs { name, class }`);
    let name: string;
    try {
      name = validateWorkflowName(def.name);
    } catch (error) {
      // Quote the rule without its code: the error thrown here carries the same code.
      const detail = WorkflowsError.is(error) ? error.detail : String(error);
      throw new WorkflowsError("workflow.invalid_name", `workflow binding ${binding}: ${detail}`);
    }
    if (names.has(name)) throw invalid(`two bindings name the workflow "${name}"`);
    names.add(name);
    const cls = workflowClass(def.class, binding, name, runInstances);
    resolved.set(binding, {
      binding,
      name,
      class: cls,
      stepLimit: count(
        def.limits?.steps,
        `workflow "${name}" limits.steps`,
        DEFAULT_STEP_LIMIT,
        1,
        MAX_STEP_LIMIT,
      ),
      concurrency: count(def.concurrency, `workflow "${name}" concurrency`, maxRunning, 1, 1_000_000),
      retention: retention(def.retention, defaults, `workflow "${name}" retention`),
      schedules: schedulesOf(def.schedules, name),
    });
  }
  return {
    workflows: resolved,
    maxRunning,
    hibernateAfterMs: count(options.hibernateAfterMs, "hibernateAfterMs", 1000, 0, 86_400_000),
    leaseMs: count(options.leaseMs, "leaseMs", 30_000, 1000, 3_600_000),
    sweepIntervalMs: count(options.sweepIntervalMs, "sweepIntervalMs", 60_000, 10, 86_400_000),
    shutdownGraceMs: count(options.shutdownGraceMs, "shutdownGraceMs", 30_000, 0, 3_600_000),
    maxInstanceStateBytes: count(
      options.maxInstanceStateBytes,
      "maxInstanceStateBytes",
      2 ** 30,
      1024,
      2 ** 40,
    ),
    owner: options.owner,
    runInstances,
    onError: options.onError ?? ((error, context) => console.error(`[cairn] ${context}:`, error)),
  };
}
