// The storage contract: everything the engine asks of a database, as a small set of atomic
// transitions (not CRUD). SQLite and PostgreSQL adapters implement it and pass one conformance
// suite. The engine passes `now` into every call; an adapter never reads the database clock.
//
// Glossary
// - instance: one run of a workflow class, addressed by (workflow, id); `seq` is the store's own
//   key for it, never reused, so a deleted-then-recreated id never sees the old journal.
// - journal: one StepRecord per step key (`do:<name>:<count>`, `sleep:…`, `waitForEvent:…`).
// - attempt: one execution of a `step.do` callback; a step has 1..limit+1 attempts.
// - inbox: the events sent to an instance, FIFO per type; each is consumed by at most one wait.
// - log: the append-only list of what happened (LogEntry), read by tests, API and dashboard.
// - lease: (owner, expiry, epoch) set when a process claims an instance. Every journal write
//   carries a Fence {seq, epoch}; a write whose epoch is not the current one is rejected with
//   StaleLeaseError, so two processes never both record results for one instance.
// - affinity: the one owner allowed to claim an instance, when set (an instance introspected by
//   cairn/testing runs only in the process that holds its test overrides); null for all others.

import type { PoolUse, StoreObserver } from "./store-observer.js";

/** An error as stored: its name and message. */
export type ErrorRecord = { name: string; message: string };

/** The statuses a store keeps (`unknown` is only ever a reading fallback). */
export type StoredStatus =
  | "queued"
  | "running"
  | "waiting"
  | "waitingForPause"
  | "paused"
  | "complete"
  | "errored"
  | "terminated";

/** The statuses no runner changes again (only restart and delete act on them). */
export const FINISHED_STATUSES: readonly StoredStatus[] = ["complete", "errored", "terminated"];

/** What created an instance. */
export type TriggerSource = "api" | "binding" | "cron" | "event" | "unknown";

/**
 * The W3C trace context an instance keeps from its creation (`traceparent`, and `tracestate` when
 * there is one): the spans of its runs continue that trace, in whichever process runs them.
 */
export type TraceContext = { traceparent: string; tracestate: string | null };

/** Identifies the lease a runner holds; every journal write carries it. */
export type Fence = { seq: number; epoch: number };

type InstanceCommon = {
  seq: number;
  workflow: string;
  id: string;
  params: Uint8Array;
  trigger: TriggerSource;
  createdAt: number;
  startedAt: number | null;
  updatedAt: number;
  epoch: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  successRetentionMs: number;
  errorRetentionMs: number;
  /** `terminate({ rollback: true })` was asked: the next activation runs rollbacks, then terminates. */
  rollbackPending: boolean;
  /** The only owner whose claims may take this instance; null: any owner's. */
  affinity: string | null;
  /** The trace its runs continue; null when it was created outside any trace. */
  traceContext: TraceContext | null;
};

/** One instance's row. Fields that only make sense in some statuses live in those variants. */
export type InstanceRecord =
  | (InstanceCommon & { status: "queued" | "running" | "waitingForPause" })
  | (InstanceCommon & { status: "waiting"; wakeAt: number | null; waitTypes: string[] })
  | (InstanceCommon & { status: "paused"; pausedAt: number })
  | (InstanceCommon & { status: "complete"; output: Uint8Array; endedAt: number; expiresAt: number })
  | (InstanceCommon & { status: "errored"; error: ErrorRecord; endedAt: number; expiresAt: number })
  | (InstanceCommon & { status: "terminated"; endedAt: number; expiresAt: number });

/** `rollback` records are the runs of rollback handlers (key `rollback:<step key>`). */
export type StepKind = "do" | "sleep" | "waitForEvent" | "rollback";

type StepCommon = {
  key: string;
  kind: StepKind;
  name: string;
  count: number;
  startedAt: number;
  /** Resolved config (JSON) persisted at the first attempt; it wins on replay. */
  config: unknown;
  /** The step registered a rollback handler (so a replay that misses it can tell). */
  hasRollback?: boolean;
  /** Order in which the instance's steps started, assigned by the store at the first write. */
  startOrder?: number;
};

/**
 * A journal record. `running`: attempt `attempts` started and has no result yet.
 * `retrying`: attempt `attempts` failed, the next starts at `wakeAt`. `waiting`: a sleep (until
 * `wakeAt`) or a wait for an event of `eventType` (until the deadline `wakeAt`).
 */
