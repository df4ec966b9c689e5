// The SQLite implementation of the Store contract: reads run on a connection in the main thread
// (WAL lets them proceed beside the writer), writes go to the writer thread for group commit.

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type Database from "better-sqlite3";
import { EngineClosedError, WorkflowsError } from "../../errors.js";
import type { StoreObserver } from "../store-observer.js";
import type {
  ActivityCounts,
  ChangedInstance,
  ChangeScope,
  Claim,
  ClaimRequest,
  ControlResult,
  CreateResult,
  DeletedInstance,
  EventRecord,
  Fence,
  FinishResult,
  InstanceFilter,
  InstanceRecord,
  ListPage,
  ListQuery,
  LogEntry,
  LogInput,
  NewInstance,
  StepKind,
  StepRecord,
  Store,
  StoredStatus,
  StorePing,
} from "../types.js";
import { openConnection, type SqliteSynchronous } from "./connection.js";
import { assertSameFile, type FileIdentity, identityOf, isDiskFull, translateFault } from "./faults.js";
import { SqliteInstanceReads } from "./instance-reads.js";
import { LATEST_VERSION } from "./migrations.js";
import { ProcessLock } from "./process-lock.js";
import {
  flattenLog,
  type InstanceRow,
  type LogRow,
  type StepRow,
  stepValues,
  toInstance,
  toLog,
  toStep,
} from "./rows.js";
import { prepareAll } from "./statements.js";
import { SqliteWriter } from "./writer.js";

/** How to open a SQLite store. */
export type SqliteStoreOptions = {
  /** A file path, or ":memory:" for a throwaway store in a temporary folder. */
  path: string;
  /** `FULL` (default): a commit survives power loss. `NORMAL`: it survives a process crash only. */
  synchronous?: SqliteSynchronous;
  now?: number;
};

/**
 * The Store on one SQLite file, for one process.
 * @example
 * const store = await SqliteStore.open({ path: "cairn.db" });
 */
export class SqliteStore implements Store {
  readonly capabilities = { singleProcess: true, claimSharesCreateCommit: true };
  private readonly reader: Database.Database;
  private readonly writer: SqliteWriter;
  private readonly lock: ProcessLock;
  private readonly scratchDir: string | null;
  /** The database file, and which file it was when opened (see ping). */
  private readonly path: string;
  private readonly opened: FileIdentity;
  private readonly stmt;
  private readonly lists: SqliteInstanceReads;

  private constructor(
    reader: Database.Database,
    writer: SqliteWriter,
    lock: ProcessLock,
    scratchDir: string | null,
    path: string,
    opened: FileIdentity,
  ) {
    this.path = path;
    this.opened = opened;
    this.reader = reader;
    this.writer = writer;
    this.lock = lock;
    this.scratchDir = scratchDir;
    this.lists = new SqliteInstanceReads(reader);
    this.stmt = prepareAll(reader, {
      instance: "SELECT * FROM instances WHERE workflow = ? AND id = ?",
      nextWake: `SELECT min(wake_at) AS t FROM instances WHERE status = 'waiting' AND wake_at IS NOT NULL
           AND (affinity IS NULL OR affinity = ?)`,
      nextLease: `SELECT min(lease_expires_at) AS t FROM instances WHERE status IN ('running', 'waitingForPause')
           AND (lease_owner IS NULL OR lease_owner <> ?) AND (affinity IS NULL OR affinity = ?)`,
      journal: "SELECT * FROM steps WHERE instance_seq = ?",
      log: "SELECT seq, at, type, step_key, attempt, data FROM log WHERE instance_seq = ? ORDER BY seq",
      chunks: "SELECT bytes FROM stream_chunks WHERE instance_seq = ? AND step_key = ? ORDER BY idx",
      stateBytes: `SELECT coalesce((SELECT sum(length(value)) FROM steps WHERE instance_seq = ?), 0)
           + coalesce((SELECT sum(length(bytes)) FROM stream_chunks WHERE instance_seq = ?), 0) AS n`,
      mark: "SELECT scheduled_time FROM schedule_marks WHERE workflow = ? AND cron = ?",
      schemaVersion: "SELECT max(version) AS v FROM schema_migrations",
    });
  }

