// The seam between the host and the parts of a Workers project beyond workflows: static assets,
// Durable Objects, KV, D1, R2, Queues and service bindings. Each part is a provider made from the
// project's config: it adds its bindings to `env`, may answer requests before the Worker does
// (assets), starts background work once the engine is open (alarms, queue consumers), hears of
// each new build of the Worker's code, and closes with the host.

import type { Logger } from "../observability/logger.js";
import type { ProjectConfig } from "./config.js";
import type { WaitUntilTracker } from "./execution-context.js";
import { HostError } from "./host-error.js";
import type { WorkerModule } from "./worker-module.js";

/** What a provider may use of the host that runs it. */
export type ProviderContext = {
  config: ProjectConfig;
  mode: "dev" | "start";
  /** Where durable files go: `.cairn/` in dev, `--state` in start. */
  stateDir: string;
  /** The storage URL the engine opens ("sqlite:<path>" or "postgres://…"). */
  storageUrl: string;
  /** This process's name in leases. */
  owner: string;
  /** The API token (`--api-token`), which calls forwarded between processes carry too. */
  apiToken?: string | undefined;
  /** Where this process's Durable Object listener listens and what it advertises (PostgreSQL only). */
  durableObjects?: { ip?: string | undefined; advertise?: string | undefined } | undefined;
  log: Logger;
  /** `waitUntil` work the host lets finish before it stops. */
  tracker: WaitUntilTracker;
  /** The Worker's current build; it changes when `cairn dev` reloads the code. */
  module: () => WorkerModule;
  /**
   * The Worker's whole env (vars, secrets, workflow bindings and every provider's bindings),
   * complete once the engine is open: read it when a binding is used, not when it is made.
   */
  env: () => Record<string, unknown>;
};

/** Calls the Worker's own fetch handler (or answers 404 when it has none). */
export type WorkerFetch = (request: Request) => Promise<Response>;

export type BindingProvider = {
  /** Bindings by name, added to `env`. */
  readonly bindings: Record<string, unknown>;
  /**
   * Answers a request in place of the Worker, or passes it on with `worker(request)`. Providers
   * wrap one another in the order of PROVIDERS; the first one sees the request first.
   */
  fetch?(request: Request, worker: WorkerFetch): Promise<Response>;
  /** Starts background work once `env` is complete and the engine is open. */
  start?(): Promise<void>;
  /**
   * Stops taking new work (queue deliveries, alarms) before the engine closes; work under way
   * may finish, and bindings keep answering until `close()`, since instances finishing their
   * last attempts may still call them.
   */
  stop?(): Promise<void>;
  /** Hears that the Worker's code was rebuilt (classes swapped without a restart). */
  reloaded?(module: WorkerModule): void;
  /** Stops background work and releases files and connections. */
  close(): Promise<void>;
};

/** Makes a provider from the config, or returns null when the project does not use its part. */
export type ProviderFactory = (context: ProviderContext) => Promise<BindingProvider | null>;

/** The providers `factories` make for the project; on a failure the ones already made are closed. */
export async function createProviders(
  factories: readonly ProviderFactory[],
  context: ProviderContext,
): Promise<BindingProvider[]> {
  const made: BindingProvider[] = [];
  try {
    for (const factory of factories) {
      const provider = await factory(context);
      if (provider) made.push(provider);
    }
  } catch (error) {
    await closeProviders(made);
    throw error;
  }
  return made;
}

/**
 * Every provider's bindings laid over `env` (vars, secrets and workflow bindings' names). A name
 * bound twice would hide one binding behind the other, so it stops start-up, naming it.
 */
export function withProvidedBindings(
  env: Record<string, unknown>,
  taken: Iterable<string>,
  providers: BindingProvider[],
  configPath: string,
): Record<string, unknown> {
  const all: Record<string, unknown> = { ...env };
  const names = new Set([...Object.keys(env), ...taken]);
  for (const provider of providers) {
    for (const [name, binding] of Object.entries(provider.bindings)) {
      if (names.has(name)) {
        throw new HostError(
          "config.invalid",
          `${configPath}: the name ${name} is bound twice; each binding, var and secret needs its own name`,
        );
      }
      names.add(name);
      all[name] = binding;
    }
  }
  return all;
}

/** `worker` wrapped by each provider's fetch, the first provider outermost. */
export function wrapWorkerFetch(providers: BindingProvider[], worker: WorkerFetch): WorkerFetch {
  let next = worker;
  for (const provider of [...providers].reverse()) {
    if (!provider.fetch) continue;
    const inner = next;
    const fetch = provider.fetch.bind(provider);
    next = (request) => fetch(request, inner);
  }
  return next;
}

/** Stops every provider's background work; a failure is logged and the rest still stop. */
export async function stopProviders(providers: BindingProvider[], log?: Logger): Promise<void> {
  for (const provider of [...providers].reverse()) {
    try {
      await provider.stop?.();
    } catch (error) {
      log?.error({ err: error }, "stopping a binding provider failed");
    }
  }
}

/** Closes providers in the reverse of their order; a failure is logged and the rest still close. */
export async function closeProviders(providers: BindingProvider[], log?: Logger): Promise<void> {
  for (const provider of [...providers].reverse()) {
    try {
      await provider.close();
    } catch (error) {
      log?.error({ err: error }, "closing a binding provider failed");
    }
  }
}
