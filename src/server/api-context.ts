// What every route of the HTTP API works with: the Cairn it reads and controls (looked up per
// request, since `cairn dev` reopens it when the config changes), the names it answers with,
// and the operations several routes share (deleting or terminating a whole workflow's instances).

import type { WorkflowInstanceCreateOptions } from "../api/types.js";
import type { InstanceOperations } from "../bindings/instance-operations.js";
import type { Inspector } from "../inspect/inspector.js";
import type { StoredStatus } from "../inspect/types.js";
import { ApiError, CF_CODE } from "./api-error.js";
import { kindOf } from "./request-body.js";

/** What the API serves: a Cairn, or anything with its `inspect` and `operations`. */
export type ApiTarget = { inspect: Inspector; operations: InstanceOperations };

export type ApiContext = {
  /** The Cairn to serve now; throws a 503 while there is none (a `cairn dev` build that failed). */
  target(): ApiTarget;
  /** The Worker's name, shown as `script_name`. */
  scriptName: string;
  /** When this API started: what workflows report as created and modified. */
  since: number;
  /** Failures that are the server's fault (500s, background jobs). */
  onError(error: unknown, context: string): void;
  /** Workflows with a terminate-all running in the background. */
  terminating: Set<string>;
};

const PAGE = 100;

/** Deletes every instance the workflow has now (newer ones created meanwhile stay); returns how many. */
export async function deleteAllInstances(target: ApiTarget, workflow: string): Promise<number> {
  let cursor: string | undefined;
  let deleted = 0;
  do {
    const page = await target.inspect.instances(workflow, { limit: PAGE, ...(cursor ? { cursor } : {}) });
    if (page.instances.length > 0) {
      const result = await target.operations.deleteBatch(
        workflow,
        page.instances.map((i) => i.id),
      );
      deleted += result.deleted.length;
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return deleted;
}

/** The statuses terminate-all acts on, as Cloudflare's `?status=` accepts them. */
export const TERMINABLE: readonly StoredStatus[] = [
  "queued",
  "running",
  "paused",
  "waitingForPause",
  "waiting",
];

/**
 * Starts terminating every instance of the workflow in the given statuses, in the background;
 * "already_running" when one is still going for this workflow.
 */
export function startTerminateAll(
  ctx: ApiContext,
  workflow: string,
  statuses: readonly StoredStatus[],
): "ok" | "already_running" {
  if (ctx.terminating.has(workflow)) return "already_running";
  const target = ctx.target();
  ctx.terminating.add(workflow);
  void (async () => {
    try {
      for (const status of statuses) {
        let cursor: string | undefined;
        do {
          const page = await target.inspect.instances(workflow, {
            status,
            limit: PAGE,
            ...(cursor ? { cursor } : {}),
          });
          for (const instance of page.instances) {
            await target.operations.terminate(workflow, instance.id).catch((error: unknown) => {
              const code = (error as { code?: string }).code;
              // Finished or deleted since the page was read: nothing left to terminate.
              if (code !== "instance.cannot_terminate" && code !== "instance.not_found") throw error;
            });
          }
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
      }
    } catch (error) {
      ctx.onError(error, `terminate-all of workflow "${workflow}"`);
    } finally {
      ctx.terminating.delete(workflow);
    }
  })();
  return "ok";
}

/** A create request's options from its JSON body (`id` or `instance_id`, `params`, retention). */
export function createOptions(body: unknown, where: string): WorkflowInstanceCreateOptions {
  if (body === undefined) return {};
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ApiError(400, "request.invalid", `${where} must be a JSON object, got ${kindOf(body)}`);
  }
  const b = body as Record<string, unknown>;
  const options: WorkflowInstanceCreateOptions = {};
  const id = b.instance_id ?? b.id;
  if (id !== undefined && id !== null) {
    if (typeof id !== "string") {
      throw new ApiError(
        400,
        "request.invalid",
        `${where}: the instance id must be a string, got ${kindOf(id)}`,
      );
    }
    options.id = id;
  }
  if (b.params !== undefined) options.params = b.params;
  const retention = b.instance_retention ?? b.retention;
  if (retention !== undefined && retention !== null) {
    options.retention = retention as WorkflowInstanceCreateOptions["retention"];
  }
  return options;
}

/** The status change a PATCH asks for, from `{status}` or the older `{action}`. */
export type StatusChange =
  | { op: "pause" | "resume" }
  | { op: "terminate"; rollback: boolean }
  | { op: "restart"; from?: { name: string; count?: number; type?: "do" | "sleep" | "waitForEvent" } };

const OPS = ["pause", "resume", "terminate", "restart"];

export function statusChange(body: Record<string, unknown>): StatusChange {
  const op = body.status ?? body.action;
  if (typeof op !== "string" || !OPS.includes(op)) {
    throw new ApiError(
      400,
      "request.invalid",
      `status: expected one of ${OPS.join(", ")}, got ${op === undefined ? "nothing" : JSON.stringify(op)}`,
      CF_CODE.invalid,
    );
  }
  if (body.rollback !== undefined && op !== "terminate") {
    throw new ApiError(400, "request.invalid", "'rollback' is only valid when terminating.");
  }
  if (body.from !== undefined && op !== "restart") {
    throw new ApiError(400, "request.invalid", "'from' is only valid when restarting.");
  }
  if (op === "terminate") {
    if (body.rollback !== undefined && typeof body.rollback !== "boolean") {
      throw new ApiError(
        400,
        "request.invalid",
        `rollback: expected true or false, got ${kindOf(body.rollback)}`,
      );
    }
    return { op, rollback: body.rollback === true };
  }
  if (op === "restart") {
    if (body.from === undefined || body.from === null) return { op };
    // The engine checks the shape of `from` and names what is wrong.
    return { op, from: body.from as { name: string } };
  }
  return { op: op as "pause" | "resume" };
}

/** Applies a status change; answers the status after it, as Cloudflare's PATCH does. */
export async function applyStatusChange(
  target: ApiTarget,
  workflow: string,
  id: string,
  change: StatusChange,
): Promise<{ status: string; timestamp: string }> {
  const ops = target.operations;
  if (change.op === "terminate") await ops.terminate(workflow, id, { rollback: change.rollback });
  else if (change.op === "restart") await ops.restart(workflow, id, change.from);
  else if (change.op === "pause") await ops.pause(workflow, id);
  else await ops.resume(workflow, id);
  const { status } = await ops.status(workflow, id);
  return { status, timestamp: new Date().toISOString() };
}
