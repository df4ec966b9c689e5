// Checks for the names and ids that callers hand to Cairn: workflow names, instance ids, event
// types and step names. Cloudflare rejects the same values, so a workflow that runs here also passes there; each check throws a
// WorkflowsError whose message shows the value (truncated) and the rule it broke.

import { type ErrorCode, WorkflowsError } from "../errors.js";

/** Longest workflow name Cloudflare accepts. */
export const MAX_WORKFLOW_NAME_LENGTH = 64;
/** Longest user-supplied instance id (was 64 before 2025-04-29). */
export const MAX_INSTANCE_ID_LENGTH = 100;
/** Longest id accepted by `get`/delete: cron-generated ids are `"<cron expr>-<scheduledTimeMs>"`. */
export const MAX_ADDRESSABLE_ID_LENGTH = 271;
/** Longest `sendEvent`/`waitForEvent` type. */
export const MAX_EVENT_TYPE_LENGTH = 100;
/** Longest step name. */
export const MAX_STEP_NAME_LENGTH = 256;

const ID_PATTERN = /^[a-zA-Z0-9_][a-zA-Z0-9-_]*$/;
const ID_RULE = 'letters, digits, "-" and "_", not starting with "-"';
const CRON_ID_PATTERN = /^[a-zA-Z0-9, */#_-]+$/;
const CRON_ID_RULE = 'letters, digits, spaces and any of ",*/#_-"';
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point.
const CONTROL_CHARS = /[\x00-\x1F]/;
const SHOWN_LENGTH = 80;

/**
 * A short, JSON-like rendering of any value for error messages, cut to about `max` characters.
 * @example describeValue("a".repeat(300)) // '"aaaa…" (300 characters)'
 */
export function describeValue(value: unknown, max = SHOWN_LENGTH): string {
  if (typeof value === "string" && JSON.stringify(value).length > max) {
    return `${cutString(value, max)} (${value.length} characters)`;
  }
  const text = renderValue(value);
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}

/** A string as JSON, cut to about `max` characters with an ellipsis. */
function cutString(value: string, max = SHOWN_LENGTH): string {
  const json = JSON.stringify(value);
  return json.length <= max ? json : `${json.slice(0, Math.max(1, max - 1))}…`;
}

function renderValue(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
    case "boolean":
    case "undefined":
    case "symbol":
      return String(value);
    case "bigint":
      return `${value}n`;
    case "function":
      return value.name ? `a function (${value.name})` : "a function";
    default:
      return renderObject(value);
  }
}

function renderObject(value: unknown): string {
  if (value === null) return "null";
  if (value instanceof Date)
    return `a Date (${Number.isNaN(value.getTime()) ? "invalid" : value.toISOString()})`;
  try {
    const json = JSON.stringify(value);
    if (json !== undefined) return json;
  } catch {
    // Cycles and BigInts: fall through to the tag.
  }
  return Object.prototype.toString.call(value);
}

type IdRule = { what: string; max: number; pattern: RegExp; rule: string; code: ErrorCode };

function checkString(value: unknown, what: string, max: number, code: ErrorCode): string {
  if (typeof value !== "string") {
    throw new WorkflowsError(
      code,
      `${what} must be a string of 1 to ${max} characters; got ${describeValue(value)}`,
    );
  }
  if (value.length === 0 || value.length > max) {
    throw new WorkflowsError(
      code,
      `${what} must be 1 to ${max} characters long; got ${value.length} characters: ${cutString(value)}`,
    );
  }
  return value;
}

function checkId(value: unknown, { what, max, pattern, rule, code }: IdRule): string {
  const text = checkString(value, what, max, code);
  if (!pattern.test(text)) {
    throw new WorkflowsError(
      code,
      `${what} must be 1 to ${max} characters using only ${rule}; got ${describeValue(text)}`,
    );
  }
  return text;
}

/**
 * Checks a workflow name: 1 to 64 characters of letters, digits, `-` and `_`, not starting with `-`.
 * @throws WorkflowsError `workflow.invalid_name`
 */
export function validateWorkflowName(name: unknown): string {
  return checkId(name, {
    what: "workflow name",
    max: MAX_WORKFLOW_NAME_LENGTH,
    pattern: ID_PATTERN,
    rule: ID_RULE,
    code: "workflow.invalid_name",
  });
}

/**
 * Checks a user-supplied instance id: same characters as a workflow name, at most 100.
 * @throws WorkflowsError `instance.invalid_id`
 */
export function validateInstanceId(id: unknown): string {
  return checkId(id, {
    what: "instance id",
    max: MAX_INSTANCE_ID_LENGTH,
    pattern: ID_PATTERN,
    rule: ID_RULE,
    code: "instance.invalid_id",
  });
}

/** The rule for ids given to `get` and delete, which also name instances a cron schedule created. */
const ADDRESSABLE_ID_RULE =
  `an instance id of 1 to ${MAX_INSTANCE_ID_LENGTH} characters using only ${ID_RULE}, ` +
  `or the id of an instance a cron schedule created ("<cron expression>-<time in ms>", up to ` +
  `${MAX_ADDRESSABLE_ID_LENGTH} characters using only ${CRON_ID_RULE})`;

/**
 * Checks an id given to `get` or delete: a valid instance id, or a cron-generated id such as
 * `"0 0 * * MON#2-1786001400000"` (at most 271 characters). The message states both rules.
 * @throws WorkflowsError `instance.invalid_id`
 */
export function validateAddressableId(id: unknown): string {
  if (typeof id === "string" && id.length <= MAX_INSTANCE_ID_LENGTH && ID_PATTERN.test(id)) return id;
  if (
    typeof id === "string" &&
    id.length > 0 &&
    id.length <= MAX_ADDRESSABLE_ID_LENGTH &&
    CRON_ID_PATTERN.test(id)
  ) {
    return id;
  }
  const got = typeof id === "string" ? `${id.length} characters: ${cutString(id)}` : describeValue(id);
  throw new WorkflowsError("instance.invalid_id", `instance id must be ${ADDRESSABLE_ID_RULE}; got ${got}`);
}

/**
 * Checks an event type: same rule as instance ids (so `.` is rejected), at most 100 characters.
 * @throws WorkflowsError `workflow.invalid_event_type`
 */
export function validateEventType(type: unknown): string {
  return checkId(type, {
    what: "event type",
    max: MAX_EVENT_TYPE_LENGTH,
    pattern: ID_PATTERN,
    rule: ID_RULE,
    code: "workflow.invalid_event_type",
  });
}

/**
 * Checks a step name: 1 to 256 characters, no ASCII control characters (spaces are fine).
 * @throws WorkflowsError `step.invalid_name`
 */
export function validateStepName(name: unknown): string {
  const text = checkString(name, "step name", MAX_STEP_NAME_LENGTH, "step.invalid_name");
  if (CONTROL_CHARS.test(text)) {
    throw new WorkflowsError(
      "step.invalid_name",
      `step name must not contain control characters (\\x00 to \\x1F); got ${describeValue(text)}`,
    );
  }
  return text;
}
