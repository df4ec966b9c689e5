// Calls a method of a service entrypoint the way Workers RPC does within one Worker: arguments and
// the result are structured-cloned (the caller and callee share no objects; a Request, Response or
// ReadableStream is handed over as it is, as RPC moves it), a thrown error comes
// back as a copy with its name and message, and a name the entrypoint does not offer fails with
// Cloudflare's errors. A WorkerEntrypoint class is constructed afresh for each call and only its
// prototype methods are callable; a plain-object default export's functions are called as
// `method(arg, env, ctx)` with exactly one argument from the caller, as Cloudflare allows.

import { WorkerEntrypoint } from "../../api/worker-entrypoint.js";
import { type EntrypointClass, isWorkerEntrypointClass } from "./entrypoints.js";

/** Names the runtime keeps for itself: never callable over RPC. */
const RESERVED = new Set([
  "fetch",
  "connect",
  "alarm",
  "webSocketMessage",
  "webSocketClose",
  "webSocketError",
  "dup",
  "constructor",
]);

function notImplemented(method: string): TypeError {
  return new TypeError(`The RPC receiver does not implement the method "${method}".`);
}

/** A copy of what was thrown, as the other side of an RPC call receives it. */
function thrownCopy(error: unknown): unknown {
  try {
    return structuredClone(error);
  } catch {
    return new Error(error instanceof Error ? error.message : String(error));
  }
}

/** The prototype method `name` of an entrypoint class, not one of the base classes' members. */
function classMethod(cls: EntrypointClass, name: string): ((...args: unknown[]) => unknown) | null {
  for (let proto = cls.prototype as object | null; proto; proto = Object.getPrototypeOf(proto)) {
    if (proto === WorkerEntrypoint.prototype || proto === Object.prototype) break;
    const descriptor = Object.getOwnPropertyDescriptor(proto, name);
    if (descriptor) return typeof descriptor.value === "function" ? descriptor.value : null;
  }
  return null;
}

async function callOnClass(
  cls: EntrypointClass,
  method: string,
  args: unknown[],
  env: unknown,
  ctx: unknown,
): Promise<unknown> {
  const fn = classMethod(cls, method);
  if (!fn) throw notImplemented(method);
  const instance = new cls(ctx, env);
  return fn.apply(instance, args);
}

async function callOnObject(
  handlers: Record<string, unknown>,
  method: string,
  args: unknown[],
  env: unknown,
  ctx: unknown,
): Promise<unknown> {
  const fn = Object.hasOwn(handlers, method) ? handlers[method] : undefined;
  if (typeof fn !== "function") throw notImplemented(method);
  if (fn.length > 3) {
    throw new TypeError(
      `Cannot call handler function "${method}" over RPC because it has the wrong number of arguments. ` +
        "A simple function handler can only be called over RPC if it has exactly the arguments (arg, env, ctx), " +
        "where only the first argument comes from the client. To support multi-argument RPC functions, " +
        "use class-based syntax (extending WorkerEntrypoint) instead.",
    );
  }
  if (args.length !== 1) {
    throw new TypeError(
      `Attempted to call RPC function "${method}" with the wrong number of arguments. ` +
        "When calling a top-level handler function that is not declared as part of a class, you must always send " +
        "exactly one argument. In order to support variable numbers of arguments, the server must use class-based " +
        "syntax (extending WorkerEntrypoint) instead.",
    );
  }
  return fn.call(handlers, args[0], env, ctx);
}

/**
 * A copy of an argument or result as RPC delivers it. Requests, Responses and streams cannot be
 * cloned; RPC moves them to the other side instead, so they are handed over as they are.
 */
function rpcCopy<T>(value: T): T {
  if (value instanceof Request || value instanceof Response || value instanceof ReadableStream) return value;
  return structuredClone(value);
}

/** Calls `method` on `target` (an entrypoint class or a handler object) with copies of `args`. */
export async function callRpcMethod(
  target: unknown,
  method: string,
  args: unknown[],
  env: unknown,
  ctx: unknown,
): Promise<unknown> {
  if (RESERVED.has(method)) throw notImplemented(method);
  const copied = args.map(rpcCopy);
  let result: unknown;
  try {
    result = isWorkerEntrypointClass(target)
      ? await callOnClass(target, method, copied, env, ctx)
      : await callOnObject(target as Record<string, unknown>, method, copied, env, ctx);
  } catch (error) {
    throw thrownCopy(error);
  }
  return rpcCopy(result);
}