export type StepRecord =
  | (StepCommon & { status: "running"; attempts: number })
  | (StepCommon & { status: "retrying"; attempts: number; wakeAt: number; error: ErrorRecord })
  | (StepCommon & { status: "waiting"; wakeAt: number; eventType: string | null })
  | (StepCommon & {
      status: "succeeded";
      attempts: number;
      value: Uint8Array;
      endedAt: number;
      /**
       * waitForEvent only: the type and send time of the event received; `mocked` is the index of
       * a mocked event (cairn/testing's `mockEvent`) among its instance's mocked events.
       */
      event: { type: string; sentAt: number; mocked?: number } | null;
      /** The value is a stream whose bytes are stored as chunks (see loadStreamChunks). */
      stream?: boolean;
    })
  | (StepCommon & { status: "failed"; attempts: number; error: ErrorRecord; endedAt: number });

/** Names of log entries, in Cloudflare's vocabulary where it has one. */
export type LogType =
  | "WORKFLOW_QUEUED"
  | "WORKFLOW_START"
  | "WORKFLOW_SUCCESS"
  | "WORKFLOW_FAILURE"
  | "WORKFLOW_TERMINATED"
  | "WORKFLOW_PAUSED"
  | "WORKFLOW_RESUMED"
  | "WORKFLOW_RESTARTED"
  | "WORKFLOW_WAITING"
  | "STEP_START"
  | "STEP_SUCCESS"
  | "STEP_FAILURE"
  | "ATTEMPT_START"
  | "ATTEMPT_SUCCESS"
  | "ATTEMPT_FAILURE"
  | "SLEEP_START"
  | "SLEEP_COMPLETE"
  | "WAIT_START"
  | "WAIT_COMPLETE"
  | "WAIT_TIMED_OUT"
  | "EVENT_SENT"
  | "ROLLBACK_START"
  | "ROLLBACK_STEP_START"
  | "ROLLBACK_ATTEMPT_START"
  | "ROLLBACK_ATTEMPT_SUCCESS"
  | "ROLLBACK_ATTEMPT_FAILURE"
  | "ROLLBACK_STEP_SUCCESS"
  | "ROLLBACK_STEP_FAILURE"
  | "ROLLBACK_COMPLETE"
  | "ROLLBACK_FAILED";

/** A log entry to write; the store assigns its seq. */
export type LogInput = {
  type: LogType;
  stepKey?: string | null;
  attempt?: number | null;
  /** Small JSON detail: an error, a retry delay, a wake time, an event type. */
  data?: Record<string, unknown> | null;
  /** When it happened, if not at the call's `now` (an attempt's start folded into its result). */
  at?: number;
};

/** A log entry as stored, in order by `seq` within its instance. */
export type LogEntry = {
  seq: number;
  at: number;
  type: LogType;
  stepKey: string | null;
  attempt: number | null;
  data: Record<string, unknown> | null;
};

/** An instance to create. */
export type NewInstance = {
  workflow: string;
  id: string;
  params: Uint8Array;
  trigger: TriggerSource;
  successRetentionMs: number;
  errorRetentionMs: number;
  /** The only owner allowed to claim it (see `affinity` in the glossary); absent: any. */
  affinity?: string | null;
  /** The trace its runs continue (validated by the caller); absent: none. */
  traceContext?: TraceContext | null;
};

/** How a run ended: its output, its error, or terminated (after rollbacks). */
export type FinishResult =
  | { status: "complete"; output: Uint8Array }
  | { status: "errored"; error: ErrorRecord }
  | { status: "terminated" };

/** Whether an instance was created, and its seq if it was. */
export type CreateResult = { id: string; created: true; seq: number } | { id: string; created: false };

/** What the scheduler may claim in one call. */
export type ClaimRequest = {
  /** Who claims: instances whose affinity names another owner are never taken. */
  owner: string;
  now: number;
  leaseMs: number;
  /** Free running slots per workflow name (this process's caps). Absent workflows get none. */
  slots: Record<string, number>;
  /** Free running slots in all (the engine-wide cap). */
  total: number;
  /**
   * Instances the caller has just created (all of one workflow): the store may claim only these,
   * in one short statement, leaving the rest to a full claim. It never takes one of them ahead of
   * an older queued instance of the workflow; a store whose create and claim share a commit may
   * ignore this and claim as usual.
   */
  created?: { workflow: string; seqs: number[] };
  /**
   * Instances the caller has just made due (an event it sent woke their wait), all of one
   * workflow: the store may claim only these, in one short statement, leaving the rest to a full
   * claim. It never takes one of them ahead of an instance of the workflow due earlier; a store
   * whose claim shares the commit that made them due may ignore this and claim as usual.
   */
  woken?: { workflow: string; seqs: number[] };
};

