// Cairn's own routes under `/cairn/api`, for what the dashboard and scripts need and Cloudflare's
// API does not offer: the change feed (SSE), an instance's event log, a step's full output by
// its key, and per-minute activity counts.

import { Hono } from "hono";
import type { ApiContext } from "./api-context.js";
import { changeStream } from "./change-stream.js";
import { iso } from "./cloudflare-shapes.js";
import { ok } from "./envelope.js";
import { stepOutputByKey } from "./step-output.js";

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
    stepOutputByKey(ctx.target(), c.req.param("name"), c.req.param("id"), c.req.param("key")),
  );

  return app;
}
