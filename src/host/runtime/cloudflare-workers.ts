// What a hosted Worker gets for `import … from "cloudflare:workers"`: Cairn's workflow classes
// and WorkerEntrypoint (from cairn/workers) plus the Worker-side names a starter uses: the `env`
// and `waitUntil` module exports, the DurableObject base class, and an RpcTarget base class so
// that a module defining RPC targets still loads.

import type { DurableObjectState } from "../durable-objects/object-state.js";

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

let currentExports: () => Record<string, unknown> = () => ({});

/**
 * `import { exports } from "cloudflare:workers"`: what `ctx.exports` holds (a loopback binding
 * per entrypoint of the Worker, a namespace per bound Durable Object class), at module level.
 * Read at each use, so it follows a `cairn dev` reload.
 */
const workerExports: Record<string, unknown> = new Proxy(
  {},
  {
    get: (_target, key) => (typeof key === "string" ? currentExports()[key] : undefined),
    has: (_target, key) => typeof key === "string" && key in currentExports(),
    ownKeys: () => Object.keys(currentExports()),
    getOwnPropertyDescriptor: (_target, key) => {
      if (typeof key !== "string") return undefined;
      const all = currentExports();
      return key in all
        ? { value: all[key], enumerable: true, configurable: true, writable: false }
        : undefined;
    },
  },
);

export { workerExports as exports };

/** @internal The host sets the env, the waitUntil tracker and `exports` here before loading the Worker. */
export function __cairnInstall(host: {
  env: Record<string, unknown>;
  waitUntil: (promise: Promise<unknown>) => void;
  exports?: () => Record<string, unknown>;
}): void {
  env = host.env;
  pending = host.waitUntil;
  if (host.exports) currentExports = host.exports;
}

/**
 * The base class of a Durable Object: `new Class(ctx, env)` keeps its state (id, storage,
 * blockConcurrencyWhile, …) as `this.ctx` and the Worker's env as `this.env`. Its own members are
 * not RPC methods: a stub calls only what the subclass defines.
 *
 * @example
 * export class Counter extends DurableObject<Env> {
 *   async increment() {
 *     const value = ((await this.ctx.storage.get<number>("value")) ?? 0) + 1;
 *     await this.ctx.storage.put("value", value);
 *     return value;
 *   }
 * }
 */
export abstract class DurableObject<Env = unknown> {
  protected ctx: DurableObjectState;
  protected env: Env;

  constructor(ctx: DurableObjectState, env: Env) {
    this.ctx = ctx;
    this.env = env;
  }
}
// Where the RPC member lookup stops (a Symbol.for key, so a second copy of this module agrees).
Object.defineProperty(DurableObject.prototype, Symbol.for("cairn.rpcBase"), { value: true });

/** Present so that modules that define RPC targets load; Cairn has no cross-Worker RPC. */
export class RpcTarget {}
