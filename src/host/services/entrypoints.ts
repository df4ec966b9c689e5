// Tells what a Worker module export is as a service entrypoint: a class extending WorkerEntrypoint
// (constructed per call with `ctx` and `env`, its prototype methods callable over RPC) or a plain
// object of handlers (an `export default { fetch }` Worker). Durable Object and workflow classes
// are not entrypoints.

import { WorkerEntrypoint } from "../../api/worker-entrypoint.js";

export type EntrypointClass = new (ctx: unknown, env: unknown) => Record<string, unknown>;

/**
 * True for a class whose prototype chain reaches WorkerEntrypoint. A Worker that bundled its own
 * copy of the base class is recognised by the class name, which the bundle keeps.
 */
export function isWorkerEntrypointClass(value: unknown): value is EntrypointClass {
  if (typeof value !== "function") return false;
  for (let proto = (value as { prototype?: object }).prototype; proto; proto = Object.getPrototypeOf(proto)) {
    const ctor = (proto as { constructor?: unknown }).constructor;
    if (ctor === WorkerEntrypoint) return true;
    if (ctor !== value && typeof ctor === "function" && ctor.name === "WorkerEntrypoint") return true;
  }
  return false;
}

/** A plain object of handlers, as an `export default { fetch() {…} }` Worker exports. */
export function isHandlerObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The exports that a service binding or `ctx.exports` can point at, by export name. */
export function serviceEntrypoints(exports: Record<string, unknown>): Record<string, unknown> {
  const found: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(exports)) {
    if (isWorkerEntrypointClass(value)) found[name] = value;
    else if (name === "default" && isHandlerObject(value)) found[name] = value;
  }
  return found;
}
