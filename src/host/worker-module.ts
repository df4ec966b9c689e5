// Loads a bundled Worker and finds what the host calls: the default export (an object with
// `fetch`/`scheduled`/`queue`, or a class extending WorkerEntrypoint, constructed per call as
// Cloudflare does) and the workflow classes named by `class_name`. Problems are reported naming the export.

import { basename } from "node:path";
import { pathToFileURL } from "node:url";
import type { ExecutionContext } from "../api/types.js";
import type { WorkflowClass } from "../engine/engine.js";
import type { ProjectConfig } from "./config.js";
import type { ScheduledController } from "./crons.js";
import { boundClassNames } from "./durable-objects/config.js";
import { HostError } from "./host-error.js";
import type { MessageBatch } from "./queues/message-batch.js";

type Env = Record<string, unknown>;

/** The handlers of a loaded Worker, ready to call. */
export type WorkerModule = {
  fetch: ((request: Request, env: Env, ctx: ExecutionContext) => Promise<Response>) | null;
  scheduled: ((controller: ScheduledController, env: Env, ctx: ExecutionContext) => Promise<void>) | null;
  /** The queue consumer handler, called with a batch of messages. */
  queue: ((batch: MessageBatch, env: Env, ctx: ExecutionContext) => Promise<void>) | null;
  /** Workflow classes by binding. */
  classes: Record<string, WorkflowClass>;
  /** Everything the module exports (Durable Object classes, named entrypoints, the default export). */
  exports: Record<string, unknown>;
};

type Handlers = { fetch?: unknown; scheduled?: unknown; queue?: unknown };

/** `handler(arg, env, ctx)` for an object export, `new Class(ctx, env).handler(arg)` for a class. */
function method(exported: unknown, name: "fetch" | "scheduled" | "queue") {
  if (typeof exported === "function") {
    const cls = exported as new (ctx: ExecutionContext, env: Env) => Handlers;
    if (typeof cls.prototype?.[name] !== "function") return null;
    return async (arg: unknown, env: Env, ctx: ExecutionContext) => {
      const instance = new cls(ctx, env) as Record<string, (arg: unknown) => unknown>;
      return instance[name]!(arg);
    };
  }
  if (typeof exported === "object" && exported !== null) {
    const handlers = exported as Record<string, unknown>;
    if (typeof handlers[name] !== "function") return null;
    return async (arg: unknown, env: Env, ctx: ExecutionContext) =>
      (handlers[name] as (a: unknown, e: Env, c: ExecutionContext) => unknown).call(handlers, arg, env, ctx);
  }
  return null;
}

/** The entry module's file name, for messages. */
function entryName(config: Pick<ProjectConfig, "main">): string {
  return config.main ? basename(config.main) : "the Worker (none: static assets only)";
}

/** Imports `file` (a bundle) and checks it against the config. */
export async function loadWorkerModule(file: string, config: ProjectConfig): Promise<WorkerModule> {
  let mod: Record<string, unknown>;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (error) {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    throw new HostError("module.invalid", `${entryName(config)} threw while loading:\n${detail}`);
  }
  return checkWorkerModule(mod, config);
}

/** The handlers and workflow classes of an imported Worker module, checked against the config. */
export function checkWorkerModule(
  mod: Record<string, unknown>,
  config: Pick<ProjectConfig, "main" | "workflows"> & { raw?: Record<string, unknown> },
): WorkerModule {
  const entry = entryName(config);
  // Durable Object classes are constructed at their first event; a missing one is reported now.
  for (const binding of boundClassNames(config.raw ?? {})) {
    if (typeof mod[binding.className] === "function") continue;
    const exported = Object.keys(mod).filter((k) => k !== "default");
    throw new HostError(
      "module.invalid",
      `Durable Object binding ${binding.name}: class_name "${binding.className}" is not a class exported by ${entry}` +
        ` (its exports: ${exported.length ? exported.join(", ") : "none"})`,
    );
  }
  const classes: Record<string, WorkflowClass> = {};
  for (const w of config.workflows) {
    const cls = mod[w.className];
    if (
      typeof cls !== "function" ||
      typeof (cls as { prototype?: { run?: unknown } }).prototype?.run !== "function"
    ) {
      const exported = Object.keys(mod).filter((k) => k !== "default");
      throw new HostError(
        "module.invalid",
        `workflow "${w.name}" (binding ${w.binding}): class_name "${w.className}" is not a class with a run() method exported by ${entry}` +
          ` (its exports: ${exported.length ? exported.join(", ") : "none"})`,
      );
    }
    classes[w.binding] = cls as WorkflowClass;
  }
  const fetch = method(mod.default, "fetch") as WorkerModule["fetch"];
  const scheduled = method(mod.default, "scheduled") as WorkerModule["scheduled"];
  const queue = method(mod.default, "queue") as WorkerModule["queue"];
  if (mod.default === undefined && config.workflows.length === 0) {
    throw new HostError(
      "module.invalid",
      `${entry} has no default export and the config declares no workflows`,
    );
  }
  return { fetch, scheduled, queue, classes, exports: mod };
}
