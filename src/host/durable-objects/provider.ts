// The Durable Objects part of a Workers project: reads `durable_objects.bindings` and `migrations`
// (loading the Worker already checked that it exports each bound class), applies migrations to
// the state on disk, adds a namespace binding per entry to `env`, fires alarms once the engine is
// open, rebuilds objects on a `cairn dev` reload and closes their files with the host. State lives
// under `<stateDir>/durable-objects/`: one SQLite file per object, plus index.sqlite.

import { join } from "node:path";
import type { BindingProvider, ProviderFactory } from "../project-bindings.js";
import { addCtxExportsEntries } from "../services/ctx-exports.js";
import { readDurableObjectsConfig } from "./config.js";
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
  const registry = new ObjectRegistry({
    dir,
    index,
    classes: config.classes,
    module: context.module,
    env: context.env,
    waitUntil: (promise) => context.tracker.track(promise),
    log: context.log,
  });
  // `ctx.exports` offers a namespace for each bound class, as Cloudflare does for exported classes.
  const removeExports = addCtxExportsEntries(() =>
    Object.fromEntries(config.bindings.map((b) => [b.className, registry.namespace(b.className)])),
  );
  const provider: BindingProvider = {
    bindings: Object.fromEntries(config.bindings.map((b) => [b.name, registry.namespace(b.className)])),
    start: async () => registry.alarms.start(),
    reloaded: () => registry.reloaded(),
    stop: async () => registry.alarms.close(),
    close: async () => {
      removeExports();
      await registry.close();
      index.close();
    },
  };
  return provider;
};
