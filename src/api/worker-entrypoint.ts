// `WorkerEntrypoint` as `cloudflare:workers` exports it: the base class of a class-based Worker
// (`export default class extends WorkerEntrypoint { fetch(request) { … } }`), constructed per call
// with the handler's `ctx` and `env`.

import type { ExecutionContext } from "./types.js";

/**
 * Base class of a class-based Worker.
 * @example
 * export default class extends WorkerEntrypoint<Env> {
 *   async fetch() { return Response.json(await (await this.env.ORDERS.create()).status()) }
 * }
 */
export abstract class WorkerEntrypoint<Env = unknown, Props = unknown> {
  protected ctx: ExecutionContext & { props: Props };
  protected env: Env;

  constructor(ctx: ExecutionContext, env: Env) {
    this.ctx = ctx as ExecutionContext & { props: Props };
    this.env = env;
  }
}
