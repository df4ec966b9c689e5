// The Durable Objects part of a Workers project: reads `durable_objects.bindings` and `migrations`
// (loading the Worker already checked that it exports each bound class), applies migrations to
// the state on disk, adds a namespace binding per entry to `env`, fires alarms once the engine is
// open, rebuilds objects on a `cairn dev` reload and closes their files with the host. State lives
// under `<stateDir>/durable-objects/`: one SQLite file per object, plus index.sqlite. On
// PostgreSQL, several processes share that dir and each object is hosted by the process holding
// its lease; the others forward calls to it (hosting.ts).

import { join } from "node:path";
import { isPostgresUrl } from "../../storage/postgres/target.js";
import type { BindingProvider, ProviderFactory } from "../project-bindings.js";
import { addCtxExportsEntries } from "../services/ctx-exports.js";
import { readDurableObjectsConfig } from "./config.js";
import { type OpenedHosting, openHosting } from "./hosting.js";
import { applyMigrations } from "./migrations.js";
import { ObjectRegistry } from "./object-registry.js";
import { StateIndex } from "./state-index.js";

export const durableObjectsProvider: ProviderFactory = async (context) => {
  const config = readDurableObjectsConfig(context.config.raw, context.config.path);
  if (!config) return null;
  for (const className of config.unmigrated) {
    context.log.warn(
      { className },
      "Durable Object class has no migration; running it with key-value storage as wrangler dev does " +
        "(add it to a migration's new_sqlite_classes for SQLite storage and ctx.storage.sql; Cloudflare refuses to deploy it without one)",
    );
  }
  const dir = join(context.stateDir, "durable-objects");
  const index = new StateIndex(dir);
  try {
    applyMigrations(config.migrations, index, dir, context.log);
  } catch (error) {
    index.close();
    throw error;
  }
  let hosting: OpenedHosting | null = null;
  let registry: ObjectRegistry | null = null;
  if (isPostgresUrl(context.storageUrl)) {
    try {
      hosting = await openHosting(
        {
          storageUrl: context.storageUrl,
          owner: context.owner,
          token: context.apiToken,
          ip: context.durableObjects?.ip,
          advertise: context.durableObjects?.advertise,
          log: context.log,
        },
        () => ({
          hostHere: (object) => live().hostHere(object),
          lost: (className, objectId) => live().lost(className, objectId),
        }),
      );
    } catch (error) {
      index.close();
      throw error;
    }
  }
  const live = () => {
    if (!registry) throw new Error("the Durable Objects registry is not ready yet");
    return registry;
  };
  registry = new ObjectRegistry({
    dir,
    index,
    classes: config.classes,
    module: context.module,
    env: context.env,
    waitUntil: (promise) => context.tracker.track(promise),
    log: context.log,
    hosting: hosting?.hosting,
  });
  const objects = registry;
  // `ctx.exports` offers a namespace for each bound class, as Cloudflare does for exported classes.
  const removeExports = addCtxExportsEntries(() =>
    Object.fromEntries(config.bindings.map((b) => [b.className, objects.namespace(b.className)])),
  );
  const provider: BindingProvider = {
    bindings: Object.fromEntries(config.bindings.map((b) => [b.name, objects.namespace(b.className)])),
    start: async () => objects.alarms.start(),
    reloaded: () => objects.reloaded(),
    stop: async () => objects.alarms.close(),
    close: async () => {
      removeExports();
      // Closing the registry releases the leases; then the listener and the lease table close.
      await objects.close();
      await hosting?.close();
      index.close();
    },
  };
  return provider;
};
