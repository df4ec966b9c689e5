// Calls the running Worker's handlers (after the HTTP API and the dashboard, in `cairn dev`, have
// taken their paths): `fetch` for each request (logged; an exception becomes a 500, with the
// stack in dev) and `scheduled` for each cron firing or `/__scheduled` request. It always asks
// the host for the current build, so a reload takes effect at the next call.

import { readableStack } from "../errors.js";
import type { Logger } from "../observability/logger.js";
import type { ApiHandler } from "../server/api-handler.js";
import type { HealthRoutes } from "../server/health-routes.js";
import { withoutSessionCookie } from "../server/session.js";
import { scheduledController } from "./crons.js";
import { createExecutionContext, type WaitUntilTracker } from "./execution-context.js";
import { jsonErrorResponse, wantsJsonError, withoutPrettyErrorHeader } from "./pretty-error.js";
import type { WorkerFetch } from "./project-bindings.js";
import { ctxExports, loopbackHost } from "./services/ctx-exports.js";
import type { WorkerModule } from "./worker-module.js";

/** The paths wrangler serves with --test-scheduled to fire the scheduled handler by hand (old and new). */
const SCHEDULED_PATHS = ["/__scheduled", "/cdn-cgi/handler/scheduled", "/cdn-cgi/local/scheduled"];

/**
 * The build being served, the env it runs with, and the project's providers around the Worker's
 * fetch (static assets may answer first).
 */
export type Running = {
  module: WorkerModule;
  env: Record<string, unknown>;
  wrap: (worker: WorkerFetch) => WorkerFetch;
};

export type DispatchOptions = {
  mode: "dev" | "start";
  testScheduled: boolean;
  tracker: WaitUntilTracker;
  log: Logger;
  /** The current build, or null while there is no good one. */
  current: () => Running | null;
  /** Why there is no good build, if there is none. */
  buildError: () => string | null;
  /** A promise to wait for while the engine is being reopened, else null. */
  swapping: () => Promise<void> | null;
  /** The HTTP API (and dashboard), answered before the Worker sees the request (`cairn dev`); none in `cairn start`. */
  api?: ApiHandler | undefined;
  /** The health probes (`cairn dev`), answered at once, even while the engine is being reopened. */
  health?: HealthRoutes | undefined;
};

export class Dispatcher {
  private readonly options: DispatchOptions;

  constructor(options: DispatchOptions) {
    this.options = options;
  }

  /** Serves one request and logs it (at info level in dev, debug in start). */
  async handle(request: Request): Promise<Response> {
    const started = performance.now();
    const response = await this.respond(request);
    const fields = {
      method: request.method,
      path: new URL(request.url).pathname,
      status: response.status,
      ms: Math.round(performance.now() - started),
    };
    if (this.options.mode === "dev") this.options.log.info(fields, "request");
    else this.options.log.debug(fields, "request");
    return response;
  }

  private async respond(request: Request): Promise<Response> {
    if (this.options.health?.handles(request)) return this.options.health.fetch(request);
    await this.options.swapping();
    if (this.options.api?.handles(request)) return this.options.api.fetch(request);
    const url = new URL(request.url);
    if (this.options.testScheduled && SCHEDULED_PATHS.includes(url.pathname)) {
      const cron = url.searchParams.get("cron") ?? "* * * * *";
      const time = Number(url.searchParams.get("time") ?? Date.now());
      const ok = await this.scheduled(cron, time);
      return new Response(ok ? "Ran scheduled event" : "Scheduled handler failed", {
        status: ok ? 200 : 500,
      });
    }
    const running = this.options.current();
    if (!running) {
      const error = this.options.buildError() ?? "";
      return new Response(`The Worker has no good build yet:\n\n${error}\n`, { status: 503 });
    }
    const worker: WorkerFetch = async (forWorker) => {
      const fetch = running.module.fetch;
      if (!fetch) return new Response("This Worker has no fetch handler", { status: 404 });
      const response = await fetch(forWorker, running.env, this.context(running));
      if (!(response instanceof Response)) throw new TypeError("the fetch handler did not return a Response");
      return response;
    };
    // In dev, a client (a test, wrangler's tooling) may ask for a thrown error as JSON, as wrangler answers.
    const jsonError = this.options.mode === "dev" && wantsJsonError(request);
    try {
      return await running.wrap(worker)(withoutPrettyErrorHeader(withoutSessionCookie(request)));
    } catch (error) {
      this.options.log.error({ method: request.method, url: request.url, err: error }, "fetch handler threw");
      if (jsonError) return jsonErrorResponse(error);
      const stack = this.options.mode === "dev" && error instanceof Error ? readableStack(error) : "";
      return new Response(stack || "Internal Server Error", { status: 500 });
    }
  }

  /** A handler's `ctx`, whose `exports` reach the current build's entrypoints. */
  private context(running: Running) {
    const host = loopbackHost(
      () => this.options.current()?.module ?? running.module,
      () => this.options.current()?.env ?? running.env,
      this.options.tracker,
    );
    return createExecutionContext(this.options.tracker, { exports: () => ctxExports(host, running.module) });
  }

  /** Calls the scheduled handler; true when it returned without throwing. */
  async scheduled(cron: string, scheduledTime: number): Promise<boolean> {
    const running = this.options.current();
    if (!running?.module.scheduled) {
      this.options.log.warn({ cron }, "cron fired but the Worker has no scheduled handler");
      return false;
    }
    this.options.log.info({ cron, scheduledTime: new Date(scheduledTime).toISOString() }, "scheduled");
    try {
      await running.module.scheduled(
        scheduledController(cron, scheduledTime),
        running.env,
        this.context(running),
      );
      return true;
    } catch (error) {
      this.options.log.error({ cron, err: error }, "scheduled handler threw");
      return false;
    }
  }
}
