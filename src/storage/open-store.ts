// Turns the `storage` option of `Cairn.open` into a Store: "sqlite:<path>", a bare file path,
// ":memory:", a "postgres://" URL, a `pg` Pool or config object, or a Store object the caller
// built. Unknown schemes fail with `storage.invalid_url`. The PostgreSQL adapter (and the `pg`
// driver) is loaded only when asked for.

import { WorkflowsError } from "../errors.js";
import { isPool, isPoolConfig, isPostgresUrl, type PostgresTarget } from "./postgres/target.js";
import type { SqliteSynchronous } from "./sqlite/connection.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./types.js";

/** What the `storage` option accepts: a URL or path, a Store, or a `pg` Pool or config object. */
export type StorageOption = string | Store | Exclude<PostgresTarget, string>;

/** Settings openStore passes on to the adapter it opens. */
export type StorageSettings = {
  /** SQLite durability: FULL (default) survives power loss, NORMAL survives process crashes. */
  sqliteSynchronous?: SqliteSynchronous;
  /** PostgreSQL schema for Cairn's tables (default "cairn", or `?schema=` in the URL). */
  postgresSchema?: string;
  /** Connections in the pool Cairn opens to PostgreSQL (default 10; not used with your own Pool). */
  postgresPoolSize?: number;
};

function isStore(value: unknown): value is Store {
  return typeof value === "object" && value !== null && typeof (value as Store).claim === "function";
}

/** The file path of a SQLite storage string, or null if the string names another kind. */
export function sqlitePath(url: string): string | null {
  if (url === ":memory:" || url === "sqlite::memory:") return ":memory:";
  if (url.startsWith("sqlite://")) return url.slice("sqlite://".length);
  if (url.startsWith("sqlite:")) return url.slice("sqlite:".length);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return null;
  return url;
}

async function openPostgres(target: PostgresTarget, settings: StorageSettings, now: number): Promise<Store> {
  const size = settings.postgresPoolSize;
  if (size !== undefined && (!Number.isInteger(size) || size < 2 || size > 1000)) {
    throw new WorkflowsError(
      "storage.invalid_url",
      `postgresPoolSize must be an integer from 2 to 1000, got ${JSON.stringify(size)}`,
    );
  }
  const { PostgresStore } = await import("./postgres/postgres-store.js");
  return PostgresStore.open({
    connection: target,
    now,
    ...(settings.postgresSchema !== undefined ? { schema: settings.postgresSchema } : {}),
    ...(size !== undefined ? { poolSize: size } : {}),
  });
}

/**
 * Opens the Store the `storage` option names (or returns it, if it is one).
 * @example
 * const store = await openStore("sqlite:./cairn.db", {}, Date.now());
 */
export async function openStore(
  storage: StorageOption,
  settings: StorageSettings,
  now: number,
): Promise<Store> {
  if (isStore(storage)) return storage;
  if (isPool(storage) || isPoolConfig(storage)) return openPostgres(storage, settings, now);
  if (typeof storage !== "string" || storage.length === 0) {
    throw new WorkflowsError(
      "storage.invalid_url",
      `storage must be "sqlite:<path>", a file path, ":memory:", "postgres://…", a pg Pool or config, or a Store; got ${JSON.stringify(storage)}`,
    );
  }
  if (isPostgresUrl(storage)) return openPostgres(storage, settings, now);
  const path = sqlitePath(storage);
  if (path === null || path.length === 0) {
    throw new WorkflowsError(
      "storage.invalid_url",
      `unsupported storage "${storage}": use "sqlite:./data/cairn.db" or "postgres://user@host:5432/db"`,
    );
  }
  const sync = settings.sqliteSynchronous;
  if (sync !== undefined && !["FULL", "NORMAL", "OFF"].includes(sync)) {
    throw new WorkflowsError(
      "storage.invalid_url",
      `sqliteSynchronous must be FULL, NORMAL or OFF, got ${JSON.stringify(sync)}`,
    );
  }
  return SqliteStore.open({ path, now, ...(sync ? { synchronous: sync } : {}) });
}
