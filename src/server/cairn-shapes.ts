// Cairn's own JSON shapes for `/cairn/api`: workflows, list items and instance details as
// `cairn.inspect` holds them (step keys, attempts with their retry delays, wake times, awaited
// event types, rollback state), which Cloudflare's shapes drop. Snake case, ISO times; values
// longer than a caller's limit become a size and a preview, so a dashboard gets what it shows.

import type {
  AttemptView,
  ErrorRecord,
  InstanceDetail,
  InstanceSummary,
  RollbackState,
  StepView,
  StoredStatus,
  TriggerSource,
  WorkflowSummary,
} from "../inspect/types.js";
import { iso, zeroFilled } from "./cloudflare-shapes.js";

export type CairnWorkflow = {
  name: string;
  binding: string;
  class_name: string | null;
  /** Every one of the eight statuses, zero-filled. */
  counts: Record<string, number>;
  total: number;
  /** Running instances of this process with no progress for 5 minutes (absent when none). */
  stalled?: number;
};

export type CairnListItem = {
  id: string;
  workflow: string;
  status: StoredStatus;
  trigger: TriggerSource;
  created_at: string | null;
  started_at: string | null;
  ended_at: string | null;
  updated_at: string | null;
};

/** A value left out for its size: its JSON's length in UTF-8 bytes and its first characters. */
export type Truncated = { bytes: number; preview: string };

/** A stream step's result: its length in bytes and its first bytes decoded as UTF-8. */
export type StreamSummary = { bytes: number; preview: string };

/** `{<field>: value}`, or `{<field>_truncated}` in its place when the value is too long. */
type Sized<F extends string> = { [K in F]?: unknown } & { [K in `${F}_truncated`]?: Truncated };

export type CairnError = ErrorRecord & Record<string, unknown>;

export type CairnAttempt = {
  attempt: number;
  started_at: string | null;
  ended_at: string | null;
  success: boolean | null;
  error: CairnError | null;
  retry_delay_ms: number | null;
};

export type CairnEvent = Sized<"payload"> & { type: string; sent_at: string | null };

export type CairnStep = Sized<"output"> & {
  key: string;
  type: StepView["type"];
  name: string;
  count: number;
  status: StepView["status"];
  started_at: string | null;
  ended_at: string | null;
  config: unknown;
  attempts: CairnAttempt[];
  stream?: StreamSummary;
  error: CairnError | null;
  wake_at: string | null;
  event_type?: string;
  event?: CairnEvent | null;
  timed_out?: boolean;
  rollback_of?: string;
};

export type CairnInstance = CairnListItem &
  Sized<"params"> &
  Sized<"output"> & {
    error?: CairnError;
    wake_at?: string | null;
    waiting_for?: string[];
    paused_at?: string | null;
    /** A running instance with no progress for 5 minutes and nothing to wait for: since when, how long. */
    no_progress?: { since: string | null; for_ms: number };
    rollback: RollbackState | null;
    steps: CairnStep[];
  };

export type DetailOptions = {
  /** Values whose JSON text is longer than this many characters are cut to a preview. */
  outputLimit?: number | undefined;
  /** Each stream step's summary, by step key (the route reads the bytes). */
  streams?: ReadonlyMap<string, StreamSummary>;
};

export function cairnWorkflow(w: WorkflowSummary): CairnWorkflow {
  return {
    name: w.name,
    binding: w.binding,
    class_name: w.className ?? null,
    counts: zeroFilled(w.counts),
    total: w.total,
    ...(w.stalled !== undefined ? { stalled: w.stalled } : {}),
  };
}

export function cairnListItem(i: InstanceSummary): CairnListItem {
  return {
    id: i.id,
    workflow: i.workflow,
    status: i.status,
    trigger: i.trigger,
    created_at: iso(i.createdAt),
    started_at: iso(i.startedAt),
    ended_at: iso(i.endedAt),
    updated_at: iso(i.updatedAt),
  };
}

/** The first `limit` characters, one fewer when the cut would split a surrogate pair. */
function cut(text: string, limit: number): string {
  const code = text.charCodeAt(limit - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit);
}

/** `value` under `field`, or under `<field>_truncated` as a size and preview when too long. */
function sized<F extends string>(field: F, value: unknown, limit: number | undefined): Sized<F> {
  if (value === undefined) return {};
  if (limit !== undefined) {
    const text = JSON.stringify(value);
    if (text !== undefined && text.length > limit) {
      const truncated: Truncated = { bytes: Buffer.byteLength(text), preview: cut(text, limit) };
      return { [`${field}_truncated`]: truncated } as Sized<F>;
    }
  }
  return { [field]: value } as Sized<F>;
}

function errorShape(error: ErrorRecord | null): CairnError | null {
  return error ? { ...error } : null;
}

function attemptShape(a: AttemptView): CairnAttempt {
  return {
    attempt: a.attempt,
    started_at: iso(a.startedAt),
    ended_at: iso(a.endedAt),
    success: a.success,
    error: errorShape(a.error),
    retry_delay_ms: a.retryDelayMs,
  };
}

function stepShape(step: StepView, options: DetailOptions): CairnStep {
  const stream = step.stream ? options.streams?.get(step.key) : undefined;
  const event = step.event;
  return {
    key: step.key,
    type: step.type,
    name: step.name,
    count: step.count,
    status: step.status,
    started_at: iso(step.startedAt),
    ended_at: iso(step.endedAt),
    config: step.config ?? null,
    attempts: step.attempts.map(attemptShape),
    ...sized("output", step.output, options.outputLimit),
    ...(stream ? { stream } : {}),
    error: errorShape(step.error),
    wake_at: iso(step.wakeAt),
    ...(step.eventType !== undefined ? { event_type: step.eventType } : {}),
    ...(event !== undefined
      ? {
          event: event && {
            type: event.type,
            ...sized("payload", event.payload, options.outputLimit),
            sent_at: iso(event.sentAt),
          },
        }
      : {}),
    ...(step.timedOut !== undefined ? { timed_out: step.timedOut } : {}),
    ...(step.rollbackOf !== undefined ? { rollback_of: step.rollbackOf } : {}),
  };
}

/** An instance in full; fields inspect leaves undefined stay absent. */
export function cairnInstance(d: InstanceDetail, options: DetailOptions = {}): CairnInstance {
  return {
    ...cairnListItem(d),
    ...sized("params", d.params ?? null, options.outputLimit),
    ...sized("output", d.output, options.outputLimit),
    ...(d.error !== undefined ? { error: { ...d.error } } : {}),
    ...(d.wakeAt !== undefined ? { wake_at: iso(d.wakeAt) } : {}),
    ...(d.waitingFor !== undefined ? { waiting_for: [...d.waitingFor] } : {}),
    ...(d.pausedAt !== undefined ? { paused_at: iso(d.pausedAt) } : {}),
    ...(d.noProgress !== undefined
      ? { no_progress: { since: iso(d.noProgress.since), for_ms: d.noProgress.forMs } }
      : {}),
    rollback: d.rollback ?? null,
    steps: d.steps.map((s) => stepShape(s, options)),
  };
}
