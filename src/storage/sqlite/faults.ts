// Turns what SQLite or the file system says about the database file's medium into Cairn's own
// errors, in one place: a disk with no space left (SQLITE_FULL from SQLite, ENOSPC from a file
// call) becomes `storage.full`, naming the file and what the operator does about it. The writer
// thread passes every failure through here (a file that is not a database or is damaged becomes
// `storage.corrupt`) before it crosses back to the main thread. It also
// tells when the file was deleted or replaced under the open store (`storage.file_replaced`).

import { statSync } from "node:fs";
import type Database from "better-sqlite3";
import { WorkflowsError } from "../../errors.js";

/** The driver's or system's code of an error (SQLITE_FULL, ENOSPC…), if it has one. */
function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** True when `error` says the disk under the file has no space left. */
export function isDiskFull(error: unknown): boolean {
  if (WorkflowsError.is(error)) return error.code === "storage.full";
  const code = codeOf(error);
  return code === "SQLITE_FULL" || code === "ENOSPC";
}

/** True when SQLite says the file is not a database or is damaged (SQLITE_NOTADB, SQLITE_CORRUPT…). */
function isCorrupt(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && (code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CORRUPT"));
}

/**
 * `error` as Cairn's error naming `path` when it is a fault of the file or its disk: `storage.full`
 * for a full disk, `storage.corrupt` for a file that is not a database or is damaged; else itself.
 */
export function translateFault(error: unknown, path: string): unknown {
  if (WorkflowsError.is(error)) return error;
  if (isCorrupt(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return new WorkflowsError(
      "storage.corrupt",
      `the SQLite file ${path} cannot be read (${codeOf(error)}: ${message}); Cairn leaves it as it is: restore it from a backup, or give Cairn another file`,
      { cause: error },
    );
  }
  if (!isDiskFull(error)) return error;
  return new WorkflowsError(
    "storage.full",
    `the disk holding the SQLite file ${path} is full (${codeOf(error)}); the write was not committed: free space on that disk (or move the file to a larger one) and the work carries on by itself`,
    { cause: error },
  );
}

/** Which file a path named when the store opened it: device and inode. */
export type FileIdentity = { dev: number; ino: number };

/** The identity of the file at `path` now, or null when there is none. */
export function identityOf(path: string): FileIdentity | null {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat ? { dev: stat.dev, ino: stat.ino } : null;
}

/** True when `a` names the same file as `b`. */
export function sameIdentity(a: FileIdentity | null, b: FileIdentity): boolean {
  return a !== null && a.dev === b.dev && a.ino === b.ino;
}

/**
 * Throws `storage.file_replaced` when the file at `path` is no longer the one opened (`opened`):
 * deleted, or another file moved into its place. SQLite would go on writing to the open, unlinked
 * file, and everything written would vanish when the process exits. One stat call.
 */
export function assertSameFile(path: string, opened: FileIdentity): void {
  const now = identityOf(path);
  if (sameIdentity(now, opened)) return;
  const what = now ? "replaced by another file" : "deleted";
  throw new WorkflowsError(
    "storage.file_replaced",
    `the SQLite file ${path} was ${what} while this process had it open; nothing more is written to it: stop Cairn, put the right file back at ${path} (or remove the leftover ${path}-wal and ${path}-shm to start afresh) and start Cairn again`,
  );
}

/**
 * After the file was deleted or replaced: copies everything committed, which the open connection
 * still reads from the unlinked file and its WAL, to a new file beside it, and returns `replaced`
 * with a message naming that copy (or saying why there is none).
 */
export function rescueCommitted(
  db: Database.Database,
  path: string,
  replaced: WorkflowsError,
): WorkflowsError {
  const copy = `${path}.rescued-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  let saved: string;
  try {
    db.prepare("VACUUM INTO ?").run(copy);
    saved = `everything committed until then was saved to ${copy}`;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    saved = `saving what was committed to ${copy} failed (${reason}): copy /proc/${process.pid}/fd's link to the deleted file before stopping Cairn`;
  }
  return new WorkflowsError(replaced.code, `${replaced.detail}; ${saved}`);
}
