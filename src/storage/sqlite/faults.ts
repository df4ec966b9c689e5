// Turns what SQLite or the file system says about the database file's medium into Cairn's own
// errors, in one place: a disk with no space left (SQLITE_FULL from SQLite, ENOSPC from a file
// call) becomes `storage.full`, naming the file and what the operator does about it. The writer
// thread passes every failure through here before it crosses back to the main thread.

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

/** `error` as a `storage.full` error naming `path` when it says the disk is full; else itself. */
export function translateFault(error: unknown, path: string): unknown {
  if (WorkflowsError.is(error) || !isDiskFull(error)) return error;
  return new WorkflowsError(
    "storage.full",
    `the disk holding the SQLite file ${path} is full (${codeOf(error)}); the write was not committed: free space on that disk (or move the file to a larger one) and the work carries on by itself`,
    { cause: error },
  );
}
