// Builds an instance's steps as people read them: the journal gives each step's state, config
// and value; the event log gives each attempt's start, end and error. A sensitive step's output
// is replaced before it leaves this module, and a terminated instance ends with a termination.

import { isSensitive, REDACTED } from "../engine/read-views.js";
import { decodeValue } from "../engine/values.js";
import type { InstanceRecord, LogEntry, StepRecord } from "../storage/types.js";
import type { AttemptView, RevealOptions, RollbackState, StepView } from "./types.js";

const ATTEMPT_START = new Set(["ATTEMPT_START", "ROLLBACK_ATTEMPT_START"]);
const ATTEMPT_SUCCESS = new Set(["ATTEMPT_SUCCESS", "ROLLBACK_ATTEMPT_SUCCESS"]);
const ATTEMPT_FAILURE = new Set(["ATTEMPT_FAILURE", "ROLLBACK_ATTEMPT_FAILURE"]);

/**
 * The steps of one instance in start order, each with its attempts. Sensitive outputs read
 * "[REDACTED]" unless `reveal.includeSensitive` is true (asked for explicitly, by an export).
 */
export function stepViews(
  instance: InstanceRecord,
  journal: StepRecord[],
  log: LogEntry[],
  reveal: RevealOptions = {},
): StepView[] {
  const attempts = attemptsByStep(log);
  const redact = reveal.includeSensitive !== true;
  const steps = [...journal]
    .sort((a, b) => (a.startOrder ?? 0) - (b.startOrder ?? 0) || a.startedAt - b.startedAt)
    .map((record) => stepView(record, attempts.get(record.key) ?? [], redact));
  if (instance.status === "terminated") {
    const at = lastOf(log, "WORKFLOW_TERMINATED")?.at ?? instance.endedAt;
    steps.push({
      key: "termination",
      type: "termination",
      name: "termination",
      count: 1,
      status: "succeeded",
      startedAt: at,
      endedAt: at,
      config: null,
      attempts: [],
      error: null,
      wakeAt: null,
    });
  }
  return steps;
}

function stepView(record: StepRecord, attempts: AttemptView[], redact: boolean): StepView {
  const view: StepView = {
    key: record.key,
    type: record.kind,
    name: record.name,
    count: record.count,
    status: record.status,
    startedAt: record.startedAt,
    endedAt: record.status === "succeeded" || record.status === "failed" ? record.endedAt : null,
    config: record.config,
    attempts,
    error: record.status === "failed" || record.status === "retrying" ? record.error : null,
    wakeAt: record.status === "waiting" || record.status === "retrying" ? record.wakeAt : null,
  };
  if (record.kind === "rollback") view.rollbackOf = record.key.slice("rollback:".length);
  if (record.kind === "waitForEvent") return waitView(view, record);
  if (record.status === "succeeded" && record.kind !== "sleep") {
    if (redact && isSensitive(record)) view.output = REDACTED;
    else if (record.stream) view.stream = true;
    else view.output = decodeValue(record.value);
  }
  return view;
}

function waitView(view: StepView, record: StepRecord): StepView {
  if (record.status === "waiting" && record.eventType) view.eventType = record.eventType;
  if (record.status === "succeeded") {
    view.event = {
      type: record.event?.type ?? "",
      payload: decodeValue(record.value),
      sentAt: record.event?.sentAt ?? record.endedAt,
    };
    if (record.event) view.eventType = record.event.type;
  } else {
    view.event = null;
  }
  if (record.status === "failed") view.timedOut = record.error.name === "WorkflowTimeoutError";
  return view;
}

/** Pairs each attempt's start with its end, by step key and attempt number. */
function attemptsByStep(log: LogEntry[]): Map<string, AttemptView[]> {
  const byStep = new Map<string, AttemptView[]>();
  for (const entry of log) {
    if (entry.stepKey === null || entry.attempt === null) continue;
    let list = byStep.get(entry.stepKey);
    if (ATTEMPT_START.has(entry.type)) {
      if (!list) {
        list = [];
        byStep.set(entry.stepKey, list);
      }
      list.push({
        attempt: entry.attempt,
        startedAt: entry.at,
        endedAt: null,
        success: null,
        error: null,
        retryDelayMs: null,
      });
      continue;
    }
    const success = ATTEMPT_SUCCESS.has(entry.type);
    if (!success && !ATTEMPT_FAILURE.has(entry.type)) continue;
    const attempt = list?.findLast((a) => a.attempt === entry.attempt);
    if (!attempt) continue;
    attempt.endedAt = entry.at;
    attempt.success = success;
    const data = entry.data as { error?: { name: string; message: string }; retryDelayMs?: number } | null;
    if (data?.error) attempt.error = data.error;
    if (typeof data?.retryDelayMs === "number") attempt.retryDelayMs = data.retryDelayMs;
  }
  return byStep;
}

/** The instance's rollback state, from the last ROLLBACK_* entries of its log. */
export function rollbackState(instance: InstanceRecord, log: LogEntry[]): RollbackState | null {
  const start = lastOf(log, "ROLLBACK_START");
  if (!start && !instance.rollbackPending) return null;
  const reason = (start?.data as { reason?: string } | null)?.reason === "failure" ? "failure" : "terminate";
  const ended = log.findLast(
    (e) => (e.type === "ROLLBACK_COMPLETE" || e.type === "ROLLBACK_FAILED") && (!start || e.seq > start.seq),
  );
  if (!ended) return { reason, state: "running" };
  return { reason, state: ended.type === "ROLLBACK_COMPLETE" ? "complete" : "failed" };
}

function lastOf(log: LogEntry[], type: LogEntry["type"]): LogEntry | undefined {
  return log.findLast((e) => e.type === type);
}
