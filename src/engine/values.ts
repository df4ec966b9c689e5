// Step results, event payloads, params and errors cross a storage boundary. They are stored as
// V8 structured-clone bytes so that Date, Map, Set, typed arrays, BigInt and undefined
// survive a replay, and size limits are measured on those bytes, as Cloudflare measures them.

import v8 from "node:v8";
import { NonRetryableError } from "../api/non-retryable-error.js";
import { type ErrorCode, WorkflowsError } from "../errors.js";
import { describeValue } from "./validate.js";

/** Largest stored value: 1 MiB per step result, event payload and instance params. */
export const MAX_VALUE_BYTES = 1024 * 1024;

/** An error as stored and as reported by `status()`. */
export type ErrorRecord = { name: string; message: string };

/**
 * Serialises a value to structured-clone bytes and checks its size.
 * @param what names the value in messages, e.g. `'the result of step "charge"'`.
 * @throws WorkflowsError `value.not_serializable` (functions, symbols, promises…) or `tooLargeCode`.
 * @example encodeValue({ at: new Date() }, "params", "instance.params_too_large")
 */
export function encodeValue(
  value: unknown,
  what: string,
  tooLargeCode: ErrorCode,
  limit = MAX_VALUE_BYTES,
): Buffer {
  const bytes = serialize(value, what);
  if (bytes.length > limit) {
    throw new WorkflowsError(
      tooLargeCode,
      `${what} is ${bytes.length} bytes; the limit is ${formatLimit(limit)}`,
    );
  }
  return bytes;
}

/** Reads bytes written by `encodeValue`. */
export function decodeValue(bytes: Uint8Array | Buffer): unknown {
  return v8.deserialize(bytes);
}

function serialize(value: unknown, what: string): Buffer {
  try {
    return v8.serialize(value);
  } catch (error) {
    const reason = deeplyNested(error)
      ? "it is nested too deeply (the stack ran out)"
      : (findUncloneable(value, "", new Set()) ?? (error instanceof Error ? error.message : String(error)));
    throw new WorkflowsError("value.not_serializable", `${what} cannot be stored: ${reason}`, {
      cause: error,
    });
  }
}

/** True for the stack overflow a value nested thousands of levels deep causes. */
function deeplyNested(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}

/** Names the first function or symbol inside `value` (with its path), or undefined if none is found. */
function findUncloneable(value: unknown, path: string, seen: Set<object>): string | undefined {
  const at = path === "" ? "" : ` (at ${path})`;
  if (typeof value === "function") return `a function cannot be stored${at}`;
  if (typeof value === "symbol") return `a symbol cannot be stored${at}`;
  if (typeof value !== "object" || value === null || seen.has(value)) return undefined;
  seen.add(value);
  for (const [key, child] of childrenOf(value)) {
    const found = findUncloneable(child, `${path}${key}`, seen);
    if (found) return found;
  }
  return undefined;
}

function childrenOf(value: object): Iterable<[string, unknown]> {
  if (value instanceof Map) {
    return [...value].flatMap(([k, v], i): [string, unknown][] => [
      [`<map key ${i}>`, k],
      [`.get(${describeValue(k, 30)})`, v],
    ]);
  }
  if (value instanceof Set) return [...value].map((v, i): [string, unknown] => [`<set item ${i}>`, v]);
  if (ArrayBuffer.isView(value)) return [];
  return Object.entries(value).map(([k, v]): [string, unknown] => [
    Array.isArray(value) ? `[${k}]` : `.${k}`,
    v,
  ]);
}

function formatLimit(limit: number): string {
  const mib = limit / (1024 * 1024);
  if (Number.isInteger(mib)) return `${limit} bytes (${mib} MiB)`;
  const kib = limit / 1024;
  return Number.isInteger(kib) ? `${limit} bytes (${kib} KiB)` : `${limit} bytes`;
}

/**
 * Flattens anything thrown into `{ name, message }`. Non-errors become `{ name: "Error" }` with the
 * value as text (JSON for objects when possible).
 */
export function toErrorRecord(error: unknown): ErrorRecord {
  if (isError(error)) {
    const name = typeof error.name === "string" && error.name !== "" ? error.name : "Error";
    return { name, message: typeof error.message === "string" ? error.message : String(error.message) };
  }
  return { name: "Error", message: thrownValueText(error) };
}

function isError(value: unknown): value is Error {
  return value instanceof Error || Object.prototype.toString.call(value) === "[object Error]";
}

function thrownValueText(value: unknown): string {
  if (typeof value === "object" && value !== null) {
    try {
      const json = JSON.stringify(value);
      if (json !== undefined) return json;
    } catch {
      // Cycles and BigInts: fall back to String().
    }
  }
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * Rebuilds an error from its record: a `NonRetryableError` when the name says so (so it still
 * stops retries), otherwise a plain `Error` carrying the recorded name.
 */
export function fromErrorRecord(record: ErrorRecord): Error {
  if (record.name === "NonRetryableError") return new NonRetryableError(record.message, record.name);
  const error = new Error(record.message);
  error.name = record.name;
  return error;
}
