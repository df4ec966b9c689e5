// Reads `kv_namespaces` from the wrangler config: `[{ binding, id, preview_id? }]`. The namespace's
// identity is its `id` (two bindings with one id share data); an entry without an id, as wrangler
// accepts for local development, is named by its binding. `preview_id` is accepted and unused:
// Cairn has no remote preview namespaces.

import { HostError } from "../host-error.js";

export type KvNamespaceConfig = { binding: string; id: string };

function invalid(configPath: string, message: string): HostError {
  return new HostError("config.invalid", `${configPath}: ${message}`);
}

function optionalString(
  entry: Record<string, unknown>,
  field: string,
  at: string,
  configPath: string,
): string | undefined {
  const value = entry[field];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") {
    throw invalid(configPath, `${at}.${field} must be a non-empty string; got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The KV namespaces of the config, validated; an empty list when it declares none. */
export function readKvNamespaces(raw: Record<string, unknown>, configPath: string): KvNamespaceConfig[] {
  const list = raw.kv_namespaces;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw invalid(configPath, "kv_namespaces must be an array of { binding, id }");
  return list.map((entry: unknown, index) => {
    const at = `kv_namespaces[${index}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      throw invalid(configPath, `${at} must be an object { binding, id }`);
    }
    const fields = entry as Record<string, unknown>;
    const binding = optionalString(fields, "binding", at, configPath);
    if (binding === undefined) throw invalid(configPath, `${at}.binding is required`);
    const id = optionalString(fields, "id", at, configPath);
    optionalString(fields, "preview_id", at, configPath);
    return { binding, id: id ?? binding };
  });
}
