// The public shapes of `cairn.inspect`: what the HTTP API, the CLI, the dashboard and test
// helpers read about workflows, instances and their steps. Times are milliseconds since the
// epoch; values are decoded (a sensitive step's output reads "[REDACTED]").

import type { InstanceChange } from "../engine/changes.js";
import type { ErrorRecord, LogEntry, StoredStatus, TriggerSource } from "../storage/types.js";

export type { ErrorRecord, LogEntry, StoredStatus, TriggerSource };

/** Instances by status; statuses with none are left out. */
export type StatusCounts = Partial<Record<StoredStatus, number>>;

/** One workflow this Cairn knows, with its instances counted by status. */
export type WorkflowSummary = {
  name: string;
  /** The binding name workflows and `env` use (`MY_WORKFLOW`). */
  binding: string;
  /** The class's name, or null for a workflow declared by name only (an operator process). */
  className: string | null;
  counts: StatusCounts;
  /** All instances of the workflow. */
  total: number;
  /** Running instances of this process that made no progress for 5 minutes (absent when none). */
  stalled?: number;
};

/** One instance as a list shows it. */
export type InstanceSummary = {
  workflow: string;
  id: string;
  status: StoredStatus;
  /** What created it: the binding, the HTTP API, a cron schedule or an event. */
  trigger: TriggerSource;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  /** The last time its row changed (status, lease, wake-up). */
  updatedAt: number;
};

export type ListInstancesOptions = {
  status?: StoredStatus;
  /** Created at or after (inclusive). */
  createdFrom?: Date | number;
  /** Created at or before (inclusive). */
  createdTo?: Date | number;
  /** Ids that start with this text. */
  idPrefix?: string;
  /** Page size, 1 to 1000; default 25. */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
  /** A numbered page (1-based) of `limit` instances, for tools that page by number; not with `cursor`. */
  page?: number;
  /** Newest first (default) or oldest first. */
  order?: "desc" | "asc";
};

export type InstancePage = {
  instances: InstanceSummary[];
  /** Pass it back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
  /** Instances matching the filter (every page together). */
  total: number;
  /** The workflow's instances by status, whatever the filter. */
  counts: StatusCounts;
};

export type ActivityOptions = {
  /** The first minute counted: the minute holding this time. Default: 59 minutes before `to`'s. */
  from?: Date | number;
  /** The last minute counted: the minute holding this time (inclusive). Default: now. */
  to?: Date | number;
};

/** A workflow's instances created and finished in one UTC minute. */
export type ActivityBucket = {
  /** The minute's start, in ms since the epoch. */
  minute: number;
  /** Instances created in that minute. */
  created: number;
  /** Instances that ended (complete, errored or terminated) in that minute. */
  finished: number;
};

/**
 * Whether a read shows the outputs of steps declared `sensitive: "output"`. They read
 * "[REDACTED]" unless `includeSensitive` is true: only an explicit request (an export made with
 * `--include-sensitive`) asks for that.
 */
export type RevealOptions = { includeSensitive?: boolean };

/** One attempt of a `step.do` or a rollback handler. */
export type AttemptView = {
  attempt: number;
  startedAt: number;
  endedAt: number | null;
  /** True or false once it ended; null while it runs. */
  success: boolean | null;
  error: ErrorRecord | null;
  /** The wait before the next attempt, when this one failed and another follows. */
  retryDelayMs: number | null;
};

export type StepType = "do" | "sleep" | "waitForEvent" | "rollback" | "termination";

/** One step of an instance, in start order. */
export type StepView = {
  /** The journal key: kind, occurrence and name (`do:1:charge`); rollbacks `rollback:<step key>`. */
  key: string;
  type: StepType;
  name: string;
  /** Which call of that name this is (1 for the first). */
  count: number;
  status: "running" | "retrying" | "waiting" | "succeeded" | "failed";
  startedAt: number;
  endedAt: number | null;
  /** The resolved config (retries, timeout, sensitive) of a `do` or rollback step. */
  config: unknown;
  attempts: AttemptView[];
  /** The decoded result of a finished `do` step ("[REDACTED]" when sensitive); undefined otherwise. */
  output?: unknown;
  /** The result is a stream: read its bytes with `inspect.streamResult`. */
  stream?: boolean;
  error: ErrorRecord | null;
  /** A sleep's wake time, a wait's deadline, or when a retrying step's next attempt starts. */
  wakeAt: number | null;
  /** waitForEvent: the event type awaited. */
  eventType?: string;
  /** waitForEvent: the event received. */
  event?: { type: string; payload: unknown; sentAt: number } | null;
  /** waitForEvent: it ran out of time. */
  timedOut?: boolean;
  /** Rollback: the key of the step whose handler this is. */
  rollbackOf?: string;
};

/** Where an instance's rollback handlers stand (after a failure or `terminate({ rollback: true })`). */
export type RollbackState = {
  reason: "failure" | "terminate";
  state: "running" | "complete" | "failed";
};

/** One instance in full. */
export type InstanceDetail = InstanceSummary & {
  params: unknown;
  /** The output of a complete instance. */
  output?: unknown;
  /** The error of an errored instance. */
  error?: ErrorRecord;
  /** A waiting instance: when it wakes (null: only an event wakes it) and the event types it waits for. */
  wakeAt?: number | null;
  waitingFor?: string[];
  pausedAt?: number;
  /**
   * A running instance of this process that made no progress for 5 minutes with nothing to wait
   * for (its run awaits something outside any step): when it last made progress, and how long ago.
   */
  noProgress?: { since: number; forMs: number };
  rollback: RollbackState | null;
  steps: StepView[];
};

/** A change as a watcher receives it, with the cursor to pass back as `since` after a reconnect. */
export type WatchedChange =
  | (InstanceChange & { cursor: string })
  | {
      /** The watcher was away too long to catch up: reload what it shows. */
      type: "resync";
      at: number;
      cursor: string;
    };

export type WatchOptions = {
  workflow?: string;
  /** Only this instance (with `workflow`). */
  id?: string;
  /** A cursor from an earlier change: changes since then are delivered first. */
  since?: string;
};

export type Watch = {
  /** Resolves once the catch-up (if any) was delivered; live changes follow in order. */
  ready: Promise<void>;
  close(): void;
};
