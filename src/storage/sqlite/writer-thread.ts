// The SQLite writer thread: receives write transitions from the main thread and commits all
// that arrived while the previous commit was syncing in one transaction (group commit). The
// fsync happens here, so the main thread's event loop keeps running steps meanwhile.

import { parentPort, workerData } from "node:worker_threads";
import { migrate, openConnection, type SqliteSynchronous } from "./connection.js";
import { SqliteTransitions } from "./transitions.js";
import type { WriterError, WriterReply, WriterRequest } from "./writer-protocol.js";

const data = workerData as { path: string; synchronous: SqliteSynchronous; now: number; exclusive: boolean };
const port = parentPort!;

function start(): void {
  const db = openConnection(data.path, data.synchronous);
  migrate(db, data.now);
  const transitions = new SqliteTransitions(db) as unknown as Record<string, (...args: unknown[]) => unknown>;
  if (data.exclusive) (transitions as unknown as SqliteTransitions).releaseAllLeases();

  let queue: WriterRequest[] = [];
  let scheduled = false;

  const flush = (): void => {
    scheduled = false;
    const batch = queue;
    queue = [];
    const replies: WriterReply[] = [];
    try {
      db.exec("BEGIN IMMEDIATE");
      for (const req of batch) {
        db.exec("SAVEPOINT op");
        try {
          const fn = transitions[req.op];
          if (typeof fn !== "function") throw new Error(`unknown store operation ${req.op}`);
          const result = fn.apply(transitions, req.args);
          db.exec("RELEASE op");
          replies.push({ id: req.id, ok: true, result });
        } catch (error) {
          db.exec("ROLLBACK TO op");
          db.exec("RELEASE op");
          replies.push({ id: req.id, ok: false, error: describe(error) });
        }
      }
      db.exec("COMMIT");
    } catch (error) {
      if (db.inTransaction) db.exec("ROLLBACK");
      const failure = describe(error);
      replies.length = 0;
      for (const req of batch) replies.push({ id: req.id, ok: false, error: failure });
    }
    port.postMessage(replies);
  };

  port.on("message", (msg: WriterRequest | "close") => {
    if (msg === "close") {
      if (queue.length > 0) flush();
      db.close();
      port.postMessage("closed");
      port.close();
      return;
    }
    queue.push(msg);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
  port.postMessage("ready");
}

function describe(error: unknown): WriterError {
  const e = error as { name?: string; message?: string; code?: string };
  return { name: e?.name ?? "Error", message: e?.message ?? String(error), code: e?.code };
}

try {
  start();
} catch (error) {
  port.postMessage({ startupError: describe(error) });
}
