// Picks where queued messages live from the engine's storage URL: beside the engine's SQLite
// database in the state folder, or in the engine's PostgreSQL schema. The PostgreSQL driver is
// loaded only when it is used.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { isPostgresUrl } from "../../storage/postgres/target.js";
import type { QueueStore } from "./queue-store.js";
import { SqliteQueueStore } from "./sqlite-queue-store.js";

export type OpenedQueueStore =
  | { kind: "sqlite"; store: SqliteQueueStore }
  | { kind: "postgres"; store: QueueStore };

/** The queue file in the state folder when the engine runs on SQLite. */
export const QUEUE_FILE = "queues.sqlite";

export async function openQueueStore(storageUrl: string, stateDir: string): Promise<OpenedQueueStore> {
  if (isPostgresUrl(storageUrl)) {
    const { PostgresQueueStore } = await import("./postgres-queue-store.js");
    return { kind: "postgres", store: await PostgresQueueStore.open(storageUrl) };
  }
  mkdirSync(stateDir, { recursive: true });
  return { kind: "sqlite", store: new SqliteQueueStore(join(stateDir, QUEUE_FILE)) };
}
