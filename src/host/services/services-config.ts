// Reads the `services` section of the wrangler config: `[{ binding, service, entrypoint?, props? }]`.
// Start-up has already refused entries naming another Worker (see unsupported-bindings.ts); the
// ones left point at this Worker itself, and each must name an entrypoint the module exports.

import type { ProjectConfig } from "../config.js";
import { HostError } from "../host-error.js";
import type { WorkerModule } from "../worker-module.js";
import { serviceEntrypoints } from "./entrypoints.js";

export type ServiceBindingConfig = {
  binding: string;
  /** The export the binding calls: "default" unless `entrypoint` names another. */
  entrypoint: string;
  /** What the entrypoint sees as `ctx.props`. */
  props: Record<string, unknown>;
};

function invalid(config: ProjectConfig, message: string): HostError {
  return new HostError("config.invalid", `${config.path}: ${message}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The service bindings to this Worker, checked; an empty list when the config has none. */
export function readServiceBindings(config: ProjectConfig): ServiceBindingConfig[] {
  const list = config.raw.services;
  if (list === undefined) return [];
  if (!Array.isArray(list))
    throw invalid(config, "services must be a list of { binding, service, entrypoint? }");
  return list.map((entry: unknown, index) => {
    const at = `services[${index}]`;
    if (!isObject(entry)) throw invalid(config, `${at} must be an object { binding, service, entrypoint? }`);
    const { binding, entrypoint, props } = entry;
    if (typeof binding !== "string" || binding === "") {
      throw invalid(config, `${at}.binding must be a non-empty string`);
    }
    if (entrypoint !== undefined && (typeof entrypoint !== "string" || entrypoint === "")) {
      throw invalid(config, `${at}.entrypoint must be a non-empty string (the name of an exported class)`);
    }
    if (props !== undefined && !isObject(props)) {
      throw invalid(config, `${at}.props must be an object (what the entrypoint reads as ctx.props)`);
    }
    return { binding, entrypoint: (entrypoint as string | undefined) ?? "default", props: props ?? {} };
  });
}

/** Stops start-up when a binding names an entrypoint the Worker's module does not export. */
export function checkEntrypoints(
  config: ProjectConfig,
  bindings: ServiceBindingConfig[],
  module: WorkerModule,
): void {
  const entrypoints = serviceEntrypoints(module.exports);
  for (const binding of bindings) {
    if (binding.entrypoint in entrypoints) continue;
    const exported = binding.entrypoint in module.exports;
    const available = Object.keys(entrypoints);
    throw new HostError(
      "config.unknown_entrypoint",
      `${config.path}: service binding ${binding.binding} names entrypoint "${binding.entrypoint}", which ` +
        (exported
          ? "is exported but is not a class extending WorkerEntrypoint"
          : binding.entrypoint === "default"
            ? "this Worker does not have (it has no default export)"
            : "the Worker does not export") +
        ` (its entrypoints: ${available.length ? available.join(", ") : "none"})`,
    );
  }
}
