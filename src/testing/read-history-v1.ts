// Reads the first export format, "cairn.instance-history/1": its `instance` is the REST API's
// details (Cloudflare's step shape, names with their count, `charge-1`). It kept no stream
// bytes, so a history holding a stream result is refused with a message asking for a new export.

import { HistoryError } from "./history-error.js";
import {
  array,
  errorRecord,
  type Json,
  object,
  optionalString,
  refuseTruncated,
  string,
  time,
} from "./history-fields.js";
import {
  isSensitiveConfig,
  REDACTED,
  type RecordedHistory,
  type RecordedOutcome,
  type RecordedStep,
  type ReplayStepType,
  stepKey,
} from "./recorded-history.js";

/** What the REST shape shows for a stream result instead of its bytes. */
const STREAM_OUTPUT = "[ReadableStream]";

const TYPES: Record<string, ReplayStepType> = { step: "do", sleep: "sleep", waitForEvent: "waitForEvent" };

export function readHistoryV1(doc: Json): RecordedHistory {
  const instance = object(doc.instance, "instance");
  refuseTruncated(instance, "params", "instance");
  const steps: RecordedStep[] = [];
  const seen = new Set<string>();
  array(instance.steps, "instance.steps").forEach((value, i) => {
    const path = `instance.steps[${i}]`;
    const raw = object(value, path);
    const shown = string(raw.type, `${path}.type`);
    if (shown === "termination" || raw.rollback_of !== undefined) return;
    const type = TYPES[shown];
    if (!type) {
      throw new HistoryError(
        "history.invalid",
        `${path}.type: expected step, sleep, waitForEvent or termination, got ${JSON.stringify(shown)}`,
      );
    }
    const fullName = string(raw.name, `${path}.name`);
    const match = /^(.*)-(\d+)$/s.exec(fullName);
    if (!match) {
      throw new HistoryError(
        "history.invalid",
        `${path}.name: expected a step name with its count ("charge-1"), got ${JSON.stringify(fullName)}`,
      );
    }
    const ref = { type, name: match[1] as string, count: Number(match[2]) };
    const key = stepKey(ref);
    if (seen.has(key))
      throw new HistoryError("history.invalid", `${path}: a second step "${fullName}" of type ${shown}`);
    seen.add(key);
    steps.push({ ...ref, key, index: steps.length, outcome: outcomeV1(raw, path, type) });
  });
  const trigger =
    instance.trigger === undefined ? undefined : object(instance.trigger, "instance.trigger").source;
  return {
    format: "cairn.instance-history/1",
    workflow: string(doc.workflow, "workflow"),
    id: string(doc.id ?? instance.id, "id"),
    status: string(instance.status, "instance.status"),
    trigger: optionalString(trigger, "instance.trigger.source"),
    params: instance.params ?? {},
    createdAt: time(instance.queued, "instance.queued", 0),
    ...(instance.status === "complete" ? { output: instance.output } : {}),
    ...(instance.error !== undefined && instance.error !== null
      ? { error: errorRecord(instance.error, "instance.error") }
      : {}),
    includeSensitive: false,
    steps,
  };
}

function outcomeV1(raw: Json, path: string, type: ReplayStepType): RecordedOutcome {
  if (type === "sleep") return raw.finished === true ? { kind: "value", value: undefined } : unfinished();
  if (type === "waitForEvent") {
    if (raw.output !== undefined && raw.output !== null) {
      const event = object(raw.output, `${path}.output`);
      return {
        kind: "event",
        event: {
          type: string(event.type, `${path}.output.type`),
          payload: event.payload,
          sentAt: time(event.timestamp, `${path}.output.timestamp`, 0),
        },
      };
    }
    if (raw.error !== undefined && raw.error !== null) {
      const error = errorRecord(raw.error, `${path}.error`);
      return { kind: "error", error, timedOut: error.name === "WorkflowTimeoutError" };
    }
    return unfinished();
  }
  if (raw.success === false) return { kind: "error", error: failureOf(raw, path), timedOut: false };
  if (raw.success !== true) return unfinished();
  if (raw.output === STREAM_OUTPUT) {
    throw new HistoryError(
      "history.unsupported_format",
      `${path}: "cairn.instance-history/1" keeps no stream bytes, and step ${JSON.stringify(raw.name)} ` +
        "returned a stream; export the instance again with this version of `cairn workflows instances export`",
    );
  }
  if (raw.output === REDACTED && isSensitiveConfig(raw.config)) return { kind: "redacted" };
  return { kind: "value", value: raw.output };
}

/** A failed step's error: its own, else its last attempt's (older servers left the former out). */
function failureOf(raw: Json, path: string): { name: string; message: string } {
  if (raw.error !== undefined && raw.error !== null) return errorRecord(raw.error, `${path}.error`);
  const attempts = raw.attempts === undefined ? [] : array(raw.attempts, `${path}.attempts`);
  for (let i = attempts.length - 1; i >= 0; i--) {
    const attempt = object(attempts[i], `${path}.attempts[${i}]`);
    if (attempt.error !== undefined && attempt.error !== null)
      return errorRecord(attempt.error, `${path}.attempts[${i}].error`);
  }
  return errorRecord(raw.error, `${path}.error`);
}

function unfinished(): RecordedOutcome {
  return { kind: "unfinished", status: "waiting" };
}
