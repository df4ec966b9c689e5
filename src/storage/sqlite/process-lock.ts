// Makes a SQLite store single-process: a connection to a side file holds an exclusive SQLite
// lock for as long as the store is open. The operating system drops the lock when the process
// dies (even by SIGKILL), so a restart takes over at once while a second live process is refused.

import Database from "better-sqlite3";
import { WorkflowsError } from "../../errors.js";

/** An exclusive lock on a side file of the database, held while the store is open. */
export class ProcessLock {
  private readonly db: Database.Database;

  private constructor(db: Database.Database) {
    this.db = db;
  }

  static acquire(dataPath: string): ProcessLock {
    const lockPath = `${dataPath}-lock`;
    const db = new Database(lockPath);
    db.pragma("busy_timeout = 0");
    try {
      db.exec("BEGIN EXCLUSIVE");
    } catch (error) {
      db.close();
      // Only a busy lock means another process; a full disk or an I/O error is the caller's to name.
      const code = (error as { code?: unknown }).code;
      if (code !== "SQLITE_BUSY" && code !== "SQLITE_LOCKED") throw error;
      throw new WorkflowsError(
        "storage.locked",
        `${dataPath} is in use by another Cairn process (lock file ${lockPath}); a SQLite store serves one process at a time: stop the other process or open another file`,
        { cause: error },
      );
    }
    return new ProcessLock(db);
  }

  release(): void {
    if (this.db.inTransaction) this.db.exec("ROLLBACK");
    this.db.close();
  }
}
