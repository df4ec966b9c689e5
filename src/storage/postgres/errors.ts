// Turns what the `pg` driver throws into Cairn's errors, in this one place: a lost or refused
// connection becomes `storage.unavailable` (the engine stops the activation and the instance is
// run again once the database is back), a conflict PostgreSQL asks us to retry is marked so, and
// anything else becomes `storage.failed` with the driver's error as its cause.

import { WorkflowsError } from "../../errors.js";

/** SQLSTATE classes and codes that mean "the server is not reachable or not serving now". */
const UNAVAILABLE_CLASSES = ["08"];
const UNAVAILABLE_CODES = new Set(["57P01", "57P02", "57P03", "53300", "53400"]);
/** Node socket errors on the way to the server. */
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ECONNABORTED",
]);
/**
 * Messages the driver and pool use for a connection that went away, or for a statement the
 * server did not answer within the pool's `query_timeout` (the driver then drops that connection).
 */
const LOST_CONNECTION = [
  "Query read timeout",
  "Connection terminated",
  "connection error and is not queryable",
  "timeout exceeded when trying to connect",
  "Client was closed and is not queryable",
  "Connection closed",
];
/** Serialization failure and deadlock: the transaction was rolled back and may simply run again. */
const RETRY_CODES = new Set(["40001", "40P01"]);

type DriverError = Error & { code?: unknown };

function codeOf(error: unknown): string | undefined {
  const code = (error as DriverError | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** True when the error says the transaction was rolled back by a conflict and may be retried. */
export function isRetryableConflict(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && RETRY_CODES.has(code);
}

/** True when the error means the database could not be reached or dropped the connection. */
export function isConnectionError(error: unknown): boolean {
  if (WorkflowsError.is(error)) return error.code === "storage.unavailable";
  const code = codeOf(error);
  if (code !== undefined) {
    if (SOCKET_CODES.has(code) || UNAVAILABLE_CODES.has(code)) return true;
    if (UNAVAILABLE_CLASSES.includes(code.slice(0, 2)) && code.length === 5) return true;
  }
  const message = error instanceof Error ? error.message : "";
  return LOST_CONNECTION.some((m) => message.includes(m));
}

/**
 * The one translation from driver errors to Cairn's errors. `what` names the operation for the
 * message. Cairn's own errors (a stale lease, a migration refusal) pass through unchanged.
 */
export function translateError(error: unknown, what: string): Error {
  if (WorkflowsError.is(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isConnectionError(error)) {
    return new WorkflowsError("storage.unavailable", `PostgreSQL is unavailable (${what}): ${message}`, {
      cause: error,
    });
  }
  const code = codeOf(error);
  return new WorkflowsError(
    "storage.failed",
    `PostgreSQL refused ${what}${code ? ` (SQLSTATE ${code})` : ""}: ${message}`,
    { cause: error },
  );
}
