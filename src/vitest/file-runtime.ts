// One test file's Worker on its own Cairn: opened by the setup file before the test file loads,
// closed after its last test. The store is thrown away with it (SQLite in memory, or a file in
// a temporary folder). The Worker's entry module is imported on first use, through vite like
// the test file itself, so that the test file's `vi.mock`s apply to it: by the first
// `SELF.fetch`, or the first run of an instance, whichever comes first. Until then the workflow
// bindings work, with classes that load the Worker when an instance first runs.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecutionContext, WorkflowEvent, WorkflowStep } from "../api/types.js";
import { Cairn } from "../cairn.js";
import type { WorkflowClass } from "../engine/workflow-class.js";
import { type ScheduledController, scheduledController } from "../host/crons.js";
import { WaitUntilTracker } from "../host/execution-context.js";
import { installWorkersGlobals } from "../host/globals.js";
import { __cairnInstall } from "../host/runtime/cloudflare-workers.js";
import { checkWorkerModule, type WorkerModule } from "../host/worker-module.js";
import type { FileOptions } from "./options.js";

/**
 * The env of the test file's Worker: the workflow bindings and the vars (with `.dev.vars`) of
 * the wrangler config. One object for the life of the process; each file fills it anew.
 */
export const env: Record<string, unknown> = {};

/** A Worker's answer to `SELF.scheduled()`, as Cloudflare's Fetcher gives it. */
export type ScheduledResult = { outcome: "ok" | "exception"; noRetry: boolean };

/** `SELF`: the Worker's default export, called in this process with the file's env. */
export type WorkerFetcher = {
  fetch(input: Request | string | URL, init?: RequestInit): Promise<Response>;
  scheduled(options?: { scheduledTime?: Date | number; cron?: string }): Promise<ScheduledResult>;
};

type Running = {
  cairn: Cairn<any, any>;
  tracker: WaitUntilTracker;
  worker: () => Promise<WorkerModule>;
  configPath: string;
};

let running: Running | null = null;

function current(what: string): Running {
  if (running) return running;
  throw new Error(
    `${what}: there is no Worker for this test file. Is cairnWorkflows() from "cairn/vitest" in the plugins of the vitest config?`,
  );
}

/** The Worker's module, imported once per file by `load` and checked against the config. */
function workerLoader(options: FileOptions, load: () => Promise<Record<string, unknown>>) {
  let loaded: Promise<WorkerModule> | undefined;
  return () => {
    loaded ??= load().then((mod) => checkWorkerModule(mod, options));
    return loaded;
  };
}

/** A class that stands for the Worker's workflow class until the Worker is loaded. */
function lazyClass(binding: string, className: string, worker: () => Promise<WorkerModule>): WorkflowClass {
  const cls = class {
    readonly ctx: ExecutionContext;
    readonly env: unknown;
    constructor(ctx: ExecutionContext, env: unknown) {
      this.ctx = ctx;
      this.env = env;
    }
    async run(event: Readonly<WorkflowEvent<unknown>>, step: WorkflowStep): Promise<unknown> {
      const real = (await worker()).classes[binding]!;
      return new real(this.ctx, this.env).run(event, step);
    }
  };
  Object.defineProperty(cls, "name", { value: className });
  return cls;
}

/** Opens the file's Cairn; returns what closes it. */
export async function startFile(
  options: FileOptions,
  load: () => Promise<Record<string, unknown>>,
): Promise<() => Promise<void>> {
  installWorkersGlobals();
  const worker = workerLoader(options, load);
  const dir = options.storage === "file" ? mkdtempSync(join(tmpdir(), "cairn-vitest-")) : null;
  const workflows = Object.fromEntries(
    options.workflows.map((w) => [
      w.binding,
      {
        name: w.name,
        class: lazyClass(w.binding, w.className, worker),
        ...(w.stepLimit ? { limits: { steps: w.stepLimit } } : {}),
      },
    ]),
  );
  let cairn: Cairn<any, any>;
  try {
    cairn = await Cairn.open({
      storage: dir ? `sqlite:${join(dir, "cairn.db")}` : ":memory:",
      workflows,
      env: options.vars,
      shutdownGraceMs: 2_000,
    });
  } catch (error) {
    if (dir) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const tracker = new WaitUntilTracker((error) => console.error("waitUntil promise rejected:", error));
  for (const key of Object.keys(env)) delete env[key];
  Object.assign(env, cairn.env);
  __cairnInstall({ env, waitUntil: (promise) => tracker.track(promise) });
  const mine: Running = { cairn, tracker, worker, configPath: options.configPath };
  running = mine;
  return async () => {
    try {
      await tracker.settle(5_000);
      await cairn.close();
    } finally {
      if (running === mine) running = null;
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** A ctx for a handler, whose `waitUntil` promises the file waits for before closing. */
function handlerContext(tracker: WaitUntilTracker): ExecutionContext {
  return { waitUntil: (promise) => tracker.track(promise), passThroughOnException: () => {}, props: {} };
}

/** `SELF` of `cloudflare:test`, `exports.default` of `cloudflare:workers`. */
export const SELF: WorkerFetcher = {
  async fetch(input, init) {
    const file = current("SELF.fetch");
    const request = new Request(input, init);
    const worker = await file.worker();
    if (!worker.fetch) throw new Error(`the Worker of ${file.configPath} has no fetch handler`);
    const response = await worker.fetch(request, env, handlerContext(file.tracker));
    if (!(response instanceof Response)) throw new TypeError("the fetch handler did not return a Response");
    return response;
  },
  async scheduled(options = {}) {
    const file = current("SELF.scheduled");
    const worker = await file.worker();
    if (!worker.scheduled) throw new Error(`the Worker of ${file.configPath} has no scheduled handler`);
    let noRetry = false;
    const controller: ScheduledController = {
      ...createScheduledController(options),
      noRetry: () => {
        noRetry = true;
      },
    };
    try {
      await worker.scheduled(controller, env, handlerContext(file.tracker));
      return { outcome: "ok", noRetry };
    } catch {
      return { outcome: "exception", noRetry };
    }
  },
};

/**
 * `exports` of `cloudflare:workers`: the Worker's default export, called like `SELF`. (Declared
 * under another name: vite-node, vitest 3's module runner, has a local `exports` of its own.)
 */
const workerExports: { default: WorkerFetcher } = { default: SELF };

export { workerExports as exports };

/** The `controller` of a `scheduled(controller, env, ctx)` call (default: now, and an empty cron). */
export function createScheduledController(
  options: { scheduledTime?: Date | number; cron?: string } = {},
): ScheduledController {
  const time = options.scheduledTime;
  return scheduledController(options.cron ?? "", time === undefined ? Date.now() : Number(time));
}
