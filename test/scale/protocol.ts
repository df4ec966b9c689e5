// The messages between a scale-out test (the parent) and its worker and client processes, over
// the IPC channel that `fork` opens.

export type ToChild =
  | { type: "close" }
  /** To a client started with `batch`: it may create instances up to this count in all. */
  | { type: "allow"; upTo: number }
  /** To a client started with `batch`: create no more batches; report "finished" once sent. */
  | { type: "finish" };

export type FromChild =
  | { type: "ready" }
  /** The client created this many instances so far (createBatch resolved). */
  | { type: "created"; count: number }
  /** The client sent this many events so far (each sendEvent resolved, so each is committed). */
  | { type: "sent"; count: number; retried: number }
  /** `code`: the WorkflowsError code, when the error is one. */
  | { type: "engine-error"; context: string; message: string; code?: string }
  /** A worker's peak resident set so far (process.resourceUsage().maxRSS), in bytes. */
  | { type: "rss"; maxRssBytes: number }
  /** A client started with `batch` created and sent everything it was allowed and stopped. */
  | { type: "finished"; created: number; sent: number; retried: number }
  | { type: "closed" };
