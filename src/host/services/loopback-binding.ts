// A service binding that points back into the running Worker: `fetch()` calls an entrypoint's
// fetch handler with a fresh `ctx` (carrying the binding's props), and any other property is an
// RPC method of that entrypoint. The entrypoint is looked up in the current build at each call,
// so a `cairn dev` reload takes effect on bindings already handed out.

import { createExecutionContext, type WaitUntilTracker } from "../execution-context.js";
import type { WorkerModule } from "../worker-module.js";
import { isHandlerObject, isWorkerEntrypointClass } from "./entrypoints.js";
import { callRpcMethod } from "./rpc-call.js";

/** The running Worker, as a loopback binding reaches it. */
export type LoopbackHost = {
  module: () => WorkerModule;
  env: () => Record<string, unknown>;
  tracker: WaitUntilTracker;
  /** `ctx.exports` for a call into `module` (a loopback per entrypoint). */
  exports: (module: WorkerModule) => Record<string, unknown>;
};

/** Where a binding points: an export of the module, and the props its calls see as `ctx.props`. */
export type LoopbackTarget = { entrypoint: string; props: unknown };

function entrypointOf(host: LoopbackHost, target: LoopbackTarget): unknown {
  const exported = host.module().exports[target.entrypoint];
  if (isWorkerEntrypointClass(exported) || isHandlerObject(exported)) return exported;
  throw new TypeError(
    `The service entrypoint "${target.entrypoint}" is not exported by the Worker as a class extending WorkerEntrypoint` +
      (target.entrypoint === "default" ? " or an object of handlers" : ""),
  );
}

function contextFor(host: LoopbackHost, target: LoopbackTarget) {
  const module = host.module();
  return createExecutionContext(host.tracker, {
    props: target.props,
    exports: () => host.exports(module),
  });
}

async function callFetch(host: LoopbackHost, target: LoopbackTarget, request: Request): Promise<Response> {
  const exported = entrypointOf(host, target);
  const ctx = contextFor(host, target);
  const env = host.env();
  let response: unknown;
  if (isWorkerEntrypointClass(exported)) {
    const instance = new exported(ctx, env);
    if (typeof instance.fetch !== "function")
      throw new TypeError("Handler does not export a fetch() function.");
    response = await (instance.fetch as (r: Request) => unknown).call(instance, request);
  } else {
    const handlers = exported as Record<string, unknown>;
    if (typeof handlers.fetch !== "function")
      throw new TypeError("Handler does not export a fetch() function.");
    response = await (handlers.fetch as (r: Request, e: unknown, c: unknown) => unknown).call(
      handlers,
      request,
      env,
      ctx,
    );
  }
  if (!(response instanceof Response)) throw new TypeError("the fetch handler did not return a Response");
  return response;
}

/** The members every binding answers itself; any other name is an RPC method. */
function member(host: LoopbackHost, target: LoopbackTarget, name: string | symbol): unknown {
  // Not RPC methods: what `await`, JSON.stringify and string conversion look for on any object.
  if (typeof name === "symbol" || name === "then" || name === "toJSON" || name === "valueOf")
    return undefined;
  if (name === "toString") return () => "[object Fetcher]";
  if (name === "fetch") {
    return (input: Request | string | URL, init?: RequestInit) =>
      callFetch(host, target, new Request(input, init));
  }
  if (name === "connect") {
    return () => {
      throw new Error("connect() (TCP sockets over a service binding) is not provided by Cairn");
    };
  }
  return (...args: unknown[]) =>
    callRpcMethod(entrypointOf(host, target), name, args, host.env(), contextFor(host, target));
}

/** A Fetcher for `env`: `fetch()` plus RPC methods of the target entrypoint. */
export function loopbackBinding(host: LoopbackHost, target: LoopbackTarget): Record<string, unknown> {
  return new Proxy({} as Record<string, unknown>, {
    get: (_object, name) => member(host, target, name),
    has: (_object, name) => name === "fetch" || name === "connect",
  });
}

/**
 * A binding for `ctx.exports`: the same as `loopbackBinding`, and also callable as
 * `ctx.exports.Name({ props })` to get a binding whose calls see those props.
 */
export function callableLoopbackBinding(host: LoopbackHost, target: LoopbackTarget): unknown {
  const specialise = (options?: { props?: unknown }) =>
    callableLoopbackBinding(host, { entrypoint: target.entrypoint, props: options?.props ?? {} });
  return new Proxy(specialise, {
    get: (_fn, name) => member(host, target, name),
    has: (_fn, name) => name === "fetch" || name === "connect",
  });
}