/** An instance a claim took, now running under the claimer's lease. */
export type Claim = {
  instance: InstanceRecord & { status: "running" };
  /** True when the instance was waking (timer, event, expired lease), false when newly started. */
  waking: boolean;
  /**
   * True when the instance had never started before this claim (created, or restarted from the
   * top): its journal is empty and it stores no step state, so the runner need not read them.
   * Unset means unknown: the runner reads them.
   */
  fresh?: boolean;
  /**
   * True when the instance was taken over from a holder that stopped without finishing it (a
   * crash, or a lease released at shutdown): the runner records each attempt's start durably
   * before running it, so that a step that kills its process every time still counts its attempts.
   */
  recovered?: boolean;
};

/** Which instances of a workflow a list or a count covers; every field narrows it. */
export type InstanceFilter = {
  workflow: string;
  status?: StoredStatus | undefined;
  /** Created at or after this time (ms). */
  createdFrom?: number | undefined;
  /** Created at or before this time (ms). */
  createdTo?: number | undefined;
  /** Ids that start with this text. */
  idPrefix?: string | undefined;
};

/** The length of the buckets `activity` counts in: one minute, in milliseconds. */
export const ACTIVITY_MINUTE_MS = 60_000;

/** Instances counted in one UTC minute: `minute` is its start (ms since the epoch). */
export type MinuteCount = { minute: number; count: number };

/**
 * A workflow's instances created, and finished (complete, errored or terminated), per minute of
 * a window; minutes with none are left out. Deleted instances are gone and count nowhere.
 */
export type ActivityCounts = { created: MinuteCount[]; finished: MinuteCount[] };

/** A page of instances, newest first unless `order` says otherwise (by creation time, then seq). */
export type ListQuery = InstanceFilter & {
  /** Page size, 1..1000. */
  limit: number;
  /** Opaque cursor from a previous page (`nextCursor`). */
  cursor?: string | undefined;
  /** Instances to skip before the page (numbered pages); ignored with a cursor. */
  offset?: number | undefined;
  /** Newest first (default) or oldest first. */
  order?: "desc" | "asc";
};

/** One page of instances and the cursor of the next, if any. */
export type ListPage = { items: InstanceRecord[]; nextCursor: string | null };

/** Narrows a change-feed catch-up to one workflow, or one instance of it. */
export type ChangeScope = { workflow?: string | undefined; id?: string | undefined };

/** An instance whose row changed at or after a given time (for change-feed catch-up). */
export type ChangedInstance = { workflow: string; id: string; status: StoredStatus; updatedAt: number };

/**
 * How long a store remembers deletions for `deletedSince`: a change-feed consumer that comes back
 * later than this must reload instead of catching up.
 */
export const DELETIONS_KEPT_MS = 24 * 3_600_000;

/** An instance deleted (by a caller or by retention) at `deletedAt`. */
export type DeletedInstance = { workflow: string; id: string; deletedAt: number };

/** What a control operation did (`outcome`) and the status after it, or that there is no such instance. */
export type ControlResult<T extends string> = { outcome: T; status: StoredStatus } | { outcome: "not_found" };

/** What sendEvent did; `woken` is the instance's seq when the event made it due (see Store.sendEvent). */
export type SendEventResult =
  | { outcome: "sent"; status: StoredStatus; woken?: number }
  | { outcome: "finished"; status: StoredStatus }
  | { outcome: "not_found" };

/** An event in an instance's inbox. */
export type EventRecord = { seq: number; type: string; payload: Uint8Array; sentAt: number };

/**
 * What a store shared by several processes tells each of them about changes made by any:
 * `wake` when something may have become claimable (created, resumed, event for a sleeper, lease
 * released); `control` when a control operation changed an instance; `event` when an event was
 * buffered for an instance (its holder wakes the matching waits).
 */
export type StoreSignal =
  | { kind: "wake" }
  | { kind: "changes"; changes: PublishedChange[] }
  | { kind: "control"; workflow: string; id: string }
  | { kind: "event"; workflow: string; id: string; type: string };

/**
 * A status-level change (not a step) that one process tells the others about, so that a live
 * view in any process sees the instances every process runs.
 */
export type PublishedChange = {
  type: "created" | "status" | "deleted";
  workflow: string;
  id: string;
  status?: StoredStatus;
  at: number;
};

/** What a store's ping read: the schema version of the database and the one this code expects. */
export type StorePing = { schemaVersion: number; expectedSchemaVersion: number };

/** Limits and behaviours that differ between adapters, declared instead of branched on. */
export type StoreCapabilities = {
  /** Only one process can open this store at a time (SQLite file lock). */
  singleProcess: boolean;
  /**
   * A claim made in the same turn as a create shares its commit (SQLite's group commit), so the
   * engine claims as it creates; otherwise it claims what it created once the create is done.
   */
  claimSharesCreateCommit: boolean;
};

