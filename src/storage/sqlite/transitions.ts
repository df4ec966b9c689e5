// The store's write transitions, as the writer thread runs them inside a group-commit
// transaction: one object whose method names are the operations the main thread posts (see
// writer-protocol.ts). It only hands each call to the file that owns it: claims.ts,
// journal.ts, control.ts or retention.ts. Each method is atomic on its own (the writer wraps it
// in a savepoint when a batch must be retried), so one failing transition never undoes another.

import type Database from "better-sqlite3";
import type {
  Claim,
  ClaimRequest,
  ControlResult,
  CreateResult,
  EventRecord,
  Fence,
  FinishResult,
  LogInput,
  NewInstance,
  StepKind,
  StepRecord,
} from "../types.js";
import { SqliteClaims } from "./claims.js";
import { SqliteControl } from "./control.js";
import { type EventStep, SqliteJournal } from "./journal.js";
import { LogWriter } from "./log-writer.js";
import { SqliteRetention } from "./retention.js";
import type { FlatLog, StepValues } from "./rows.js";

/** Every write transition of the SQLite store, by the name the writer protocol calls it. */
export class SqliteTransitions {
  private readonly claims: SqliteClaims;
  private readonly journal: SqliteJournal;
  private readonly control: SqliteControl;
  private readonly retention: SqliteRetention;

  constructor(db: Database.Database) {
    const log = new LogWriter(db);
    this.claims = new SqliteClaims(db, log);
    this.journal = new SqliteJournal(db, log);
    this.retention = new SqliteRetention(db);
    this.control = new SqliteControl(db, log, this.retention);
  }

  // ---- claims and leases --------------------------------------------------------------------

  claim(req: ClaimRequest): Claim[] {
    return this.claims.claim(req);
  }

  renewLeases(owner: string, fences: Fence[], until: number): void {
    this.claims.renewLeases(owner, fences, until);
  }

  releaseLease(fence: Fence, now: number): void {
    this.claims.releaseLease(fence, now);
  }

  /** Single-process stores only: at open every lease belongs to a dead process. */
  releaseAllLeases(): void {
    this.claims.releaseAllLeases();
  }

  // ---- the runner's fenced writes ------------------------------------------------------------

  recordStep(fence: Fence, record: StepRecord, log: LogInput[], now: number): void {
    this.journal.recordStep(fence, record, log, now);
  }

  /** recordStep with the record and log already flat, as the main thread sends them. */
  recordStepRow(seq: number, epoch: number, values: StepValues, log: FlatLog, now: number): void {
    this.journal.recordStepRow(seq, epoch, values, log, now);
  }

  appendLog(fence: Fence, log: LogInput[], now: number): void {
    this.journal.appendLog(fence, log, now);
  }

  consumeEvent(fence: Fence, step: EventStep, now: number): EventRecord | undefined {
    return this.journal.consumeEvent(fence, step, now);
  }

  suspend(
    fence: Fence,
    wake: { wakeAt: number | null; waitTypes: string[] },
    now: number,
  ): "waiting" | "paused" {
    return this.journal.suspend(fence, wake, now);
  }

  settlePause(fence: Fence, now: number): void {
    this.journal.settlePause(fence, now);
  }

  finish(fence: Fence, result: FinishResult, now: number): void {
    this.journal.finish(fence, result, now);
  }

  appendStreamChunks(fence: Fence, key: string, chunks: Uint8Array[], _now: number): void {
    this.journal.appendStreamChunks(fence, key, chunks);
  }

  discardStreamChunks(fence: Fence, key: string, _now: number): void {
    this.journal.discardStreamChunks(fence, key);
  }

  // ---- operations by (workflow, id) ----------------------------------------------------------

  createInstances(items: NewInstance[], now: number): CreateResult[] {
    return this.control.createInstances(items, now);
  }

  sendEvent(
    workflow: string,
    id: string,
    event: { type: string; payload: Uint8Array },
    now: number,
  ): ControlResult<"sent" | "finished"> {
    return this.control.sendEvent(workflow, id, event, now);
  }

  requestPause(workflow: string, id: string, now: number): ControlResult<"paused" | "pausing" | "noop"> {
    return this.control.requestPause(workflow, id, now);
  }

  resume(workflow: string, id: string, now: number): ControlResult<"resumed" | "unpaused" | "noop"> {
    return this.control.resume(workflow, id, now);
  }

  terminate(
    workflow: string,
    id: string,
    now: number,
    options?: { rollback?: boolean },
  ): ControlResult<"terminated" | "finished" | "rolling_back"> {
    return this.control.terminate(workflow, id, now, options);
  }

  setAffinity(
    workflow: string,
    id: string,
    owner: string | null,
    now: number,
  ): ControlResult<"set" | "revoked"> {
    return this.control.setAffinity(workflow, id, owner, now);
  }

  wake(workflow: string, id: string, now: number): ControlResult<"woken" | "noop"> {
    return this.control.wake(workflow, id, now);
  }

  restart(workflow: string, id: string, now: number): ControlResult<"restarted"> {
    return this.control.restart(workflow, id, now);
  }

  restartFrom(
    workflow: string,
    id: string,
    target: { kind: StepKind; name: string; count: number },
    now: number,
  ): ControlResult<"restarted" | "step_not_found"> {
    return this.control.restartFrom(workflow, id, target, now);
  }

  deleteInstances(
    workflow: string,
    ids: string[],
    now: number,
  ): { id: string; outcome: "deleted" | "not_found" }[] {
    return this.control.deleteInstances(workflow, ids, now);
  }

  advanceSchedule(
    workflow: string,
    cron: string,
    scheduledTime: number,
    instance: NewInstance | null,
    now: number,
  ): boolean {
    return this.control.advanceSchedule(workflow, cron, scheduledTime, instance, now);
  }

  // ---- retention -----------------------------------------------------------------------------

  deleteExpired(now: number, limit: number): { workflow: string; id: string }[] {
    return this.retention.deleteExpired(now, limit);
  }
}
