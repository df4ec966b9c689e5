// The local explorer API, as `wrangler workflows … --local` and the explorer UI call it under
// `/cdn-cgi/local/explorer/api` (and `/cdn-cgi/explorer/api` for wrangler before 4.117): numbered
// pages, `{id}` on create, details with steps, PATCH status by `status` or the older `action`.

import { Hono } from "hono";
import { WorkflowsError } from "../errors.js";
import {
  type ApiContext,
  applyStatusChange,
  createOptions,
  deleteAllInstances,
  statusChange,
} from "./api-context.js";
import { ApiError } from "./api-error.js";
import { explorerListItem, explorerWorkflow, instanceDetails, zeroFilled } from "./cloudflare-shapes.js";
import { ok } from "./envelope.js";
import { listOptions } from "./list-query.js";
import { readJson, readObject } from "./request-body.js";

/** The ids of a batch delete body: `{instances: string[]}`. */
export function batchIds(body: Record<string, unknown>): string[] {
  const ids = body.instances;
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== "string")) {
    throw new ApiError(
      400,
      "request.invalid",
      "instances: expected an array of 1 to 100 instance ids (strings)",
    );
  }
  return ids as string[];
}

export function explorerRoutes(ctx: ApiContext): Hono {
  const app = new Hono();

  app.get("/workflows", async () => {
    const workflows = await ctx.target().inspect.workflows();
    const result = workflows.map((w) => explorerWorkflow(w, ctx));
    return ok(result, { count: result.length });
  });

  app.get("/workflows/:name", async (c) => {
    const w = await ctx.target().inspect.workflow(c.req.param("name"));
    return ok({ ...explorerWorkflow(w, ctx), instances: zeroFilled(w.counts) });
  });

  app.delete("/workflows/:name", async (c) => {
    const target = ctx.target();
    const name = c.req.param("name");
    await target.inspect.workflow(name);
    const deleted = await deleteAllInstances(target, name);
    return ok({ status: "ok", success: true, deleted });
  });

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
    const id = await ctx.target().operations.create(c.req.param("name"), options);
    return ok({ id });
  });

  app.post("/workflows/:name/instances/batch/delete", async (c) => {
    const ids = batchIds(await readObject(c.req.raw, "the batch delete body"));
    const result = await ctx.target().operations.deleteBatch(c.req.param("name"), ids);
    return ok(batchDeleteResult(result));
  });

  app.get("/workflows/:name/instances/:id", async (c) => {
    const detail = await ctx.target().inspect.instance(c.req.param("name"), c.req.param("id"));
    return ok(instanceDetails(detail));
  });

  app.patch("/workflows/:name/instances/:id/status", async (c) => {
    const change = statusChange(await readObject(c.req.raw, "the status body"));
    return ok(await applyStatusChange(ctx.target(), c.req.param("name"), c.req.param("id"), change));
  });

  app.post("/workflows/:name/instances/:id/events/:type", async (c) => {
    const payload = await readJson(c.req.raw);
    await ctx.target().operations.sendEvent(c.req.param("name"), c.req.param("id"), {
      type: c.req.param("type"),
      payload,
    });
    return ok({ success: true });
  });

  app.delete("/workflows/:name/instances/:id", async (c) => {
    const name = c.req.param("name");
    const id = c.req.param("id");
    const result = await ctx.target().operations.deleteBatch(name, [id]);
    const missing = result.errors[0];
    if (missing) throw new WorkflowsError("instance.not_found", missing.message);
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

/** A batch delete's result with Cloudflare's numeric code for a missing id. */
export function batchDeleteResult(result: {
  deleted: { id: string }[];
  errors: { id: string; code: string; message: string }[];
}) {
  return {
    deleted: result.deleted,
    errors: result.errors.map((e) => ({
      id: e.id,
      code: 10400,
      // The binding's message starts with "(code) "; here the code travels as `cairn_code`.
      message: e.message.startsWith(`(${e.code}) `) ? e.message.slice(e.code.length + 3) : e.message,
      cairn_code: e.code,
    })),
  };
}
