// The exports of Cloudflare's `cloudflare:test` and which of them Cairn provides. The others are
// still exported, as stubs that throw when used, so that a test file importing one loads, and
// fails only where it uses it, with a message naming the export. A name that is not even
// Cloudflare's fails the test file as it loads (the plugin checks the imports, see plugin.ts).

/** What Cairn's `cloudflare:test` provides. */
export const PROVIDED_EXPORTS = [
  "env",
  "SELF",
  "createExecutionContext",
  "waitOnExecutionContext",
  "createScheduledController",
  "introspectWorkflowInstance",
  "introspectWorkflow",
] as const;

const NO_DURABLE_OBJECTS = "Cairn's vitest integration does not run Durable Objects (cairn dev does)";

/** Cloudflare's exports that Cairn does not provide, and what to do instead. */
export const UNSUPPORTED_EXPORTS: Record<string, string> = {
  fetchMock:
    'the Worker runs in Node, in the test\'s own process: mock outbound requests with vi.spyOn(globalThis, "fetch") or msw',
  runInDurableObject: NO_DURABLE_OBJECTS,
  runDurableObjectAlarm: NO_DURABLE_OBJECTS,
  evictDurableObject: NO_DURABLE_OBJECTS,
  listDurableObjectIds: NO_DURABLE_OBJECTS,
  abortAllDurableObjects: NO_DURABLE_OBJECTS,
  evictAllDurableObjects: NO_DURABLE_OBJECTS,
  reset:
    "each test file already runs on its own throwaway store; dispose introspectors (await using) to delete the instances a test made",
  createMessageBatch: "Cairn's vitest integration does not run Queues (cairn dev does)",
  getQueueResult: "Cairn's vitest integration does not run Queues (cairn dev does)",
  applyD1Migrations: "Cairn's vitest integration does not provide D1 databases (cairn dev does)",
  adminSecretsStore: "Cairn provides no Secrets Store bindings; put test secrets in .dev.vars",
  createPagesEventContext: "Cairn runs Workers, not Pages Functions",
};

function list(names: readonly string[]): string {
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/** The message of the error thrown for `name`, an export of `cloudflare:test` Cairn lacks. */
export function unsupportedMessage(name: string): string {
  const why = UNSUPPORTED_EXPORTS[name] ?? "it is not an export Cairn knows of";
  return `cloudflare:test export "${name}" is not provided by Cairn: ${why}. Cairn's cloudflare:test provides ${list(PROVIDED_EXPORTS)}.`;
}

/** The names imported from "cloudflare:test" by `code` that Cairn's module does not export at all. */
export function unknownImports(code: string): string[] {
  const known = new Set<string>([...PROVIDED_EXPORTS, ...Object.keys(UNSUPPORTED_EXPORTS)]);
  const found: string[] = [];
  // `import { a, b as c } from` the module, `import d, { … } from …`, `export { … } from …`.
  const statement =
    /\b(import|export)\s+(type\s+)?([\w$]+\s*,?\s*)?(\{([^}]*)\})?\s*from\s*(["'])cloudflare:test\6/g;
  for (const match of code.matchAll(statement)) {
    if (match[2]) continue; // import type { … }: erased
    if (match[1] === "import" && match[3]?.trim()) found.push("default");
    for (const entry of (match[5] ?? "").split(",")) {
      const spec = entry.trim();
      if (spec === "" || /^type\s/.test(spec)) continue;
      const name = spec.split(/\s+as\s+/)[0]!.trim();
      if (!known.has(name)) found.push(name);
    }
  }
  return [...new Set(found)];
}
