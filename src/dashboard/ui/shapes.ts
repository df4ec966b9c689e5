// The JSON shapes the dashboard reads from Cairn's own routes (`/cairn/api`): snake_case, times
// as ISO strings. Written here from the server's documented answers; the browser code imports
// nothing of the server.

export type Status =
  | "queued"
  | "running"
  | "paused"
  | "errored"
  | "terminated"
  | "complete"
  | "waiting"
  | "waitingForPause";

export const STATUSES: Status[] = [
  "queued",
  "running",
  "waiting",
  "paused",
  "waitingForPause",
  "complete",
  "errored",
  "terminated",
];

export type Counts = Record<Status, number>;

export type Workflow = {
  name: string;
  binding: string;
  class_name: string | null;
  counts: Counts;
  total: number;
  /** Running instances with no progress for 5 minutes (absent when none). */
  stalled?: number;
};

export type InstanceRow = {
  id: string;
  workflow: string;
  status: Status;
  trigger: string;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  updated_at: string;
};

export type ListInfo = { next_cursor: string | null; total: number; counts: Counts; per_page: number };

export type Truncated = { bytes: number; preview: string };

export type ErrorShape = { name: string; message: string; [key: string]: unknown };

export type Attempt = {
  attempt: number;
  started_at: string;
  ended_at: string | null;
  success: boolean | null;
  error: ErrorShape | null;
  retry_delay_ms: number | null;
};

export type StepType = "do" | "sleep" | "waitForEvent" | "rollback" | "termination";

export type Step = {
  key: string;
  type: StepType;
  name: string;
  count: number;
  status: "running" | "retrying" | "waiting" | "succeeded" | "failed";
  started_at: string;
  ended_at: string | null;
  config: unknown;
  attempts: Attempt[];
  output?: unknown;
  output_truncated?: Truncated;
  stream?: { bytes: number; preview: string } | boolean;
  error: ErrorShape | null;
  wake_at: string | null;
  event_type?: string;
  event?: { type: string; payload?: unknown; payload_truncated?: Truncated; sent_at: string } | null;
  timed_out?: boolean;
  rollback_of?: string;
};

export type InstanceDetail = InstanceRow & {
  params?: unknown;
  params_truncated?: Truncated;
  output?: unknown;
  output_truncated?: Truncated;
  error?: ErrorShape;
  wake_at?: string | null;
  waiting_for?: string[];
  paused_at?: string;
  /** A running instance with no progress for 5 minutes and nothing the engine waits for. */
  no_progress?: { since: string | null; for_ms: number };
  rollback: { reason: "failure" | "terminate"; state: "running" | "complete" | "failed" } | null;
  steps: Step[];
};

export type LogEntry = {
  seq: number;
  at: string;
  type: string;
  step_key: string | null;
  attempt: number | null;
  data: unknown;
};

export type ActivityBucket = { minute: string; created: number; finished: number };

/** Statuses an instance can still leave by itself. */
export const LIVE_STATUSES: Status[] = ["queued", "running", "waiting", "waitingForPause"];