  /** Opens (creating if needed) the file, takes the process lock and applies migrations. */
  static async open(options: SqliteStoreOptions): Promise<SqliteStore> {
    const memory = options.path === ":memory:";
    const scratchDir = memory ? mkdtempSync(join(tmpdir(), "cairn-")) : null;
    const path = scratchDir ? join(scratchDir, "cairn.db") : resolve(options.path);
    const synchronous = options.synchronous ?? (memory ? "OFF" : "FULL");
    let lock: ProcessLock;
    try {
      mkdirSync(dirname(path), { recursive: true });
      lock = ProcessLock.acquire(path);
    } catch (error) {
      if (WorkflowsError.is(error)) throw error;
      if (isDiskFull(error)) throw translateFault(error, path);
      const cause = error instanceof Error ? error.message : String(error);
      throw new WorkflowsError("storage.unavailable", `cannot open the SQLite file ${path}: ${cause}`, {
        cause: error,
      });
    }
    try {
      const writer = await SqliteWriter.start(path, synchronous, options.now ?? Date.now());
      const reader = openConnection(path, synchronous);
      return new SqliteStore(reader, writer, lock, scratchDir, path, identityOf(path)!);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  createInstances(items: NewInstance[], now: number): Promise<CreateResult[]> {
    return this.writer.call("createInstances", [items, now]);
  }

  async getInstance(workflow: string, id: string): Promise<InstanceRecord | undefined> {
    this.assertOpen();
    const row = this.stmt.instance.get(workflow, id) as InstanceRow | undefined;
    return row ? toInstance(row) : undefined;
  }

  async listInstances(query: ListQuery): Promise<ListPage> {
    this.assertOpen();
    return this.lists.listInstances(query);
  }

  async countInstances(filter: InstanceFilter): Promise<number> {
    this.assertOpen();
    return this.lists.countInstances(filter);
  }

  async countByStatus(workflow: string): Promise<Partial<Record<StoredStatus, number>>> {
    this.assertOpen();
    return this.lists.countByStatus(workflow);
  }

  async activity(workflow: string, fromMs: number, toMs: number): Promise<ActivityCounts> {
    this.assertOpen();
    return this.lists.activity(workflow, fromMs, toMs);
  }

  async changedSince(since: number, limit: number, scope?: ChangeScope): Promise<ChangedInstance[]> {
    this.assertOpen();
    return this.lists.changedSince(since, limit, scope);
  }

  async deletedSince(since: number, limit: number, scope?: ChangeScope): Promise<DeletedInstance[]> {
    this.assertOpen();
    return this.lists.deletedSince(since, limit, scope);
  }

  claim(request: ClaimRequest): Promise<Claim[]> {
    return this.writer.call("claim", [request]);
  }

  async nextWakeAt(owner: string): Promise<number | null> {
    this.assertOpen();
    const a = (this.stmt.nextWake.get(owner) as { t: number | null }).t;
    const b = (this.stmt.nextLease.get(owner, owner) as { t: number | null }).t;
    if (a === null) return b;
    if (b === null) return a;
    return Math.min(a, b);
  }

  /** One process, one clock: the lease runs to the caller's now plus `leaseMs`. */
  renewLeases(owner: string, fences: Fence[], now: number, leaseMs: number): Promise<void> {
    return this.writer.call("renewLeases", [owner, fences, now + leaseMs]);
  }

  releaseLease(fence: Fence, now: number): Promise<void> {
    return this.writer.call("releaseLease", [fence, now]);
  }

  async loadJournal(seq: number): Promise<StepRecord[]> {
    this.assertOpen();
    return (this.stmt.journal.all(seq) as StepRow[]).map(toStep);
  }

  recordStep(fence: Fence, record: StepRecord, log: LogInput[], now: number): Promise<void> {
    // Flattened here: arrays of plain values cross to the writer thread faster than objects.
    return this.writer.call("recordStepRow", [
      fence.seq,
      fence.epoch,
      stepValues(record),
      flattenLog(log),
      now,
    ]);
  }

  appendLog(fence: Fence, log: LogInput[], now: number): Promise<void> {
    return this.writer.call("appendLog", [fence, log, now]);
  }

  consumeEvent(
    fence: Fence,
    step: { key: string; name: string; count: number; startedAt: number; type: string },
    now: number,
  ): Promise<EventRecord | undefined> {
    return this.writer.call("consumeEvent", [fence, step, now]);
  }

  suspend(
    fence: Fence,
    wake: { wakeAt: number | null; waitTypes: string[] },
    now: number,
  ): Promise<"waiting" | "paused"> {
    return this.writer.call("suspend", [fence, wake, now]);
  }

  settlePause(fence: Fence, now: number): Promise<void> {
    return this.writer.call("settlePause", [fence, now]);
  }

  finish(fence: Fence, result: FinishResult, now: number): Promise<void> {
    return this.writer.call("finish", [fence, result, now]);
  }

  appendStreamChunks(fence: Fence, key: string, chunks: Uint8Array[], now: number): Promise<void> {
    return this.writer.call("appendStreamChunks", [fence, key, chunks, now]);
  }

  discardStreamChunks(fence: Fence, key: string, now: number): Promise<void> {
    return this.writer.call("discardStreamChunks", [fence, key, now]);
  }

  async loadStreamChunks(seq: number, key: string): Promise<Uint8Array[]> {
    this.assertOpen();
    return (this.stmt.chunks.all(seq, key) as { bytes: Uint8Array }[]).map((r) => r.bytes);
  }

  async stateBytes(seq: number): Promise<number> {
    this.assertOpen();
    return (this.stmt.stateBytes.get(seq, seq) as { n: number }).n;
  }

  sendEvent(
    workflow: string,
    id: string,
    event: { type: string; payload: Uint8Array },
    now: number,
  ): Promise<ControlResult<"sent" | "finished">> {
    return this.writer.call("sendEvent", [workflow, id, event, now]);
  }

  requestPause(
    workflow: string,
    id: string,
    now: number,
  ): Promise<ControlResult<"paused" | "pausing" | "noop">> {
    return this.writer.call("requestPause", [workflow, id, now]);
  }

  resume(workflow: string, id: string, now: number): Promise<ControlResult<"resumed" | "unpaused" | "noop">> {
    return this.writer.call("resume", [workflow, id, now]);
  }

  terminate(
    workflow: string,
    id: string,
    now: number,
    options?: { rollback?: boolean },
  ): Promise<ControlResult<"terminated" | "finished" | "rolling_back">> {
    return this.writer.call("terminate", [workflow, id, now, options]);
  }

  restartFrom(
    workflow: string,
    id: string,
    target: { kind: StepKind; name: string; count: number },
    now: number,
  ): Promise<ControlResult<"restarted" | "step_not_found">> {
    return this.writer.call("restartFrom", [workflow, id, target, now]);
  }

  deleteInstances(
    workflow: string,
    ids: string[],
    now: number,
  ): Promise<{ id: string; outcome: "deleted" | "not_found" }[]> {
    return this.writer.call("deleteInstances", [workflow, ids, now]);
  }

  advanceSchedule(
    workflow: string,
    cron: string,
    scheduledTime: number,
    instance: NewInstance | null,
    now: number,
  ): Promise<boolean> {
    return this.writer.call("advanceSchedule", [workflow, cron, scheduledTime, instance, now]);
  }

  async scheduleMark(workflow: string, cron: string): Promise<number | null> {
    this.assertOpen();
    const row = this.stmt.mark.get(workflow, cron) as { scheduled_time: number } | undefined;
    return row ? row.scheduled_time : null;
  }

  restart(workflow: string, id: string, now: number): Promise<ControlResult<"restarted">> {
    return this.writer.call("restart", [workflow, id, now]);
  }

  setAffinity(
    workflow: string,
    id: string,
    owner: string | null,
    now: number,
  ): Promise<ControlResult<"set" | "revoked">> {
    return this.writer.call("setAffinity", [workflow, id, owner, now]);
  }

  wake(workflow: string, id: string, now: number): Promise<ControlResult<"woken" | "noop">> {
    return this.writer.call("wake", [workflow, id, now]);
  }

  /** Reports each group commit of the writer thread (its duration and size) to `observer`. */
  observe(observer: StoreObserver): void {
    this.writer.observer = observer;
  }

  async readLog(seq: number): Promise<LogEntry[]> {
    this.assertOpen();
    return (this.stmt.log.all(seq) as LogRow[]).flatMap(toLog);
  }

  deleteExpired(now: number, limit: number): Promise<{ workflow: string; id: string }[]> {
    return this.writer.call("deleteExpired", [now, limit]);
  }

  /**
   * Reads the schema version on the read connection; a stopped writer thread, or a file deleted
   * or replaced since open, fails it.
   */
  async ping(_timeoutMs: number): Promise<StorePing> {
    this.assertOpen();
    if (!this.writer.running) {
      throw new WorkflowsError("storage.unavailable", "the SQLite writer thread has stopped");
    }
    assertSameFile(this.path, this.opened);
    const row = this.stmt.schemaVersion.get() as { v: number | null };
    return { schemaVersion: row.v ?? 0, expectedSchemaVersion: LATEST_VERSION };
  }

  /** Reads after close fail as every other call does, with `engine.closed`. */
  private assertOpen(): void {
    if (!this.reader.open) throw new EngineClosedError();
  }

  async close(): Promise<void> {
    await this.writer.close();
    this.reader.close();
    this.lock.release();
    if (this.scratchDir) rmSync(this.scratchDir, { recursive: true, force: true });
  }
}
