// Opens one Durable Object's own SQLite file (WAL, synchronous=FULL, so a write is on disk when
// the call that made it returns) and holds an exclusive lock on it for as long as the object is
// live in this process. Another process that shares the data dir (a second `cairn start` worker)
// then gets a clear `durable_object.hosted_elsewhere` error instead of writing beside it.
// Key-value writes go to `_cf_kv` and the alarm to `_cf_meta`: tables the SQL API may not touch.

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { DurableObjectError } from "./errors.js";

export const KV_TABLE = "_cf_kv";
export const META_TABLE = "_cf_meta";

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}

/** Opens and locks the file at `path` (made if missing) for the object named in `what`. */
export function openObjectFile(path: string, what: string): Database.Database {
  mkdirSync(dirname(path), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (error) {
    throw new DurableObjectError(
      "durable_object.storage_failed",
      `cannot open the storage of Durable Object ${what} at ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  try {
    // No waiting: a lock held by another process is held for as long as that object lives there.
    db.pragma("busy_timeout = 0");
    // Set before WAL is entered, so that the WAL index lives in this process's memory and the file
    // lock, once taken, is never released until close.
    db.pragma("locking_mode = EXCLUSIVE");
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.exec("BEGIN EXCLUSIVE; COMMIT;");
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${KV_TABLE} (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
       CREATE TABLE IF NOT EXISTS ${META_TABLE} (key TEXT PRIMARY KEY, value ANY) WITHOUT ROWID;`,
    );
    return db;
  } catch (error) {
    db.close();
    if (isBusy(error)) {
      throw new DurableObjectError(
        "durable_object.hosted_elsewhere",
        `Durable Object ${what} is live in another process sharing this data dir (its file ${path} is locked); ` +
          "Cairn runs each object in one process at a time",
        { cause: error },
      );
    }
    throw new DurableObjectError(
      "durable_object.storage_failed",
      `cannot open the storage of Durable Object ${what} at ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
