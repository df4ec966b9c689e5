// The errors a D1 binding throws at Worker code, with Cloudflare's codes as the message prefix
// ("D1_ERROR: no such table: users: SQLITE_ERROR") because Workers match on those strings. The
// code is also a field, and the detail without the prefix is the `cause`, as on Cloudflare.

/** Cloudflare's D1 error codes. */
export type D1ErrorCode = "D1_ERROR" | "D1_TYPE_ERROR" | "D1_COLUMN_NOTFOUND" | "D1_EXEC_ERROR";

/** A D1 call that failed: bad SQL, a constraint, a value of an unsupported type, a missing column. */
export class D1Error extends Error {
  readonly code: D1ErrorCode;

  constructor(code: D1ErrorCode, detail: string) {
    super(`${code}: ${detail}`, { cause: new Error(detail) });
    this.code = code;
    // Workers see a plain Error on Cloudflare; the name stays "Error" so that checks on it agree.
    this.name = "Error";
  }

  static is(value: unknown): value is D1Error {
    return value instanceof D1Error;
  }
}

type SqliteFailure = { code?: unknown; message: string };

/**
 * The detail D1 reports for a failure of SQLite: its message and primary result code
 * ("UNIQUE constraint failed: t.id: SQLITE_CONSTRAINT"), or a driver message put in D1's words.
 */
export function sqliteDetail(error: unknown): string {
  const failure = error as SqliteFailure;
  const message = typeof failure?.message === "string" ? failure.message : String(error);
  if (message === "The supplied SQL string contains no statements") return "No SQL statements detected.";
  if (typeof failure?.code === "string" && failure.code.startsWith("SQLITE_")) {
    // Extended codes (SQLITE_CONSTRAINT_UNIQUE) are reported by their primary code on D1.
    const primary = failure.code.split("_").slice(0, 2).join("_");
    return `${message}: ${primary}`;
  }
  return message;
}
