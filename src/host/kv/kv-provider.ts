// Makes the project's KV bindings: one store for all its namespaces, on the store the engine uses
// (a table on the PostgreSQL server when the storage URL is postgres://…, else the SQLite file
// `<stateDir>/kv.sqlite`), and one KvNamespace per `kv_namespaces` entry.

import { join } from "node:path";
import { isPostgresUrl } from "../../storage/postgres/target.js";
import type { BindingProvider, ProviderFactory } from "../project-bindings.js";
import { readKvNamespaces } from "./kv-config.js";
import { KvNamespace } from "./kv-namespace.js";
import type { KvStore } from "./kv-store.js";
import { PostgresKvStore } from "./postgres-kv-store.js";
import { SqliteKvStore } from "./sqlite-kv-store.js";

/** The store KV data lives in for this storage URL. */
export async function openKvStore(storageUrl: string, stateDir: string): Promise<KvStore> {
  if (isPostgresUrl(storageUrl)) return PostgresKvStore.open(storageUrl);
  return new SqliteKvStore(join(stateDir, "kv.sqlite"));
}

/** The KV part of a project: a KvNamespace per `kv_namespaces` entry, or null when it has none. */
export const kvProvider: ProviderFactory = async (context) => {
  const namespaces = readKvNamespaces(context.config.raw, context.config.path);
  if (namespaces.length === 0) return null;
  const store = await openKvStore(context.storageUrl, context.stateDir);
  const bindings: Record<string, unknown> = {};
  for (const { binding, id } of namespaces) bindings[binding] = new KvNamespace(store, id);
  context.log.info({ namespaces: namespaces.map((n) => `${n.binding} → ${n.id}`) }, "KV namespaces ready");
  const provider: BindingProvider = {
    bindings,
    close: () => store.close(),
  };
  return provider;
};
