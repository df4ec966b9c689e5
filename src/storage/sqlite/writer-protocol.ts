// Messages between the main thread and the SQLite writer thread.

export type WriterRequest = { id: number; op: string; args: unknown[] };

export type WriterError = { name: string; message: string; code?: string | undefined };

export type WriterReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: WriterError };
