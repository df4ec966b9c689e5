// The HTTP API as one fetch handler: Cloudflare's local explorer API (both prefixes), its REST
// API v4 and Cairn's own routes, behind the request guard (Host, Origin, token), answering in
// Cloudflare's envelope. Mount it in any server; `cairn dev` and `cairn start` serve it. With
// `dashboard`, it also serves the web dashboard under its base paths (dashboard-routes.ts).

import { Hono } from "hono";
import type { ApiContext, ApiTarget } from "./api-context.js";
import { ApiError, CF_CODE, toWireError } from "./api-error.js";
import { cairnRoutes } from "./cairn-routes.js";
import { DEFAULT_DASHBOARD_BASE, dashboardRoutes } from "./dashboard-routes.js";
import { fail } from "./envelope.js";
import { explorerRoutes } from "./explorer-routes.js";
import { type MetricsRouteOptions, metricsRoute } from "./metrics-route.js";
import { type GuardOptions, RequestGuard } from "./request-guard.js";
import { checkPath } from "./request-path.js";
import { restRoutes } from "./rest-routes.js";

/** Where each part of the API lives. */
export const API_PREFIXES = {
  explorer: "/cdn-cgi/local/explorer/api",
  explorerBefore4117: "/cdn-cgi/explorer/api",
  rest: "/client/v4/accounts/:account_id/workflows",
  cairn: "/cairn/api",
} as const;

const API_PATH =
  /^\/(cdn-cgi\/(local\/)?explorer\/api|client\/v4\/accounts\/[^/]+\/workflows|cairn\/api)(\/|$)/;

export type ApiHandlerOptions = GuardOptions & {
  /** The Cairn to serve, or a function answering the current one (null while there is none). */
  target: ApiTarget | (() => ApiTarget | null);
  /** The Worker's name, shown as `script_name` (default "cairn"), or a function answering it. */
  scriptName?: string | (() => string);
  /** Told of failures that are the server's fault (answered 500) and of background jobs' errors. */
  onError?: (error: unknown, context: string) => void;
  /**
   * Also serve the web dashboard: `true` under "/cdn-cgi/local/explorer/", or under each of
   * `basePaths` (each starting and ending with "/"). The API's own paths still go to the API.
   */
  dashboard?: boolean | { basePaths: string[] } | undefined;
  /** Also serve the target's Prometheus metrics at `path` (see metrics-route.ts). */
  metrics?: MetricsRouteOptions | undefined;
};

/**
 * Cairn's HTTP API.
 * @example
 * const api = createApiHandler({ target: cairn, token: process.env.CAIRN_API_TOKEN });
 * // in any fetch-style server: if (api.handles(request)) return api.fetch(request);
 */
export type ApiHandler = {
  /** True when the request's path belongs to the API or the dashboard (so a server hands it over). */
  handles(request: Request): boolean;
  /** Answers an API or dashboard request; never throws. */
  fetch(request: Request): Promise<Response>;
};

const CORS_HEADERS = {
  "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
  "access-control-allow-headers":
    "Content-Type, Authorization, Last-Event-ID, X-Cairn-CSRF, Traceparent, Tracestate",
  "access-control-max-age": "86400",
};

/**
 * A HEAD answered as the GET would be, without its body. The body is cancelled, not dropped, so
 * a stream behind it (the change feed's watch) ends at once.
 */
async function head(app: Hono, request: Request): Promise<Response> {
  const response = await app.fetch(new Request(request, { method: "GET" }));
  await response.body?.cancel().catch(() => {});
  return new Response(null, { status: response.status, headers: response.headers });
}

export function createApiHandler(options: ApiHandlerOptions): ApiHandler {
  const { target } = options;
  const onError = options.onError ?? (() => {});
  const ctx: ApiContext = {
    target() {
      const current = typeof target === "function" ? target() : target;
      if (!current) {
        throw new ApiError(
          503,
          "internal",
          "Cairn is not running: the Worker has no good build yet",
          CF_CODE.internal,
        );
      }
      return current;
    },
    get scriptName() {
      const name = options.scriptName;
      return (typeof name === "function" ? name() : name) ?? "cairn";
    },
    since: Date.now(),
    onError,
    terminating: new Set(),
  };
  const guard = new RequestGuard(options);
  const dashboard = options.dashboard
    ? dashboardRoutes({
        basePaths: options.dashboard === true ? [DEFAULT_DASHBOARD_BASE] : options.dashboard.basePaths,
        guard,
        onError,
      })
    : null;
  const metrics = options.metrics ? metricsRoute(options.metrics, guard, () => ctx.target(), onError) : null;
  const app = new Hono();
  const explorer = explorerRoutes(ctx);
  app.route(API_PREFIXES.explorer, explorer);
  app.route(API_PREFIXES.explorerBefore4117, explorer);
  app.route(API_PREFIXES.rest, restRoutes(ctx));
  app.route(API_PREFIXES.cairn, cairnRoutes(ctx));
  app.notFound((c) => {
    throw new ApiError(
      404,
      "route.not_found",
      `No API route ${c.req.method} ${new URL(c.req.url).pathname}`,
      CF_CODE.notFound,
    );
  });
  app.onError((error) => {
    const wire = toWireError(error);
    if (wire.status >= 500 && wire.status !== 503) onError(error, "HTTP API request");
    return fail(wire);
  });

  const cors = (request: Request, response: Response): Response => {
    const origin = request.headers.get("origin");
    if (!origin || !guard.originAllowed(origin, request.headers.get("host"))) return response;
    response.headers.set("access-control-allow-origin", origin);
    response.headers.append("vary", "Origin");
    return response;
  };

  return {
    handles(request) {
      const path = new URL(request.url).pathname;
      return API_PATH.test(path) || path === metrics?.path || (dashboard?.handles(path) ?? false);
    },
    async fetch(request) {
      const path = new URL(request.url).pathname;
      if (path === metrics?.path) return metrics.fetch(request);
      if (dashboard && !API_PATH.test(path) && dashboard.handles(path)) return dashboard.fetch(request);
      try {
        if (request.method === "OPTIONS") {
          guard.checkHost(request);
          return cors(request, new Response(null, { status: 204, headers: CORS_HEADERS }));
        }
        guard.check(request);
        checkPath(path);
        if (request.method === "HEAD") return cors(request, await head(app, request));
        return cors(request, await app.fetch(request));
      } catch (error) {
        return cors(request, fail(toWireError(error)));
      }
    },
  };
}
