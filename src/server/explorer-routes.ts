// The local explorer API, as `wrangler workflows … --local` and the explorer UI call it under
// `/cdn-cgi/local/explorer/api` (and `/cdn-cgi/explorer/api` for wrangler before 4.117): numbered
// pages, `{id}` on create, details with steps, PATCH status by `status` or the older `action`.

import { Hono } from "hono";
import { WorkflowsError } from "../errors.js";
import { type ApiContext, createOptions } from "./api-context.js";
import { explorerListItem, explorerWorkflow, zeroFilled } from "./cloudflare-shapes.js";
import { ok } from "./envelope.js";
import { listOptions } from "./list-query.js";
import { readJson } from "./request-body.js";
import { sharedHandlers } from "./shared-handlers.js";
import { requestTraceContext } from "./trace-headers.js";

export function explorerRoutes(ctx: ApiContext): Hono {
  const app = new Hono();
  const shared = sharedHandlers(ctx);

  app.get("/workflows", async () => {
    const workflows = await ctx.target().inspect.workflows();
    const result = workflows.map((w) => explorerWorkflow(w, ctx));
    return ok(result, { count: result.length });
  });

  app.get("/workflows/:name", async (c) => {
    const w = await ctx.target().inspect.workflow(c.req.param("name"));
    return ok({ ...explorerWorkflow(w, ctx), instances: zeroFilled(w.counts) });
  });

  app.delete("/workflows/:name", shared.deleteWorkflow);

  app.get("/workflows/:name/instances", async (c) => {
    const options = listOptions(new URL(c.req.url).searchParams);
    const page = await ctx.target().inspect.instances(c.req.param("name"), options);
    return ok(page.instances.map(explorerListItem), {
      page: options.page ?? 1,
      per_page: options.limit,
      count: page.instances.length,
      total_count: page.total,
      total_pages: Math.max(1, Math.ceil(page.total / options.limit)),
      status_counts: page.counts,
      ...(page.nextCursor ? { cursor: page.nextCursor } : {}),
    });
  });

  app.post("/workflows/:name/instances", async (c) => {
    const options = createOptions(await readJson(c.req.raw), "the create body");
    const id = await ctx
      .target()
      .operations.create(c.req.param("name"), options, requestTraceContext(c.req.raw));
    return ok({ id });
  });

  app.post("/workflows/:name/instances/batch/delete", shared.batchDelete);

  app.get("/workflows/:name/instances/:id", shared.details);

  app.patch("/workflows/:name/instances/:id/status", shared.patchStatus);

  app.post("/workflows/:name/instances/:id/events/:type", shared.sendEvent);

  app.delete("/workflows/:name/instances/:id", async (c) => {
    const name = c.req.param("name");
    const id = c.req.param("id");
    const result = await ctx.target().operations.deleteBatch(name, [id]);
    const missing = result.errors[0];
    if (missing) throw new WorkflowsError("instance.not_found", missing.detail);
    return ok({ success: true });
  });

  app.get("/local/workers", async () => {
    const workflows = await ctx.target().inspect.workflows();
    return ok([
      {
        isSelf: true,
        name: ctx.scriptName,
        bindings: {
          kv: [],
          d1: [],
          r2: [],
          do: [],
          workflows: workflows.map((w) => ({
            id: w.name,
            bindingName: w.binding,
            className: w.className ?? w.binding,
            scriptName: ctx.scriptName,
          })),
        },
      },
    ]);
  });

  return app;
}