/**
 * The contract. Journal methods take a Fence and reject with StaleLeaseError when it is stale;
 * control methods act by (workflow, id) from any process.
 */
export interface Store {
  readonly capabilities: StoreCapabilities;

  /** Creates instances; an id that already exists in the workflow is reported as not created. */
  createInstances(items: NewInstance[], now: number): Promise<CreateResult[]>;
  getInstance(workflow: string, id: string): Promise<InstanceRecord | undefined>;
  listInstances(query: ListQuery): Promise<ListPage>;
  /** How many instances match the filter. */
  countInstances(filter: InstanceFilter): Promise<number>;
  /** Instances of `workflow` by status (statuses with none are left out). */
  countByStatus(workflow: string): Promise<Partial<Record<StoredStatus, number>>>;
  /**
   * Instances of `workflow` created, and finished (by `endedAt`), per minute from `fromMs`
   * (inclusive) to `toMs` (exclusive), both whole minutes. Grouped by the database on indexes,
   * so a window costs what it holds, not what the workflow holds.
   */
  activity(workflow: string, fromMs: number, toMs: number): Promise<ActivityCounts>;
  /**
   * Instances whose row changed at or after `since`, plus every running one (its steps may have
   * moved on without a row change), oldest change first, at most `limit`.
   */
  changedSince(since: number, limit: number, scope?: ChangeScope): Promise<ChangedInstance[]>;
  /** Instances deleted at or after `since`, oldest first, at most `limit`. */
  deletedSince(since: number, limit: number, scope?: ChangeScope): Promise<DeletedInstance[]>;

  /** Claims waking instances first, then queued ones oldest first, within the slots. */
  claim(request: ClaimRequest): Promise<Claim[]>;
  /**
   * The earliest time at which something not held by `owner` becomes claimable by `owner`, on the
   * caller's clock whose time is `now` (a store whose leases follow another clock converts).
   */
  nextWakeAt(owner: string, now: number): Promise<number | null>;
  /** Extends the leases `owner` still holds as given to `leaseMs` from now. */
  renewLeases(owner: string, fences: Fence[], now: number, leaseMs: number): Promise<void>;
  /** Releases a lease without changing status (graceful shutdown): the instance is claimable at once. */
  releaseLease(fence: Fence, now: number): Promise<void>;

  loadJournal(seq: number): Promise<StepRecord[]>;
  /** Upserts one journal record and appends log entries, atomically, fenced. */
  recordStep(fence: Fence, record: StepRecord, log: LogInput[], now: number): Promise<void>;
  /** Appends log entries only, fenced. */
  appendLog(fence: Fence, log: LogInput[], now: number): Promise<void>;
  /**
   * Takes the oldest unconsumed event of `type`, marks it consumed by `stepKey` and records the
   * step as succeeded with the event as its value, atomically. Undefined when none is buffered.
   */
  consumeEvent(
    fence: Fence,
    step: { key: string; name: string; count: number; startedAt: number; type: string },
    now: number,
  ): Promise<EventRecord | undefined>;
  /**
   * Hibernates: status `waiting` until `wakeAt` or an event of one of `waitTypes`, lease
   * released. If a matching event is already buffered, the instance is due at once.
   */
  suspend(
    fence: Fence,
    wake: { wakeAt: number | null; waitTypes: string[] },
    now: number,
  ): Promise<"waiting" | "paused">;
  /** A pause requested while running took effect: `waitingForPause` → `paused`, lease released. */
  settlePause(fence: Fence, now: number): Promise<void>;
  /** Ends the instance (`complete` with output, `errored` with error, or `terminated` after rollbacks); sets its expiry. */
  finish(fence: Fence, result: FinishResult, now: number): Promise<void>;

  /** Appends chunks of a stream result of step `key` (in order, after any already stored). */
  appendStreamChunks(fence: Fence, key: string, chunks: Uint8Array[], now: number): Promise<void>;
  /** Deletes the stored chunks of step `key` (a failed or timed-out attempt's partial stream). */
  discardStreamChunks(fence: Fence, key: string, now: number): Promise<void>;
  loadStreamChunks(seq: number, key: string): Promise<Uint8Array[]>;
  /** Bytes an instance holds in step values and stream chunks (for the per-instance state limit). */
  stateBytes(seq: number): Promise<number>;

