// The bindings `cairn dev` provides that the vitest integration does not run yet: Durable
// Objects, KV, D1, R2, Queues, service bindings and the assets binding. A test file's Worker gets
// only workflow bindings, vars and secrets, so a project declaring one of these is refused when
// the plugin starts, naming each, instead of its tests meeting an undefined binding.

type Raw = Record<string, unknown>;

const LISTS: { key: string; sub?: string; type: string; nameField: string }[] = [
  { key: "durable_objects", sub: "bindings", type: "Durable Object namespace", nameField: "name" },
  { key: "kv_namespaces", type: "KV namespace", nameField: "binding" },
  { key: "d1_databases", type: "D1 database", nameField: "binding" },
  { key: "r2_buckets", type: "R2 bucket", nameField: "binding" },
  { key: "queues", sub: "producers", type: "Queue producer", nameField: "binding" },
  { key: "queues", sub: "consumers", type: "Queue consumer", nameField: "queue" },
  { key: "services", type: "service binding", nameField: "binding" },
];

/** "NAME: type (key)" for each binding of `raw` that test files would not get. */
export function bindingsNotInTests(raw: Raw): string[] {
  const found: string[] = [];
  for (const kind of LISTS) {
    let value = raw[kind.key];
    if (kind.sub && typeof value === "object" && value !== null) value = (value as Raw)[kind.sub];
    if (!Array.isArray(value)) continue;
    const key = kind.sub ? `${kind.key}.${kind.sub}` : kind.key;
    for (const entry of value) {
      const name = typeof entry === "object" && entry !== null ? (entry as Raw)[kind.nameField] : undefined;
      found.push(`${typeof name === "string" ? name : "(unnamed)"}: ${kind.type} (${key})`);
    }
  }
  const assets = raw.assets as { binding?: unknown } | undefined;
  if (typeof assets?.binding === "string") found.push(`${assets.binding}: static assets (assets.binding)`);
  return found;
}
