// The provider of service bindings to this Worker itself (`services` entries whose `service` is
// the Worker's own name): each becomes a loopback Fetcher in `env`. Bindings to other Workers never
// get here; start-up refuses them, since Cairn runs one Worker per process.

import type { ProviderFactory } from "../project-bindings.js";
import { loopbackHost } from "./ctx-exports.js";
import { loopbackBinding } from "./loopback-binding.js";
import { checkEntrypoints, readServiceBindings } from "./services-config.js";

export const servicesProvider: ProviderFactory = async (context) => {
  const bindings = readServiceBindings(context.config);
  if (bindings.length === 0) return null;
  checkEntrypoints(context.config, bindings, context.module());
  const host = loopbackHost(context.module, context.env, context.tracker);
  return {
    bindings: Object.fromEntries(
      bindings.map((b) => [b.binding, loopbackBinding(host, { entrypoint: b.entrypoint, props: b.props })]),
    ),
    reloaded(module) {
      try {
        checkEntrypoints(context.config, bindings, module);
      } catch (error) {
        context.log.warn({ error: (error as Error).message }, "a service binding's entrypoint is gone");
      }
    },
    async close() {},
  };
};
