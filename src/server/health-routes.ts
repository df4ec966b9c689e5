// The routes an orchestrator probes: `healthz` answers 200 while the process serves (liveness),
// `readyz` answers 200 when the Cairn behind it is ready and 503 with the failing checks'
// reasons when not (readiness; see engine/health.ts). Neither asks for the API token, since a
// probe carries none, and they reveal nothing an instance holds; they answer GET and HEAD only,
// and keep the API's Host rule (loopback, IP addresses, --admin-host names) against DNS rebinding.

import type { HealthCheck, HealthCheckName } from "../engine/health.js";
import { ApiError, CF_CODE, toWireError } from "./api-error.js";
import { fail } from "./envelope.js";
import type { RequestGuard } from "./request-guard.js";

/**
 * What readyz reports. A host with no Cairn yet (a broken build in `cairn dev`) or one shutting
 * down reports not ready with no checks and the reason.
 */
export type Readiness = {
  ready: boolean;
  reason: string | null;
  checks: Partial<Record<HealthCheckName, HealthCheck>>;
};

export type HealthRoutesOptions = {
  /** What comes before `/healthz` and `/readyz`: "" in `cairn start`, "/cdn-cgi/cairn" in `cairn dev`. */
  basePath: string;
  /** The readiness report at this moment. */
  readiness: () => Promise<Readiness>;
  /** Refuses a Host header that does not name this server. */
  guard: RequestGuard;
};

export type HealthRoutes = {
  /** True for the two paths (whatever the method: others are answered 405). */
  handles(request: Request): boolean;
  /** Answers a probe; never throws. */
  fetch(request: Request): Promise<Response>;
};

const PROBE_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };

function probeAnswer(body: unknown, status: number, method: string): Response {
  return new Response(method === "HEAD" ? null : JSON.stringify(body), { status, headers: PROBE_HEADERS });
}

export function createHealthRoutes(options: HealthRoutesOptions): HealthRoutes {
  const live = `${options.basePath}/healthz`;
  const ready = `${options.basePath}/readyz`;

  const readyz = async (method: string): Promise<Response> => {
    let report: Readiness;
    try {
      report = await options.readiness();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      report = { ready: false, reason: `the health check failed: ${reason}`, checks: {} };
    }
    const body = {
      status: report.ready ? "ready" : "not_ready",
      reason: report.reason,
      checks: report.checks,
    };
    return probeAnswer(body, report.ready ? 200 : 503, method);
  };

  return {
    handles(request) {
      const path = new URL(request.url).pathname;
      return path === live || path === ready;
    },
    async fetch(request) {
      const path = new URL(request.url).pathname;
      try {
        options.guard.checkHost(request);
        if (request.method !== "GET" && request.method !== "HEAD") {
          throw new ApiError(
            405,
            "method.not_allowed",
            `${path} answers GET and HEAD only, not ${request.method}`,
            CF_CODE.invalid,
          );
        }
      } catch (error) {
        const extra: Record<string, string> =
          error instanceof ApiError && error.status === 405 ? { allow: "GET, HEAD" } : {};
        return fail(toWireError(error), extra);
      }
      if (path === live) return probeAnswer({ status: "alive" }, 200, request.method);
      return readyz(request.method);
    },
  };
}
