// The wrangler config keys that declare bindings Cairn does not provide (AI, Vectorize,
// service bindings to other Workers, …). A Worker that declares one would fail at its first
// use of it, so start-up stops instead, naming every such binding with its type.

/** Where a kind of binding lives in the config and how each entry is named. */
type BindingKind = {
  key: string;
  type: string;
  /** "list": an array of entries; "single": one object; "map": { NAME: value } (service-worker format). */
  shape: "list" | "single" | "map";
  /** For nested lists such as durable_objects.bindings. */
  sub?: string;
  nameField?: string;
  /** Entries of this kind that Cairn does provide (e.g. a service binding to this Worker itself). */
  provided?: (entry: unknown, config: Record<string, unknown>) => boolean;
  /** Said after each refused entry: what Cairn provides of this kind instead. */
  hint?: (config: Record<string, unknown>) => string;
};

const KINDS: BindingKind[] = [
  {
    key: "services",
    type: "service binding",
    shape: "list",
    provided: (entry, config) =>
      typeof config.name === "string" && (entry as { service?: unknown } | null)?.service === config.name,
    hint: (config) =>
      `only service bindings to this Worker itself${typeof config.name === "string" ? ` (service "${config.name}")` : " (set name and use it as service)"} are provided`,
  },
  { key: "ai", type: "Workers AI", shape: "single" },
  { key: "vectorize", type: "Vectorize index", shape: "list" },
  { key: "hyperdrive", type: "Hyperdrive config", shape: "list" },
  { key: "analytics_engine_datasets", type: "Analytics Engine dataset", shape: "list" },
  { key: "browser", type: "Browser Rendering", shape: "single" },
  { key: "images", type: "Images", shape: "single" },
  { key: "media", type: "Media Transformations", shape: "single" },
  { key: "version_metadata", type: "version metadata", shape: "single" },
  { key: "dispatch_namespaces", type: "dispatch namespace", shape: "list" },
  { key: "mtls_certificates", type: "mTLS certificate", shape: "list" },
  { key: "send_email", type: "send email", shape: "list", nameField: "name" },
  { key: "secrets_store_secrets", type: "Secrets Store secret", shape: "list" },
  { key: "pipelines", type: "Pipeline", shape: "list" },
  { key: "ratelimits", type: "rate limiter", shape: "list", nameField: "name" },
  { key: "worker_loaders", type: "Worker Loader", shape: "list" },
  { key: "vpc_services", type: "VPC service", shape: "list" },
  { key: "containers", type: "Container", shape: "list", nameField: "class_name" },
  { key: "unsafe", type: "unsafe binding", shape: "list", sub: "bindings", nameField: "name" },
  { key: "logfwdr", type: "logfwdr binding", shape: "list", sub: "bindings", nameField: "name" },
  { key: "wasm_modules", type: "Wasm module", shape: "map" },
  { key: "text_blobs", type: "text blob", shape: "map" },
  { key: "data_blobs", type: "data blob", shape: "map" },
];

/**
 * The top-level keys that hold bindings; wrangler environments do not inherit them. Kinds Cairn
 * provides are no longer in KINDS but are still not inherited. (`assets` is not one of them: an
 * environment inherits the top-level `assets` section, as in wrangler.)
 */
export const BINDING_KEYS: readonly string[] = [
  ...new Set([
    ...KINDS.map((k) => k.key),
    "durable_objects",
    "kv_namespaces",
    "d1_databases",
    "r2_buckets",
    "queues",
    "services",
  ]),
];

export type UnsupportedBinding = { name: string; type: string; key: string; hint?: string };

function entryName(entry: unknown, field: string): string {
  if (typeof entry !== "object" || entry === null) return String(entry);
  const value = (entry as Record<string, unknown>)[field];
  return typeof value === "string" ? value : "(unnamed)";
}

/** Every binding in `config` that Cairn does not provide, in config order. */
export function findUnsupportedBindings(config: Record<string, unknown>): UnsupportedBinding[] {
  const found: UnsupportedBinding[] = [];
  for (const kind of KINDS) {
    let value = config[kind.key];
    if (value === undefined || value === null) continue;
    if (kind.sub) value = (value as Record<string, unknown>)[kind.sub];
    const key = kind.sub ? `${kind.key}.${kind.sub}` : kind.key;
    const field = kind.nameField ?? "binding";
    const hint = kind.hint ? { hint: kind.hint(config) } : {};
    if (kind.shape === "list" && Array.isArray(value)) {
      for (const entry of value) {
        if (kind.provided?.(entry, config)) continue;
        found.push({ name: entryName(entry, field), type: kind.type, key, ...hint });
      }
    } else if (kind.shape === "single" && typeof value === "object" && value !== null) {
      found.push({ name: entryName(value, field), type: kind.type, key });
    } else if (kind.shape === "map" && typeof value === "object" && value !== null) {
      for (const name of Object.keys(value)) found.push({ name, type: kind.type, key });
    }
  }
  return found;
}
