// Cairn's own routes under `/cairn/api`, for what the dashboard and scripts need and Cloudflare's
// API does not offer: workflows and instances in Cairn's full view (step keys, attempts, wake
// times), the change feed (SSE), an instance's event log, a step's full output by its key, and
// per-minute counts of instances created and finished. Only the details and the step output
// routes here take `include_sensitive=true`, which shows sensitive outputs (for an export).

import { Hono } from "hono";
import type { RevealOptions } from "../inspect/types.js";
import type { ApiContext } from "./api-context.js";
import { ApiError } from "./api-error.js";
import { cairnInstance, cairnListItem, cairnWorkflow } from "./cairn-shapes.js";
import { changeStream } from "./change-stream.js";
import { iso, zeroFilled } from "./cloudflare-shapes.js";
import { ok } from "./envelope.js";
import { integer, listOptions } from "./list-query.js";
import { stepOutputByKey } from "./step-output.js";
import { streamSummaries } from "./stream-preview.js";

/** The most characters `output_limit` may ask for. */
export const MAX_OUTPUT_LIMIT = 1_000_000;

export function cairnRoutes(ctx: ApiContext): Hono {
  const app = new Hono();

  app.get("/changes", (c) => {
    const params = new URL(c.req.url).searchParams;
    const since = c.req.header("last-event-id") || params.get("since") || undefined;
    const workflow = params.get("workflow") || undefined;
    const id = params.get("id") || undefined;
    return changeStream(
      ctx.target(),
      { ...(workflow ? { workflow } : {}), ...(id ? { id } : {}), ...(since ? { since } : {}) },
      c.req.raw.signal,
    );
  });

  app.get("/workflows", async () => {
    const workflows = await ctx.target().inspect.workflows();
    return ok(workflows.map(cairnWorkflow), { count: workflows.length });
  });

  app.get("/workflows/:name", async (c) => {
    return ok(cairnWorkflow(await ctx.target().inspect.workflow(c.req.param("name"))));
  });

  app.get("/workflows/:name/instances", async (c) => {
    const options = listOptions(new URL(c.req.url).searchParams);
    const page = await ctx.target().inspect.instances(c.req.param("name"), options);
    return ok(page.instances.map(cairnListItem), {
      next_cursor: page.nextCursor,
      total: page.total,
      counts: zeroFilled(page.counts),
      per_page: options.limit,
    });
  });

  app.get("/workflows/:name/instances/:id", async (c) => {
    const params = new URL(c.req.url).searchParams;
    const outputLimit = integer(params, "output_limit", 0, MAX_OUTPUT_LIMIT);
    const reveal = revealOptions(params);
    const target = ctx.target();
    const detail = await target.inspect.instance(c.req.param("name"), c.req.param("id"), reveal);
    const streams = await streamSummaries(target, detail, outputLimit, reveal);
    return ok(cairnInstance(detail, { outputLimit, streams }));
  });

  app.get("/workflows/:name/instances/:id/log", async (c) => {
    const log = await ctx.target().inspect.log(c.req.param("name"), c.req.param("id"));
    return ok(
      log.map((e) => ({
        seq: e.seq,
        at: iso(e.at),
        type: e.type,
        step_key: e.stepKey,
        attempt: e.attempt,
        data: e.data,
      })),
    );
  });

  app.get("/workflows/:name/instances/:id/steps/:key/output", (c) =>
    stepOutputByKey(
      ctx.target(),
      c.req.param("name"),
      c.req.param("id"),
      c.req.param("key"),
      revealOptions(new URL(c.req.url).searchParams),
    ),
  );

  app.get("/workflows/:name/activity", async (c) => {
    const params = new URL(c.req.url).searchParams;
    const from = timeParam(params, "from");
    const to = timeParam(params, "to");
    const buckets = await ctx.target().inspect.activity(c.req.param("name"), {
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
    });
    return ok(buckets.map((b) => ({ minute: iso(b.minute), created: b.created, finished: b.finished })));
  });

  return app;
}

/**
 * `include_sensitive`: "true" shows the outputs of steps declared `sensitive: "output"`; absent,
 * empty or "false" keeps them "[REDACTED]". Anything else is a 400, so a typo never reveals.
 */
export function revealOptions(params: URLSearchParams): RevealOptions {
  const raw = params.get("include_sensitive");
  if (raw === null || raw === "" || raw === "false") return {};
  if (raw === "true") return { includeSensitive: true };
  throw new ApiError(400, "request.invalid", `include_sensitive: expected true or false, got "${raw}"`);
}

/** An ISO date or milliseconds since the epoch from the query; the inspector checks the window. */
function timeParam(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === "") return undefined;
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms)) {
    throw new ApiError(
      400,
      "request.invalid",
      `${name}: expected an ISO 8601 date or milliseconds, got "${raw}"`,
    );
  }
  return ms;
}
