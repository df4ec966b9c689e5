// Turns the `storage` option of `Cairn.open` into a Store: "sqlite:<path>", a bare file path,
// ":memory:", or a Store object the caller built. Unknown schemes fail with `storage.invalid_url`.

import { WorkflowsError } from "../errors.js";
import type { SqliteSynchronous } from "./sqlite/connection.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./types.js";

export type StorageOption = string | Store;

export type StorageSettings = {
  /** SQLite durability: FULL (default) survives power loss, NORMAL survives process crashes. */
  sqliteSynchronous?: SqliteSynchronous;
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

export async function openStore(
  storage: StorageOption,
  settings: StorageSettings,
  now: number,
): Promise<Store> {
  if (isStore(storage)) return storage;
  if (typeof storage !== "string" || storage.length === 0) {
    throw new WorkflowsError(
      "storage.invalid_url",
      `storage must be "sqlite:<path>", a file path, ":memory:" or a Store; got ${JSON.stringify(storage)}`,
    );
  }
  const path = sqlitePath(storage);
  if (path === null || path.length === 0) {
    throw new WorkflowsError(
      "storage.invalid_url",
      `unsupported storage "${storage}": this version of Cairn stores in SQLite ("sqlite:./data/cairn.db")`,
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
