// The types of Cloudflare's Workflows API, kept identical in shape so that code
// written against `cloudflare:workers` type-checks against Cairn unchanged.

/** A duration: milliseconds, or `"<n> <unit>"` with unit second|minute|hour|day|week|month|year (plural allowed). */
export type WorkflowDurationLabel = "second" | "minute" | "hour" | "day" | "week" | "month" | "year";
export type WorkflowSleepDuration = `${number} ${WorkflowDurationLabel}${"s" | ""}` | number;
export type WorkflowDelayDuration = WorkflowSleepDuration;
export type WorkflowTimeoutDuration = WorkflowSleepDuration;
export type WorkflowRetentionDuration = WorkflowSleepDuration;
export type WorkflowBackoff = "constant" | "linear" | "exponential";

/** A retry delay computed at failure time from the attempt's context and error. */
export type WorkflowDelayFunction = (input: {
  ctx: WorkflowStepContext;
  error: Error;
}) => WorkflowDelayDuration | Promise<WorkflowDelayDuration>;

export type WorkflowStepConfig = {
  retries?: {
    limit: number;
    delay: WorkflowDelayDuration | number | WorkflowDelayFunction;
    backoff?: WorkflowBackoff;
  };
  timeout?: WorkflowTimeoutDuration | number;
  sensitive?: "output";
};

/** The config a step actually runs with: defaults merged in (a delay function is omitted). */
export type ResolvedStepConfig = {
  retries: { limit: number; delay?: WorkflowDelayDuration | number; backoff: WorkflowBackoff };
  timeout: WorkflowTimeoutDuration | number;
  sensitive?: "output";
};

/** The argument of a `step.do` callback. */
export type WorkflowStepContext = {
  step: { name: string; count: number };
  attempt: number;
  config: ResolvedStepConfig;
};

export type WorkflowEvent<T> = {
  payload: Readonly<T>;
  timestamp: Date;
  instanceId: string;
  workflowName: string;
  schedule?: { cron: string; scheduledTime: number };
};

export type WorkflowStepEvent<T> = {
  payload: Readonly<T>;
  timestamp: Date;
  type: string;
  sensitive?: "output";
};

export type WorkflowRollbackHandler<T> = (input: {
  ctx: WorkflowStepContext;
  error: Error | undefined;
  output: T | undefined;
  stepName: string;
}) => Promise<void> | void;

export type WorkflowRollbackOptions<T> = {
  rollback?: WorkflowRollbackHandler<T>;
  rollbackConfig?: Pick<WorkflowStepConfig, "retries" | "timeout">;
};

export type Serializable<T> = T;

/** The second argument of `run`: the durable operations. */
export interface WorkflowStep {
  do<T>(
    name: string,
    callback: (ctx: WorkflowStepContext) => Promise<T>,
    rollbackOptions?: WorkflowRollbackOptions<T>,
  ): Promise<T>;
  do<T>(
    name: string,
    config: WorkflowStepConfig,
    callback: (ctx: WorkflowStepContext) => Promise<T>,
    rollbackOptions?: WorkflowRollbackOptions<T>,
  ): Promise<T>;
  sleep(name: string, duration: WorkflowSleepDuration): Promise<void>;
  sleepUntil(name: string, timestamp: Date | number): Promise<void>;
  waitForEvent<T = unknown>(
    name: string,
    options: { type: string; timeout?: WorkflowTimeoutDuration | number },
  ): Promise<WorkflowStepEvent<T>>;
}

export type InstanceStatusName =
  | "queued"
  | "running"
  | "paused"
  | "errored"
  | "terminated"
  | "complete"
  | "waiting"
  | "waitingForPause"
  | "unknown";

export interface InstanceStatus {
  status: InstanceStatusName;
  error?: { name: string; message: string };
  output?: unknown;
}

export type WorkflowLocationHint =
  | "wnam"
  | "enam"
  | "sam"
  | "weur"
  | "eeur"
  | "apac"
  | "apac-ne"
  | "apac-se"
  | "oc"
  | "afr"
  | "me";

export interface WorkflowInstanceCreateOptions<PARAMS = unknown> {
  id?: string;
  params?: PARAMS;
  retention?: {
    successRetention?: WorkflowRetentionDuration;
    errorRetention?: WorkflowRetentionDuration;
  };
  /** Accepted for compatibility and ignored: Cairn runs where you run it. */
  locationHint?: WorkflowLocationHint;
}

export type WorkflowRestartOptions = {
  from?: { name: string; count?: number; type?: "do" | "sleep" | "waitForEvent" };
};

/** A handle on one instance (`await binding.get(id)`). */
export interface WorkflowInstance {
  readonly id: string;
  status(): Promise<InstanceStatus>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  terminate(options?: { rollback?: boolean }): Promise<void>;
  restart(options?: WorkflowRestartOptions): Promise<void>;
  sendEvent(options: { type: string; payload: unknown }): Promise<void>;
  /** Deletes the instance and everything stored for it; a running instance stops. */
  delete(): Promise<void>;
}

/** The binding (`env.MY_WORKFLOW`). */
export interface Workflow<PARAMS = unknown> {
  get(id: string): Promise<WorkflowInstance>;
  create(options?: WorkflowInstanceCreateOptions<PARAMS>): Promise<WorkflowInstance>;
  createBatch(batch: WorkflowInstanceCreateOptions<PARAMS>[]): Promise<WorkflowInstance[]>;
  /** Deletes up to 100 instances; one result per input position, missing ids as errors. */
  deleteBatch(instanceIds: string[]): Promise<WorkflowDeleteBatchResult>;
}

/**
 * What `deleteBatch` answers. Each error's `message` is as Cloudflare's (the bare code for a
 * missing id); `detail` is Cairn's, naming the id and the workflow.
 */
export type WorkflowDeleteBatchResult = {
  deleted: { id: string }[];
  errors: { id: string; code: string; message: string; detail: string }[];
};

/** What Workers give a handler as `ctx`; workflows see it as `this.ctx`. */
export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
  readonly props: unknown;
}
