// `cloudflare:test` as cairn/vitest provides it: the test file's Worker env and `SELF`,
// execution contexts for calling handlers by hand, and Cloudflare's workflow introspection
// (cairn/testing). Cloudflare's other exports are here as stubs that throw a message naming
// them (see unsupported.ts).

import type { ExecutionContext } from "../api/types.js";
import { env as workerEnv } from "./file-runtime.js";
import { unsupportedMessage } from "./unsupported.js";

export {
  introspectWorkflow,
  introspectWorkflowInstance,
  type WorkflowInstanceIntrospector,
  type WorkflowIntrospector,
} from "../testing/introspection.js";
export type { WorkflowInstanceModifier } from "../testing/modifier.js";
export { createScheduledController, type ScheduledResult, SELF, type WorkerFetcher } from "./file-runtime.js";

/**
 * The type of `env`. Declare your bindings on it, as with Cloudflare's integration:
 * `declare module "cloudflare:test" { interface ProvidedEnv extends Env {} }`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: an interface, so that test projects can extend it.
export interface ProvidedEnv {}

/** The Worker's env for this test file: its workflow bindings and vars (and `.dev.vars` secrets). */
export const env = workerEnv as ProvidedEnv;

const pending = new WeakMap<object, Promise<unknown>[]>();

/** A `ctx` to pass to a handler by hand; `waitOnExecutionContext(ctx)` waits for its `waitUntil`s. */
export function createExecutionContext(): ExecutionContext {
  const promises: Promise<unknown>[] = [];
  const ctx: ExecutionContext = {
    waitUntil(promise: Promise<unknown>) {
      promises.push(Promise.resolve(promise));
    },
    passThroughOnException() {},
    props: {},
  };
  pending.set(ctx, promises);
  return ctx;
}

/**
 * Waits until every promise given to `ctx.waitUntil` settled, those added meanwhile included;
 * rejects with the rejection if one rejected (an AggregateError if several did).
 */
export async function waitOnExecutionContext(ctx: ExecutionContext): Promise<void> {
  const promises = typeof ctx === "object" && ctx !== null ? pending.get(ctx) : undefined;
  if (!promises) {
    throw new TypeError(
      "waitOnExecutionContext: the argument is not an ExecutionContext made by createExecutionContext()",
    );
  }
  const errors: unknown[] = [];
  while (promises.length > 0) {
    for (const result of await Promise.allSettled(promises.splice(0))) {
      if (result.status === "rejected") errors.push(result.reason);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, "several waitUntil promises rejected");
}

/** A function that throws the message for `name`, whatever is done with it. */
function unsupportedFunction(name: string): any {
  const stub = () => {
    throw new Error(unsupportedMessage(name));
  };
  Object.defineProperty(stub, "name", { value: name });
  return stub;
}

/** An object (Cloudflare's `fetchMock`) whose every use throws the message for `name`. */
function unsupportedObject(name: string): any {
  const fail = (): never => {
    throw new Error(unsupportedMessage(name));
  };
  return new Proxy(function unsupported() {}, {
    // Symbols and `then` answer undefined, so that printing it or a thenable check does not throw.
    get: (_target, key) => (typeof key === "symbol" || key === "then" ? undefined : fail()),
    set: fail,
    has: fail,
    apply: fail,
    construct: fail,
    defineProperty: fail,
    deleteProperty: fail,
  });
}

/** @deprecated Not provided by Cairn: mock outbound requests with `vi.spyOn(globalThis, "fetch")` or msw. Throws when used. */
export const fetchMock: any = unsupportedObject("fetchMock");
/** @deprecated Not provided by Cairn (no Durable Objects): throws. */
export const runInDurableObject: any = unsupportedFunction("runInDurableObject");
/** @deprecated Not provided by Cairn (no Durable Objects): throws. */
export const runDurableObjectAlarm: any = unsupportedFunction("runDurableObjectAlarm");
/** @deprecated Not provided by Cairn (no Durable Objects): throws. */
export const evictDurableObject: any = unsupportedFunction("evictDurableObject");
/** @deprecated Not provided by Cairn (no Durable Objects): throws. */
export const listDurableObjectIds: any = unsupportedFunction("listDurableObjectIds");
/** @deprecated Not provided by Cairn (no Durable Objects): throws. */
export const abortAllDurableObjects: any = unsupportedFunction("abortAllDurableObjects");
/** @deprecated Not provided by Cairn (no Durable Objects): throws. */
export const evictAllDurableObjects: any = unsupportedFunction("evictAllDurableObjects");
/** @deprecated Not provided by Cairn: each test file has its own throwaway store. Throws. */
export const reset: any = unsupportedFunction("reset");
/** @deprecated Not provided by Cairn (no Queues): throws. */
export const createMessageBatch: any = unsupportedFunction("createMessageBatch");
/** @deprecated Not provided by Cairn (no Queues): throws. */
export const getQueueResult: any = unsupportedFunction("getQueueResult");
/** @deprecated Not provided by Cairn (no D1): throws. */
export const applyD1Migrations: any = unsupportedFunction("applyD1Migrations");
/** @deprecated Not provided by Cairn (no Secrets Store): throws. */
export const adminSecretsStore: any = unsupportedFunction("adminSecretsStore");
/** @deprecated Not provided by Cairn (no Pages Functions): throws. */
export const createPagesEventContext: any = unsupportedFunction("createPagesEventContext");
