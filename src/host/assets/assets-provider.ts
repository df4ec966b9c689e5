// Static assets as a part of a Workers project: reads the `assets` section, puts the assets
// binding (if named) into env, and routes each request as Cloudflare does. A request that
// matches an asset is answered without waking the Worker; one that does not goes to the Worker
// (when it has a fetch handler), else to not_found_handling; `run_worker_first` sends all or
// some paths to the Worker first.

import type { ProviderContext, ProviderFactory, WorkerFetch } from "../project-bindings.js";
import { AssetFiles } from "./asset-files.js";
import { AssetServer } from "./asset-server.js";
import type { AssetsConfig } from "./assets-config.js";
import { readAssetsConfig } from "./assets-config.js";
import { routeFor } from "./route-rules.js";
import { AssetRuleFiles } from "./rule-files.js";

/** `env.<binding>`: serves from the assets whatever run_worker_first says, as on Cloudflare. */
export type AssetsBinding = { fetch(input: Request | string | URL, init?: RequestInit): Promise<Response> };

function assetsBinding(server: AssetServer): AssetsBinding {
  return {
    async fetch(input, init) {
      return server.serve(new Request(input, init));
    },
  };
}

/** Sends `request` to the assets or the Worker, as the config and the files say. */
async function route(
  request: Request,
  worker: WorkerFetch,
  config: AssetsConfig,
  server: AssetServer,
  context: ProviderContext,
): Promise<Response> {
  if (context.module().fetch === null) return server.serve(request);
  const rules = config.runWorkerFirst;
  if (rules === true) return worker(request);
  if (rules !== false) {
    const where = routeFor(rules, new URL(request.url).pathname);
    if (where === "assets") return server.serve(request);
    if (where === "worker") return worker(request);
  }
  return (await server.answers(request)) ? server.serve(request) : worker(request);
}

/** Makes the assets part of a project whose config has an `assets` section. */
export const assetsProvider: ProviderFactory = async (context) => {
  const { raw, dir, path, compatibility, main } = context.config;
  const config = readAssetsConfig(raw, dir, path, compatibility, main !== null);
  if (!config) return null;
  if (config.runWorkerFirst === true && config.binding === undefined) {
    context.log.warn(
      { key: "assets.run_worker_first" },
      "run_worker_first=true without an assets binding: every request goes to the Worker, which has no way to fetch the assets",
    );
  }
  const files = new AssetFiles(config.directory);
  const server = new AssetServer(config, files, new AssetRuleFiles(files, context.log));
  context.log.info(
    {
      directory: config.directory,
      binding: config.binding ?? null,
      not_found_handling: config.notFoundHandling,
      html_handling: config.htmlHandling,
    },
    "static assets",
  );
  return {
    bindings: config.binding ? { [config.binding]: assetsBinding(server) } : {},
    fetch: (request, worker) => route(request, worker, config, server, context),
    close: async () => {},
  };
};
