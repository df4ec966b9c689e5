// The parts of a Workers project Cairn provides beyond workflows, in the order they see a
// request: static assets answer before anything else, then the Worker's bindings. Kept apart
// from the provider contract (project-bindings.ts), which every part imports.

import { assetsProvider } from "./assets/assets-provider.js";
import { d1Provider } from "./d1/d1-provider.js";
import { durableObjectsProvider } from "./durable-objects/provider.js";
import { kvProvider } from "./kv/kv-provider.js";
import type { ProviderFactory } from "./project-bindings.js";
import { queuesProvider } from "./queues/queues-provider.js";
import { r2Provider } from "./r2/provider.js";
import { servicesProvider } from "./services/services-provider.js";
import { webSocketCompatibility } from "./websockets/compatibility.js";

export const PROJECT_PARTS: readonly ProviderFactory[] = [
  assetsProvider,
  webSocketCompatibility,
  durableObjectsProvider,
  kvProvider,
  d1Provider,
  r2Provider,
  queuesProvider,
  servicesProvider,
];
