// One small SQLite file beside the objects' own files, shared by every process on the data dir:
// each class's id key (so `idFromName` gives the same id across restarts and renames), the
// migrations already applied, and an index of set alarms so that start-up finds due alarms
// without opening every object's file. The objects' files stay the truth for alarms; this index
// may only be ahead of them (a stale row is dropped when its alarm is looked at).

import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { openStateDatabase } from "../state-database.js";

export type IndexedAlarm = { className: string; objectId: string; time: number };

export class StateIndex {
  private readonly db: Database.Database;

  constructor(dir: string) {
    this.db = openStateDatabase(join(dir, "index.sqlite"));
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS namespaces (class_name TEXT PRIMARY KEY, id_key BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS applied_migrations (tag TEXT PRIMARY KEY, applied_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS alarms (
        class_name TEXT NOT NULL, object_id TEXT NOT NULL, time INTEGER NOT NULL,
        PRIMARY KEY (class_name, object_id)
      );`);
  }

  /** The class's id key, made (randomly, once) the first time the class is seen. */
  idKey(className: string): Buffer {
    this.db
      .prepare("INSERT OR IGNORE INTO namespaces (class_name, id_key) VALUES (?, ?)")
      .run(className, randomBytes(32));
    const row = this.db.prepare("SELECT id_key FROM namespaces WHERE class_name = ?").get(className) as {
      id_key: Buffer;
    };
    return row.id_key;
  }

  isApplied(tag: string): boolean {
    return this.db.prepare("SELECT 1 FROM applied_migrations WHERE tag = ?").get(tag) !== undefined;
  }

  /**
   * Runs `apply` and records `tag` as applied, unless it already is. The index's write lock is held
   * throughout, so processes starting together on one data dir apply each migration once.
   */
  applyOnce(tag: string, now: number, apply: () => void): boolean {
    return this.db
      .transaction(() => {
        if (this.isApplied(tag)) return false;
        apply();
        this.db.prepare("INSERT INTO applied_migrations (tag, applied_at) VALUES (?, ?)").run(tag, now);
        return true;
      })
      .immediate();
  }

  /** Moves a class's key and alarms to its new name. */
  renameClass(from: string, to: string): void {
    this.db.transaction(() => {
      if (!this.db.prepare("SELECT 1 FROM namespaces WHERE class_name = ?").get(from)) return;
      this.db.prepare("DELETE FROM namespaces WHERE class_name = ?").run(to);
      this.db.prepare("UPDATE namespaces SET class_name = ? WHERE class_name = ?").run(to, from);
      this.db.prepare("DELETE FROM alarms WHERE class_name = ?").run(to);
      this.db.prepare("UPDATE alarms SET class_name = ? WHERE class_name = ?").run(to, from);
    })();
  }

  /** Forgets a deleted class's key and alarms. */
  deleteClass(className: string): void {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM namespaces WHERE class_name = ?").run(className);
      this.db.prepare("DELETE FROM alarms WHERE class_name = ?").run(className);
    })();
  }

  setAlarm(className: string, objectId: string, time: number): void {
    this.db
      .prepare(
        "INSERT INTO alarms (class_name, object_id, time) VALUES (?, ?, ?) " +
          "ON CONFLICT (class_name, object_id) DO UPDATE SET time = excluded.time",
      )
      .run(className, objectId, time);
  }

  deleteAlarm(className: string, objectId: string): void {
    this.db.prepare("DELETE FROM alarms WHERE class_name = ? AND object_id = ?").run(className, objectId);
  }

  alarms(): IndexedAlarm[] {
    return (
      this.db.prepare("SELECT class_name, object_id, time FROM alarms ORDER BY time").all() as {
        class_name: string;
        object_id: string;
        time: number;
      }[]
    ).map((r) => ({ className: r.class_name, objectId: r.object_id, time: r.time }));
  }

  close(): void {
    this.db.close();
  }
}