  /**
   * Buffers an event (FIFO per type) and wakes the instance if it waits for that type. A store
   * whose claim does not share the commit tells the instance's seq (`woken`) when the event made
   * it due, so that the caller can claim just it (ClaimRequest.woken).
   */
  sendEvent(
    workflow: string,
    id: string,
    event: { type: string; payload: Uint8Array },
    now: number,
  ): Promise<SendEventResult>;
  /** queued/waiting → paused; running → waitingForPause; otherwise unchanged. */
  requestPause(
    workflow: string,
    id: string,
    now: number,
  ): Promise<ControlResult<"paused" | "pausing" | "noop">>;
  /** paused → queued (timers shifted by the paused time); waitingForPause → running; otherwise no-op. */
  resume(workflow: string, id: string, now: number): Promise<ControlResult<"resumed" | "unpaused" | "noop">>;
  /**
   * Any non-finished status → terminated (epoch bumped, so a live runner's writes are refused).
   * With `rollback`, the instance instead becomes `running` with `rollbackPending`, claimable at
   * once, so that an activation runs its rollback handlers and then finishes it as terminated.
   */
  terminate(
    workflow: string,
    id: string,
    now: number,
    options?: { rollback?: boolean },
  ): Promise<ControlResult<"terminated" | "finished" | "rolling_back">>;
  /** Erases journal, inbox and log and queues the instance again with the same params. */
  restart(workflow: string, id: string, now: number): Promise<ControlResult<"restarted">>;
  /**
   * Restarts from a step: journal records that started before the target (kind, name, count)
   * are kept, the target and every record started after it are erased (events their waits took
   * are buffered again), and the instance is queued again. `step_not_found` if there is no target.
   */
  restartFrom(
    workflow: string,
    id: string,
    target: { kind: StepKind; name: string; count: number },
    now: number,
  ): Promise<ControlResult<"restarted" | "step_not_found">>;
  /**
   * Sets the instance's affinity (null clears it). A lease held by another owner is revoked at
   * once (epoch bumped, lease expired, `revoked`): that holder's writes are refused, and the
   * instance is claimable by `owner` alone, as an instance whose holder died.
   */
  setAffinity(
    workflow: string,
    id: string,
    owner: string | null,
    now: number,
  ): Promise<ControlResult<"set" | "revoked">>;
  /**
   * Makes a `waiting` instance due at once, as if its timer fired: the next claim replays it and
   * it looks again at what it waits for (it hibernates again if nothing changed). Any other
   * status is left as it is (`noop`).
   */
  wake(workflow: string, id: string, now: number): Promise<ControlResult<"woken" | "noop">>;
  /** Deletes instances with their journal, inbox and log, whatever their status. */
  deleteInstances(
    workflow: string,
    ids: string[],
    now: number,
  ): Promise<{ id: string; outcome: "deleted" | "not_found" }[]>;

  /**
   * Cron schedules: moves the mark of (workflow, cron) to `scheduledTime` if it is later than the
   * stored one, and then creates `instance` (if given, skipping an existing id), atomically.
   * Returns whether the mark moved (false: another process or an earlier run already fired it).
   */
  advanceSchedule(
    workflow: string,
    cron: string,
    scheduledTime: number,
    instance: NewInstance | null,
    now: number,
  ): Promise<boolean>;
  /** The last scheduled time fired (or recorded at first start) for (workflow, cron). */
  scheduleMark(workflow: string, cron: string): Promise<number | null>;

  /**
   * Optional, for stores shared by several processes: delivers signals caused by other
   * processes (and possibly this one; handlers are idempotent). Returns an unsubscribe function.
   */
  subscribe?(listener: (signal: StoreSignal) => void): () => void;
  /**
   * Optional, for stores shared by several processes: tells the other processes' subscribers of
   * a change this process made (a `changes` signal). Best effort and batched: a lost one is
   * found again by a change feed's catch-up.
   */
  publishChange?(change: PublishedChange): void;

  /**
   * A cheap round trip to the database (health checks): reads the schema version. Rejects within
   * about `timeoutMs` with `storage.unavailable` when the database does not answer in time or
   * cannot be reached, and with `engine.closed` once the store is closed.
   */
  ping(timeoutMs: number): Promise<StorePing>;

  /**
   * Optional: reports the store's commits and round trips to `observer` from now on (metrics).
   * One observer at a time; a later call replaces it.
   */
  observe?(observer: StoreObserver): void;
  /** Optional, for stores on a connection pool: its use now (read when metrics are scraped). */
  poolUse?(): PoolUse;

  readLog(seq: number): Promise<LogEntry[]>;
  /** Deletes up to `limit` finished instances whose retention ended; returns which. */
  deleteExpired(now: number, limit: number): Promise<{ workflow: string; id: string }[]>;

  close(): Promise<void>;
}
