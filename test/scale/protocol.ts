// The messages between a scale-out test (the parent) and its worker and client processes, over
// the IPC channel that `fork` opens.

export type ToChild = { type: "close" };

export type FromChild =
  | { type: "ready" }
  /** The client created this many instances so far (createBatch resolved). */
  | { type: "created"; count: number }
  /** The client sent this many events so far (each sendEvent resolved, so each is committed). */
  | { type: "sent"; count: number; retried: number }
  | { type: "engine-error"; context: string; message: string }
  | { type: "closed" };
