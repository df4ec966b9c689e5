// Makes the project's D1 bindings: one SQLite file per database under `<stateDir>/d1/`, opened
// once even when several bindings name the same database, and closed with the host.

import { join } from "node:path";
import type { BindingProvider, ProviderFactory } from "../project-bindings.js";
import { readD1Databases } from "./d1-config.js";
import { D1Database } from "./d1-database.js";
import { D1Sqlite } from "./d1-sqlite.js";

/** Where a database's file lives. */
export function d1File(stateDir: string, fileId: string): string {
  return join(stateDir, "d1", `${fileId}.sqlite`);
}

/** The D1 part of a project: a D1Database per `d1_databases` entry, or null when it has none. */
export const d1Provider: ProviderFactory = async (context) => {
  const databases = readD1Databases(context.config.raw, context.config.path);
  if (databases.length === 0) return null;
  const files = new Map<string, D1Sqlite>();
  const bindings: Record<string, unknown> = {};
  try {
    for (const { binding, fileId } of databases) {
      let sqlite = files.get(fileId);
      if (!sqlite) {
        sqlite = new D1Sqlite(d1File(context.stateDir, fileId));
        files.set(fileId, sqlite);
      }
      bindings[binding] = new D1Database(sqlite);
    }
  } catch (error) {
    for (const sqlite of files.values()) sqlite.close();
    throw error;
  }
  context.log.info(
    { databases: databases.map((d) => `${d.binding} → ${d1File(context.stateDir, d.fileId)}`) },
    "D1 databases ready",
  );
  const provider: BindingProvider = {
    bindings,
    close: async () => {
      for (const sqlite of files.values()) sqlite.close();
    },
  };
  return provider;
};
