// `ctx.exports`: bindings the runtime makes for the Worker's own top-level exports, without any
// config. Each export that is a WorkerEntrypoint class (and the default export) becomes a loopback
// service binding by the same name. Other parts of a project add their own entries here (Durable
// Object namespaces for exported Durable Object classes) with `addCtxExportsEntries`.

import type { WaitUntilTracker } from "../execution-context.js";
import type { WorkerModule } from "../worker-module.js";
import { serviceEntrypoints } from "./entrypoints.js";
import { callableLoopbackBinding, type LoopbackHost } from "./loopback-binding.js";

/** Makes entries of `ctx.exports` for a build of the Worker, by export name. */
export type CtxExportsEntries = (module: WorkerModule) => Record<string, unknown>;

const extraEntries = new Set<CtxExportsEntries>();

/**
 * Adds entries to every `ctx.exports` built from now on (e.g. a Durable Object namespace per
 * exported Durable Object class); returns a function that removes them again (on close).
 */
export function addCtxExportsEntries(entries: CtxExportsEntries): () => void {
  extraEntries.add(entries);
  return () => {
    extraEntries.delete(entries);
  };
}

/** The host a loopback needs, for a Worker whose current build and env are read at each call. */
export function loopbackHost(
  module: () => WorkerModule,
  env: () => Record<string, unknown>,
  tracker: WaitUntilTracker,
): LoopbackHost {
  const host: LoopbackHost = { module, env, tracker, exports: (built) => ctxExports(host, built) };
  return host;
}

/** `ctx.exports` for a call into `module`: its entrypoints as loopbacks, then any added entries. */
export function ctxExports(host: LoopbackHost, module: WorkerModule): Record<string, unknown> {
  const exports: Record<string, unknown> = {};
  for (const name of Object.keys(serviceEntrypoints(module.exports))) {
    exports[name] = callableLoopbackBinding(host, { entrypoint: name, props: {} });
  }
  for (const entries of extraEntries) Object.assign(exports, entries(module));
  return exports;
}
