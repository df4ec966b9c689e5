// Opens a SQLite connection with Cairn's settings (WAL, the chosen synchronous mode) and applies
// the numbered migrations. Shared by the writer thread, which migrates, and the read connection.

import Database from "better-sqlite3";
import { WorkflowsError } from "../../errors.js";
import { LATEST_VERSION, migrations } from "./migrations.js";

/** SQLite's `synchronous` setting: FULL survives power loss, NORMAL a process crash, OFF neither. */
export type SqliteSynchronous = "FULL" | "NORMAL" | "OFF";

/** Opens a connection to `path` in WAL mode with the given durability. */
export function openConnection(path: string, synchronous: SqliteSynchronous): Database.Database {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = OFF");
  return db;
}

/** Applies every migration newer than the file's version, each in its own transaction. */
export function migrate(db: Database.Database, now: number): void {
  db.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
  );
  const row = db.prepare("SELECT max(version) AS v FROM schema_migrations").get() as { v: number | null };
  const current = row.v ?? 0;
  const latest = LATEST_VERSION;
  if (current > latest) {
    throw new WorkflowsError(
      "storage.migration_failed",
      `the database is at schema version ${current}, newer than this Cairn (${latest}); upgrade Cairn`,
    );
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)").run(m.version, now);
    }).immediate();
  }
}
