// Reads an exported history (the JSON text or its parsed value) into what a replay works from,
// checking every field it uses. "cairn.instance-history/2" is what `cairn workflows instances
// export` writes now; "/1" (Cloudflare's step shape, no stream bytes) is read where it can be.

import { HistoryError } from "./history-error.js";
import {
  array,
  bool,
  count,
  errorRecord,
  type Json,
  kindOf,
  object,
  optionalString,
  refuseTruncated,
  string,
  time,
} from "./history-fields.js";
import { readHistoryV1 } from "./read-history-v1.js";
import type { RecordedHistory, RecordedOutcome, RecordedStep, ReplayStepType } from "./recorded-history.js";
import { isSensitiveConfig, REDACTED, stepKey } from "./recorded-history.js";

const PREFIX = "cairn.instance-history/";
export const HISTORY_FORMATS = ["cairn.instance-history/2", "cairn.instance-history/1"] as const;

const REPLAYED: ReadonlySet<string> = new Set(["do", "sleep", "waitForEvent"]);
/** Steps in Cairn's view that `run` does not call itself. */
const NOT_CALLED: ReadonlySet<string> = new Set(["rollback", "termination"]);

/**
 * The history in `input` (JSON text or the parsed document).
 * @throws HistoryError `history.invalid` or `history.unsupported_format`, naming the field.
 */
export function readHistory(input: unknown): RecordedHistory {
  const doc = object(typeof input === "string" ? parseJson(input) : input, "the history");
  const format = doc.format;
  if (typeof format !== "string" || !format.startsWith(PREFIX)) {
    throw new HistoryError(
      "history.invalid",
      `format: expected "${HISTORY_FORMATS[0]}" (a file written by \`cairn workflows instances export\`), ` +
        `got ${typeof format === "string" ? JSON.stringify(format) : kindOf(format)}`,
    );
  }
  if (format === "cairn.instance-history/1") return readHistoryV1(doc);
  if (format !== "cairn.instance-history/2") {
    throw new HistoryError(
      "history.unsupported_format",
      `format: this Cairn reads ${HISTORY_FORMATS.map((f) => JSON.stringify(f)).join(" and ")}, got ` +
        `${JSON.stringify(format)}; replay it with the Cairn version that exported it, or export it again`,
    );
  }
  return readHistoryV2(doc, format);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HistoryError("history.invalid", `the history is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function readHistoryV2(doc: Json, format: string): RecordedHistory {
  const includeSensitive = bool(doc.include_sensitive, "include_sensitive", false);
  const instance = object(doc.instance, "instance");
  refuseTruncated(instance, "params", "instance");
  refuseTruncated(instance, "output", "instance");
  const streams = doc.streams === undefined ? {} : object(doc.streams, "streams");
  const steps: RecordedStep[] = [];
  const seen = new Set<string>();
  array(instance.steps, "instance.steps").forEach((value, i) => {
    const path = `instance.steps[${i}]`;
    const raw = object(value, path);
    const type = string(raw.type, `${path}.type`);
    if (NOT_CALLED.has(type)) return;
    if (!REPLAYED.has(type)) {
      throw new HistoryError(
        "history.invalid",
        `${path}.type: expected do, sleep, waitForEvent, rollback or termination, got ${JSON.stringify(type)}`,
      );
    }
    const ref = {
      type: type as ReplayStepType,
      name: string(raw.name, `${path}.name`),
      count: count(raw.count, `${path}.count`),
    };
    const key = stepKey(ref);
    if (seen.has(key)) throw new HistoryError("history.invalid", `${path}: a second step with key "${key}"`);
    seen.add(key);
    const outcome = outcomeV2(raw, path, streams, includeSensitive);
    steps.push({ ...ref, key, index: steps.length, outcome });
  });
  const status = string(instance.status, "instance.status");
  return {
    format,
    workflow: string(doc.workflow ?? instance.workflow, "workflow"),
    id: string(doc.id ?? instance.id, "id"),
    status,
    trigger: optionalString(instance.trigger, "instance.trigger"),
    params: instance.params ?? {},
    createdAt: time(instance.created_at, "instance.created_at", 0),
    ...("output" in instance ? { output: instance.output } : {}),
    ...(instance.error !== undefined && instance.error !== null
      ? { error: errorRecord(instance.error, "instance.error") }
      : {}),
    includeSensitive,
    steps,
  };
}

function outcomeV2(raw: Json, path: string, streams: Json, includeSensitive: boolean): RecordedOutcome {
  const status = string(raw.status, `${path}.status`);
  if (status === "failed") {
    return {
      kind: "error",
      error: errorRecord(raw.error, `${path}.error`),
      timedOut: raw.timed_out === true,
    };
  }
  if (status !== "succeeded") return { kind: "unfinished", status };
  if (raw.type === "sleep") return { kind: "value", value: undefined };
  if (raw.type === "waitForEvent") {
    const event = object(raw.event, `${path}.event`);
    refuseTruncated(event, "payload", `${path}.event`);
    return {
      kind: "event",
      event: {
        type: string(event.type, `${path}.event.type`),
        payload: event.payload,
        sentAt: time(event.sent_at, `${path}.event.sent_at`, 0),
      },
    };
  }
  refuseTruncated(raw, "output", path);
  if (raw.stream !== undefined) {
    const key = string(raw.key, `${path}.key`);
    const entry = streams[key];
    if (entry === undefined) {
      throw new HistoryError(
        "history.invalid",
        `streams["${key}"]: missing; the stream step at ${path} needs its bytes (base64)`,
      );
    }
    const base64 = string(object(entry, `streams["${key}"]`).base64, `streams["${key}"].base64`);
    return { kind: "stream", bytes: new Uint8Array(Buffer.from(base64, "base64")) };
  }
  if (!includeSensitive && raw.output === REDACTED && isSensitiveConfig(raw.config))
    return { kind: "redacted" };
  return { kind: "value", value: raw.output };
}
