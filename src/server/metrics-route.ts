// Serves the Prometheus scrape endpoint beside the HTTP API: `cairn start`'s admin listener at
// /metrics, `cairn dev` at /cdn-cgi/cairn/metrics on the Worker's port. It answers the current
// Cairn's exposition text. Behind the API's guard (Host check and token, when one is set) unless
// told to serve it without a token, for a scraper that cannot send one.

import { WorkflowsError } from "../errors.js";
import { ApiError, CF_CODE, toWireError } from "./api-error.js";
import { fail } from "./envelope.js";
import type { RequestGuard } from "./request-guard.js";

/** Where each command serves the metrics. */
export const METRICS_PATHS = { start: "/metrics", dev: "/cdn-cgi/cairn/metrics" } as const;

export type MetricsRouteOptions = {
  /** The path served, e.g. "/metrics". */
  path: string;
  /** Serve it to anyone who reaches the listener, without the token or the Host check. */
  withoutToken?: boolean | undefined;
  /** Serves what this answers instead, given a way to read the target's own metrics. */
  gather?: ((local: () => Promise<string>) => Promise<string>) | undefined;
};

/** What serves metrics: a Cairn, or anything with its `metrics()` and content type. */
type MetricsSource = { metrics(): Promise<string>; metricsContentType: string };

export type MetricsRoute = {
  readonly path: string;
  fetch(request: Request): Promise<Response>;
};

export function metricsRoute(
  options: MetricsRouteOptions,
  guard: RequestGuard,
  target: () => unknown,
  onError: (error: unknown, context: string) => void,
): MetricsRoute {
  return {
    path: options.path,
    async fetch(request) {
      try {
        if (request.method !== "GET" && request.method !== "HEAD") {
          throw new ApiError(
            405,
            "method.not_allowed",
            `${request.method} ${options.path}: only GET`,
            CF_CODE.internal,
          );
        }
        if (!options.withoutToken) guard.check(request);
        const source = target() as Partial<MetricsSource>;
        if (typeof source.metrics !== "function") throw noMetrics();
        const local = () => (source as MetricsSource).metrics();
        const read = options.gather ? options.gather(local) : local();
        const text = await read.catch((error: unknown) => {
          throw WorkflowsError.is(error) && error.code === "metrics.disabled" ? noMetrics() : error;
        });
        const headers = {
          "content-type": source.metricsContentType ?? "text/plain",
          "cache-control": "no-store",
        };
        return new Response(request.method === "HEAD" ? null : text, { status: 200, headers });
      } catch (error) {
        const wire = toWireError(error);
        if (wire.status >= 500 && wire.status !== 503) onError(error, "metrics scrape");
        return fail(wire);
      }
    },
  };
}

function noMetrics(): ApiError {
  return new ApiError(404, "route.not_found", "This server collects no metrics", CF_CODE.notFound);
}
