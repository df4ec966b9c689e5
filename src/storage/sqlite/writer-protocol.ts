// Messages between the main thread and the SQLite writer thread: requests name a method of
// SqliteTransitions and carry its arguments; each reply settles the request with the same id.
// The replies of one group commit travel together, with how long the group took (for metrics).

/** One transition to run: a method of SqliteTransitions by name, with its arguments. */
export type WriterRequest = { id: number; op: string; args: unknown[] };

/** An error as it crosses the thread boundary (its `code` keeps StaleLeaseError recognisable). */
/**
 * An error as it crosses back from the writer thread. A Cairn error keeps its code and its
 * message without the code (`detail`), so the main thread rebuilds it as the same error.
 */
export type WriterError = {
  name: string;
  message: string;
  code?: string | undefined;
  detail?: string | undefined;
};

/** The result of one request, or its error. */
export type WriterReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: WriterError };

/** The replies of one group commit, its duration on the writer thread (ms) and its size. */
export type WriterBatchReply = { replies: WriterReply[]; ms: number; writes: number };
