// The SQLite writer thread: receives write transitions from the main thread and commits all
// that arrived while the previous commit was syncing in one transaction (group commit). The
// fsync happens here, so the main thread's event loop keeps running steps meanwhile. A batch
// runs without savepoints; if any transition fails, the batch is rolled back and run again with
// a savepoint around each, so that only the failing transition is undone.

import { rmSync } from "node:fs";
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { WorkflowsError } from "../../errors.js";
import { migrate, openConnection, type SqliteSynchronous } from "./connection.js";
import { assertSameFile, identityOf, rescueCommitted, sameIdentity, translateFault } from "./faults.js";
import { SqliteTransitions } from "./transitions.js";
import type { WriterBatchReply, WriterError, WriterReply, WriterRequest } from "./writer-protocol.js";

const data = workerData as { path: string; synchronous: SqliteSynchronous; now: number };
const port = parentPort!;

function start(): void {
  const db = openConnection(data.path, data.synchronous);
  // The file this connection writes to; each group commit checks the path still names it.
  const opened = identityOf(data.path)!;
  // Checkpoint at 1 MB of WAL instead of SQLite's 4 MB: a commit that makes the WAL file grow
  // syncs slower than one that overwrites it, and a small WAL starts over sooner.
  db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  migrate(db, data.now);
  // Our WAL and shared-memory files, to be removed at close if the database file was replaced.
  const sideFiles = ["-wal", "-shm"].map((side) => ({
    path: `${data.path}${side}`,
    id: identityOf(`${data.path}${side}`),
  }));
  const transitions = new SqliteTransitions(db);
  // The process lock makes this store single-process: every lease in the file is a dead process's.
  transitions.releaseAllLeases();
  // Requests name a method of SqliteTransitions (writer.ts types them; see TransitionName there).
  const operations = transitions as unknown as Record<string, (...args: unknown[]) => unknown>;

  let queue: WriterRequest[] = [];

  /** Set once the file at the path is not the one opened: every later batch fails with it. */
  let replaced: WorkflowsError | null = null;
  /** One stat call per group commit: never commit into a file deleted or replaced meanwhile. */
  const checkFile = (): void => {
    if (replaced) throw replaced;
    try {
      assertSameFile(data.path, opened);
    } catch (error) {
      if (!WorkflowsError.is(error)) throw error;
      replaced = rescueCommitted(db, data.path, error);
      throw replaced;
    }
  };

  // Transaction control prepared once: db.exec would compile the SQL on every commit.
  const txStatements = {
    begin: db.prepare("BEGIN IMMEDIATE"),
    commit: db.prepare("COMMIT"),
    rollback: db.prepare("ROLLBACK"),
    savepoint: db.prepare("SAVEPOINT op"),
    release: db.prepare("RELEASE op"),
    undo: db.prepare("ROLLBACK TO op"),
  };

  const apply = (req: WriterRequest): unknown => {
    const operation = operations[req.op];
    if (typeof operation !== "function") throw new Error(`unknown store operation ${req.op}`);
    return operation.apply(transitions, req.args);
  };

  /** The common case: every transition succeeds, one transaction, no savepoints. */
  const commitWhole = (batch: WriterRequest[]): WriterReply[] | null => {
    const replies: WriterReply[] = [];
    txStatements.begin.run();
    try {
      for (const req of batch) replies.push({ id: req.id, ok: true, result: apply(req) });
    } catch {
      if (db.inTransaction) txStatements.rollback.run();
      return null;
    }
    txStatements.commit.run();
    return replies;
  };

  /** Commits the queue as one group and posts its replies with the group's duration and size. */
  const flush = (): void => {
    const batch = queue;
    queue = [];
    const started = performance.now();
    const replies = commitGroup(batch);
    const reply: WriterBatchReply = { replies, ms: performance.now() - started, writes: batch.length };
    port.postMessage(reply);
  };

  const commitGroup = (batch: WriterRequest[]): WriterReply[] => {
    try {
      checkFile();
      const replies = commitWhole(batch);
      if (replies) return replies;
    } catch (error) {
      if (db.inTransaction) txStatements.rollback.run();
      const failure = toWriterError(error);
      return batch.map((req): WriterReply => ({ id: req.id, ok: false, error: failure }));
    }
    return commitOneByOne(batch);
  };

  /** Runs each transition in its own savepoint: a failure undoes that transition only. */
  const commitOneByOne = (batch: WriterRequest[]): WriterReply[] => {
    const replies: WriterReply[] = [];
    try {
      txStatements.begin.run();
      for (const req of batch) {
        txStatements.savepoint.run();
        try {
          const result = apply(req);
          txStatements.release.run();
          replies.push({ id: req.id, ok: true, result });
        } catch (error) {
          txStatements.undo.run();
          txStatements.release.run();
          replies.push({ id: req.id, ok: false, error: toWriterError(error) });
        }
      }
      txStatements.commit.run();
    } catch (error) {
      if (db.inTransaction) txStatements.rollback.run();
      const failure = toWriterError(error);
      replies.length = 0;
      for (const req of batch) replies.push({ id: req.id, ok: false, error: failure });
    }
    return replies;
  };

  let closing = false;
  const close = (): void => {
    closing = true;
    if (queue.length > 0) flush();
    db.close();
    // Left beside a file that is not ours, our WAL would be read as part of it at the next open
    // (files put there by someone else since stay).
    if (replaced)
      for (const side of sideFiles)
        if (side.id && sameIdentity(identityOf(side.path), side.id)) rmSync(side.path);
    port.postMessage("closed");
    port.close();
  };

  let closeRequested = false;
  /** Moves every message already waiting on the port into the queue; false once "close" came. */
  const takeWaiting = (): boolean => {
    for (
      let next = closeRequested ? undefined : receiveMessageOnPort(port);
      next;
      next = receiveMessageOnPort(port)
    ) {
      const msg = next.message as WriterRequest[] | "close";
      if (msg === "close") {
        closeRequested = true;
        break;
      }
      for (const req of msg) queue.push(req);
    }
    return !closeRequested;
  };

  /**
   * Commits what is queued and what else is waiting, then watches the port for a moment before
   * going back to sleep. Waking a sleeping thread costs tens of microseconds here, as much as a
   * third of a commit; an instance running steps one after another sends its next write within
   * that moment, and it is taken at once. A window that passes with nothing to write ends it.
   */
  const commitAndWatch = (): void => {
    for (;;) {
      let open = takeWaiting();
      if (queue.length > 0) flush();
      if (!open) {
        close();
        return;
      }
      const until = performance.now() + WATCH_MS;
      while (open && queue.length === 0 && performance.now() < until) open = takeWaiting();
      if (open && queue.length === 0) return;
    }
  };

  port.on("message", (msg: WriterRequest[] | "close") => {
    if (closing) return;
    if (msg === "close") {
      close();
      return;
    }
    for (const req of msg) queue.push(req);
    commitAndWatch();
  });
  port.postMessage("ready");
}

/** WAL pages after which a commit checkpoints (4 KiB pages: 1 MiB). */
const WAL_CHECKPOINT_PAGES = 256;

/** How long the thread keeps watching for the next write after a commit (see commitAndWatch). */
const WATCH_MS = 0.5;

function toWriterError(thrown: unknown): WriterError {
  const error = translateFault(thrown, data.path);
  const e = error as { name?: string; message?: string; code?: string };
  const detail = WorkflowsError.is(error) ? error.detail : undefined;
  return { name: e?.name ?? "Error", message: e?.message ?? String(error), code: e?.code, detail };
}

try {
  start();
} catch (error) {
  port.postMessage({ startupError: toWriterError(error) });
}
