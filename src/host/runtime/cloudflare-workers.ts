// What a hosted Worker gets for `import … from "cloudflare:workers"`: Cairn's workflow classes
// and WorkerEntrypoint (from cairn/workers) plus the Worker-side names a starter uses: the `env`
// and `waitUntil` module exports, and DurableObject/RpcTarget base classes so that a module
// defining them still loads (Durable Object bindings themselves stop start-up).

export * from "../../workers.js";

/**
 * The env of the running Worker, as `import { env } from "cloudflare:workers"` gives it: the same
 * object that handlers receive (workflow bindings, vars and secrets).
 */
export let env: Record<string, unknown> = {};

let pending: (promise: Promise<unknown>) => void = (promise) => {
  Promise.resolve(promise).catch(() => {});
};

/** `import { waitUntil } from "cloudflare:workers"`: keeps `promise` alive past the response. */
export function waitUntil(promise: Promise<unknown>): void {
  pending(promise);
}

/** @internal The host sets the env and the waitUntil tracker here before loading the Worker. */
export function __cairnInstall(host: {
  env: Record<string, unknown>;
  waitUntil: (promise: Promise<unknown>) => void;
}): void {
  env = host.env;
  pending = host.waitUntil;
}

/** Present so that a module exporting a Durable Object class loads; Cairn provides no namespace for it. */
export abstract class DurableObject<Env = unknown> {
  protected ctx: unknown;
  protected env: Env;

  constructor(ctx: unknown, env: Env) {
    this.ctx = ctx;
    this.env = env;
  }
}

/** Present so that modules that define RPC targets load; Cairn has no cross-Worker RPC. */
export class RpcTarget {}
