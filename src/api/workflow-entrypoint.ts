// `WorkflowEntrypoint` as `cloudflare:workers` exports it: the base class of a workflow. Cairn
// constructs it with (ctx, env) for every activation and calls `run(event, step)`.

import type { ExecutionContext, WorkflowEvent, WorkflowStep } from "./types.js";

/**
 * Base class of a workflow.
 * @example
 * class Checkout extends WorkflowEntrypoint<Env, { cart: string }> {
 *   async run(event: WorkflowEvent<{ cart: string }>, step: WorkflowStep) {
 *     const total = await step.do("price cart", async () => priceOf(event.payload.cart));
 *     await step.sleep("cool off", "1 hour");
 *     return { total };
 *   }
 * }
 */
export abstract class WorkflowEntrypoint<Env = unknown, T = unknown> {
  protected ctx: ExecutionContext;
  protected env: Env;

  constructor(ctx: ExecutionContext, env: Env) {
    this.ctx = ctx;
    this.env = env;
  }

  abstract run(event: Readonly<WorkflowEvent<T>>, step: WorkflowStep): Promise<unknown>;
}
