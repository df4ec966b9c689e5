// Cloudflare's REST API v4 for workflows, under `/client/v4/accounts/:account_id/workflows`
// (any account id): what wrangler calls with CLOUDFLARE_API_BASE_URL pointed here, and what
// `cairn workflows` speaks. Instances page by cursor (`result_info.cursor` while more remain).

import { Hono } from "hono";
import type { StoredStatus } from "../inspect/types.js";
import { type ApiContext, createOptions, startTerminateAll, TERMINABLE } from "./api-context.js";
import { ApiError } from "./api-error.js";
import { restListItem, restVersion, restWorkflow, versionId, workflowId } from "./cloudflare-shapes.js";
import { ok } from "./envelope.js";
import { DEFAULT_PER_PAGE, integer, listOptions, MAX_PER_PAGE } from "./list-query.js";
import { readJson } from "./request-body.js";
import { sharedHandlers } from "./shared-handlers.js";
import { stepOutput } from "./step-output.js";
import { requestTraceContext } from "./trace-headers.js";

/** When the workflow's newest instance was created (null: none yet). */
async function triggeredOn(ctx: ApiContext, name: string): Promise<number | null> {
  const page = await ctx.target().inspect.instances(name, { limit: 1 });
  return page.instances[0]?.createdAt ?? null;
}

export function restRoutes(ctx: ApiContext): Hono {
  const app = new Hono();
  const shared = sharedHandlers(ctx);

  app.get("/", async (c) => {
    const params = new URL(c.req.url).searchParams;
    const perPage = integer(params, "per_page", 1, MAX_PER_PAGE) ?? DEFAULT_PER_PAGE;
    const page = integer(params, "page", 1, Number.MAX_SAFE_INTEGER) ?? 1;
    const search = params.get("search") ?? "";
    const all = (await ctx.target().inspect.workflows()).filter((w) => w.name.includes(search));
    const slice = all.slice((page - 1) * perPage, page * perPage);
    const result = await Promise.all(
      slice.map(async (w) => restWorkflow(w, ctx, await triggeredOn(ctx, w.name))),
    );
    return ok(result, {
      page,
      per_page: perPage,
      count: result.length,
      total_count: all.length,
      total_pages: Math.max(1, Math.ceil(all.length / perPage)),
    });
  });

  app.get("/:name", async (c) => {
    const name = c.req.param("name");
    const w = await ctx.target().inspect.workflow(name);
    return ok(restWorkflow(w, ctx, await triggeredOn(ctx, name)));
  });

  app.delete("/:name", shared.deleteWorkflow);

  app.get("/:name/versions", async (c) => {
    const w = await ctx.target().inspect.workflow(c.req.param("name"));
    return ok([restVersion(w, ctx, null)], { page: 1, per_page: DEFAULT_PER_PAGE, count: 1, total_count: 1 });
  });

  app.get("/:name/versions/:version", async (c) => {
    const w = await ctx.target().inspect.workflow(c.req.param("name"));
    if (c.req.param("version") !== versionId(w.name)) {
      throw new ApiError(
        404,
        "route.not_found",
        `Workflow '${w.name}' has no version '${c.req.param("version")}'`,
        10501,
      );
    }
    return ok(restVersion(w, ctx, null));
  });

  app.post("/:name/instances", async (c) => {
    const name = c.req.param("name");
    const id = await ctx
      .target()
      .operations.create(
        name,
        createOptions(await readJson(c.req.raw), "the create body"),
        requestTraceContext(c.req.raw),
      );
    return ok({ id, status: "queued", version_id: versionId(name), workflow_id: workflowId(name) });
  });

  app.post("/:name/instances/batch", async (c) => {
    const name = c.req.param("name");
    const body = await readJson(c.req.raw);
    if (!Array.isArray(body)) {
      throw new ApiError(
        400,
        "request.invalid",
        "a batch create body must be a JSON array of 1 to 100 {instance_id?, params?}",
      );
    }
    const ids = await ctx.target().operations.createBatch(
      name,
      body.map((item, i) => createOptions(item, `batch item ${i}`)),
      requestTraceContext(c.req.raw),
    );
    return ok(
      ids.map((id) => ({ id, status: "queued", version_id: versionId(name), workflow_id: workflowId(name) })),
    );
  });

  app.post("/:name/instances/batch/delete", shared.batchDelete);

  app.put("/:name/instances/terminate", async (c) => {
    const name = c.req.param("name");
    await ctx.target().inspect.workflow(name);
    const raw = new URL(c.req.url).searchParams.get("status");
    let statuses = TERMINABLE;
    if (raw) {
      if (!TERMINABLE.includes(raw as StoredStatus)) {
        throw new ApiError(
          400,
          "request.invalid",
          `status: expected one of ${TERMINABLE.join(", ")}, got "${raw}"`,
        );
      }
      statuses = [raw as StoredStatus];
    }
    return ok({ status: startTerminateAll(ctx, name, statuses) });
  });

  app.on("GET", ["/:name/instances", "/:name/instances/"], async (c) => {
    const options = listOptions(new URL(c.req.url).searchParams);
    const page = await ctx.target().inspect.instances(c.req.param("name"), options);
    return ok(page.instances.map(restListItem), {
      count: page.instances.length,
      per_page: options.limit,
      total_count: page.total,
      ...(options.page !== undefined
        ? { page: options.page, total_pages: Math.max(1, Math.ceil(page.total / options.limit)) }
        : {}),
      ...(page.nextCursor ? { cursor: page.nextCursor } : {}),
      status_counts: page.counts,
    });
  });

  app.get("/:name/instances/:id", shared.details);

  app.get("/:name/instances/:id/step", async (c) => {
    const params = new URL(c.req.url).searchParams;
    return stepOutput(ctx.target(), c.req.param("name"), c.req.param("id"), {
      name: params.get("name"),
      type: params.get("type"),
    });
  });

  app.patch("/:name/instances/:id/status", shared.patchStatus);

  app.post("/:name/instances/:id/events/:type", shared.sendEvent);

  return app;
}
