// The shapes the CLI reads from Cloudflare's REST v4 workflow routes (as Cairn's server answers
// them). Declared here rather than imported from the engine: the CLI knows the server only
// through HTTP, so it works against any server that speaks these routes. Fields the server may
// leave out are optional, and the renderers cope without them.

/** Every answer: Cloudflare's v4 envelope. */
export type Envelope<T> = {
  success: boolean;
  errors: ApiErrorItem[];
  messages: unknown[];
  result: T;
  result_info?: ResultInfo;
};

export type ApiErrorItem = { code: number; message: string; cairn_code?: string };

export type ResultInfo = {
  page?: number;
  per_page?: number;
  count?: number;
  total_count?: number;
  total_pages?: number;
  /** Instance lists: present when there is a next page. */
  cursor?: string;
  /** Instance lists: the workflow's instances by status, whatever the filter. */
  status_counts?: Record<string, number>;
};

export type WorkflowInfo = {
  id?: string;
  name: string;
  script_name?: string | null;
  class_name?: string | null;
  created_on?: string | null;
  modified_on?: string | null;
  triggered_on?: string | null;
  instances?: Record<string, number>;
};

export type CreatedInstance = { id: string; status?: string; version_id?: string; workflow_id?: string };

export type InstanceListItem = {
  id: string;
  status?: string;
  version_id?: string;
  workflow_id?: string;
  created_on?: string | null;
  modified_on?: string | null;
  started_on?: string | null;
  ended_on?: string | null;
  trigger_source?: string | null;
};

export type ErrorInfo = { name?: string; message?: string } | null;

export type StepAttempt = {
  start?: string | null;
  end?: string | null;
  success?: boolean | null;
  error?: ErrorInfo;
};

export type DoStep = {
  type: "step";
  name: string;
  start?: string | null;
  end?: string | null;
  success?: boolean | null;
  output?: unknown;
  config?: { retries?: { limit?: number; delay?: unknown; backoff?: string }; timeout?: unknown } | null;
  attempts?: StepAttempt[];
  /** Cairn: when a retrying step's next attempt starts. */
  retry_at?: string | null;
  /** Cairn: a rollback handler, as a step named "rollback: <name>", with its step's key. */
  rollback_of?: string | null;
};

export type SleepStep = {
  type: "sleep";
  name: string;
  start?: string | null;
  end?: string | null;
  finished?: boolean;
  error?: ErrorInfo;
};

export type WaitStep = {
  type: "waitForEvent";
  name: string;
  start?: string | null;
  end?: string | null;
  finished?: boolean;
  error?: ErrorInfo;
  output?: { type?: string; payload?: unknown; timestamp?: string } | null;
};

export type TerminationStep = {
  type: "termination";
  trigger?: { source?: string };
  start?: string | null;
  end?: string | null;
};

export type InstanceStep = DoStep | SleepStep | WaitStep | TerminationStep;

export type InstanceDetails = {
  id?: string;
  status?: string;
  params?: unknown;
  trigger?: { source?: string };
  versionId?: string | null;
  queued?: string | null;
  start?: string | null;
  end?: string | null;
  success?: boolean | null;
  output?: unknown;
  error?: ErrorInfo;
  step_count?: number;
  steps?: InstanceStep[];
  /** Cairn, a waiting instance: when it wakes (null: only an event wakes it) and the events it waits for. */
  wake_at?: string | null;
  waiting_for?: string[];
  /** Cairn: where the rollback handlers stand after a failure or a terminate with rollback. */
  rollback?: { reason?: string; state?: string } | null;
};

export type StatusChange = { status?: string; timestamp?: string };

export type StatusAction = "pause" | "resume" | "terminate" | "restart";

export type StatusChangeBody = {
  status: StatusAction;
  rollback?: true;
  from?: { name: string; count?: number; type?: "do" | "sleep" | "waitForEvent" };
};

export type TerminateAllResult = { status?: "ok" | "already_running" | string };

export type BatchDeleteResult = {
  deleted?: { id: string }[];
  errors?: { id: string; code?: number | string; message?: string; cairn_code?: string }[];
};

/** Cairn's own view of one step (`/cairn/api/workflows/:name/instances/:id`). */
export type CairnStepDetails = {
  key: string;
  type: "do" | "sleep" | "waitForEvent" | "rollback" | "termination" | string;
  name: string;
  count: number;
  status: "running" | "retrying" | "waiting" | "succeeded" | "failed" | string;
  started_at?: string | null;
  ended_at?: string | null;
  config?: unknown;
  attempts?: unknown[];
  output?: unknown;
  /** A stream result: its size and first bytes (the bytes come from the step output route). */
  stream?: { bytes: number; preview?: string };
  error?: (ErrorInfo & Record<string, unknown>) | null;
  wake_at?: string | null;
  event_type?: string;
  event?: { type: string; payload?: unknown; sent_at?: string | null } | null;
  timed_out?: boolean;
  rollback_of?: string;
};

/** Cairn's own view of one instance: params, status, output or error, steps with their keys. */
export type CairnInstanceDetails = {
  id: string;
  workflow: string;
  status: string;
  trigger?: string;
  created_at?: string | null;
  started_at?: string | null;
  ended_at?: string | null;
  updated_at?: string | null;
  params?: unknown;
  output?: unknown;
  error?: ErrorInfo & Record<string, unknown>;
  wake_at?: string | null;
  waiting_for?: string[];
  paused_at?: string | null;
  rollback?: { reason?: string; state?: string } | null;
  steps: CairnStepDetails[];
};
