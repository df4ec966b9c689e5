// Opens a SQLite file that holds a project part's durable state (KV, D1, queue messages, an R2
// bucket's index, the Durable Object index) the one way they all need: its folder made, WAL so
// readers do not block the writer, synchronous=FULL so a write that returned survives kill -9
// and power loss, and a busy timeout so processes sharing the state folder wait for each
// other's commits instead of failing.

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

/** How long a write waits for another process's commit on the same file. */
export const STATE_BUSY_TIMEOUT_MS = 5_000;

/** The state file at `path`, opened (and made, with its folder) for durable writes. */
export function openStateDatabase(path: string): Database.Database {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma(`busy_timeout = ${STATE_BUSY_TIMEOUT_MS}`);
  return db;
}
