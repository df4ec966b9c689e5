// The handlers the explorer API and the REST API answer alike (same body, same result): delete a
// workflow's instances, batch delete, instance details, PATCH status and send an event. Each
// API mounts them under its own paths; only what differs lives in its routes file.

import type { Context } from "hono";
import { type ApiContext, applyStatusChange, deleteAllInstances, statusChange } from "./api-context.js";
import { ApiError } from "./api-error.js";
import { instanceDetails } from "./cloudflare-shapes.js";
import { ok } from "./envelope.js";
import { readJson, readObject } from "./request-body.js";

type Handler = (c: Context) => Promise<Response>;

/** The ids of a batch delete body: `{instances: string[]}`. */
function batchIds(body: Record<string, unknown>): string[] {
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

export function sharedHandlers(
  ctx: ApiContext,
): Record<"deleteWorkflow" | "batchDelete" | "details" | "patchStatus" | "sendEvent", Handler> {
  return {
    async deleteWorkflow(c) {
      const target = ctx.target();
      const name = c.req.param("name")!;
      await target.inspect.workflow(name);
      const deleted = await deleteAllInstances(target, name);
      return ok({ status: "ok", success: true, deleted });
    },

    async batchDelete(c) {
      const ids = batchIds(await readObject(c.req.raw, "the batch delete body"));
      const result = await ctx.target().operations.deleteBatch(c.req.param("name")!, ids);
      return ok({
        deleted: result.deleted,
        errors: result.errors.map((e) => ({
          id: e.id,
          code: 10400,
          // What wrangler prints is `message`: the explanation, its code travelling as `cairn_code`.
          message: e.detail,
          cairn_code: e.code,
        })),
      });
    },

    async details(c) {
      const detail = await ctx.target().inspect.instance(c.req.param("name")!, c.req.param("id")!);
      return ok(instanceDetails(detail));
    },

    async patchStatus(c) {
      const change = statusChange(await readObject(c.req.raw, "the status body"));
      return ok(await applyStatusChange(ctx.target(), c.req.param("name")!, c.req.param("id")!, change));
    },

    async sendEvent(c) {
      const payload = await readJson(c.req.raw);
      await ctx.target().operations.sendEvent(c.req.param("name")!, c.req.param("id")!, {
        type: c.req.param("type")!,
        payload,
      });
      return ok({ success: true });
    },
  };
}
