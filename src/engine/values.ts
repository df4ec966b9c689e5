// Step results, event payloads, params and errors cross a storage boundary. They are stored as
// V8 structured-clone bytes so that Date, Map, Set, typed arrays, BigInt and undefined
// survive a replay, and size limits are measured on those bytes, as Cloudflare measures them.

import { types } from "node:util";
import v8 from "node:v8";
import { NonRetryableError } from "../api/non-retryable-error.js";
import { type ErrorCode, WorkflowsError } from "../errors.js";
import { encodePlainValue } from "./plain-value-encoder.js";
import { describeValue } from "./validate.js";

/** Largest stored value: 1 MiB per step result, event payload and instance params. */
export const MAX_VALUE_BYTES = 1024 * 1024;

/** An error as stored and as reported by `status()`. */
export type ErrorRecord = { name: string; message: string };

/**
 * Serialises a value to structured-clone bytes and checks its size.
 * @param what names the value in messages, e.g. `'the result of step "charge"'` (or a function
 *   giving it, called only for a message).
 * @throws WorkflowsError `value.not_serializable` (functions, symbols, promises…) or `tooLargeCode`.
 * @example encodeValue({ at: new Date() }, "params", "instance.params_too_large")
 */
export function encodeValue(
  value: unknown,
  what: string | (() => string),
  tooLargeCode: ErrorCode,
  limit = MAX_VALUE_BYTES,
): Buffer {
  const bytes = serialize(value, what);
  if (bytes.length > limit) {
    throw new WorkflowsError(
      tooLargeCode,
      `${named(what)} is ${bytes.length} bytes; the limit is ${formatLimit(limit)}`,
    );
  }
  return bytes;
}

/** `what` of encodeValue as text: a function when building it costs more than the common case needs. */
function named(what: string | (() => string)): string {
  return typeof what === "function" ? what() : what;
}

/** Reads bytes written by `encodeValue`. */
export function decodeValue(bytes: Uint8Array | Buffer): unknown {
  return v8.deserialize(bytes);
}

function serialize(value: unknown, what: string | (() => string)): Buffer {
  const plain = encodePlainValue(value);
  if (plain) return plain;
  try {
    return v8.serialize(value);
  } catch (error) {
    const reason = deeplyNested(error)
      ? "it is nested too deeply (the stack ran out)"
      : (findUncloneable(value, "", new Set()) ?? (error instanceof Error ? error.message : String(error)));
    throw new WorkflowsError("value.not_serializable", `${named(what)} cannot be stored: ${reason}`, {
      cause: error,
    });
  }
}

/** True for the stack overflow a value nested thousands of levels deep causes. */
function deeplyNested(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}

/**
 * Names the first function, symbol or Proxy inside `value` (with its path), or a getter that throws
 * while being read, or undefined if none is found. Runs only after serialisation failed.
 */
function findUncloneable(value: unknown, path: string, seen: Set<object>): string | undefined {
  const at = path === "" ? "" : ` (at ${path})`;
  if (typeof value === "function") return `a function cannot be stored${at}`;
  if (typeof value === "symbol") return `a symbol cannot be stored${at}`;
  if (typeof value !== "object" || value === null || seen.has(value)) return undefined;
  if (types.isProxy(value)) return `a Proxy cannot be stored${at}`;
  seen.add(value);
  let children: Iterable<[string, unknown]>;
  try {
    children = [...childrenOf(value)];
  } catch (error) {
    return `reading it threw${at}: ${messageOf(error)}`;
  }
  for (const [key, child] of children) {
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

/** Longest text of a thrown non-Error value kept in its error's message. */
const THROWN_TEXT_LIMIT = 1000;

/**
 * Flattens anything thrown into `{ name, message }`, and never throws itself: workflow code may
 * throw a Proxy whose every trap throws, or an Error whose `name` getter throws. Non-Errors
 * become `{ name: "Error" }` with a message that says what was thrown, e.g.
 * `A non-Error value was thrown: the string "text"`.
 */
export function toErrorRecord(error: unknown): ErrorRecord {
  try {
    if (isError(error)) {
      const name = typeof error.name === "string" && error.name !== "" ? error.name : "Error";
      return { name, message: typeof error.message === "string" ? error.message : String(error.message) };
    }
    return { name: "Error", message: `A non-Error value was thrown: ${thrownValueText(error)}` };
  } catch (readError) {
    const why = `(reading it threw: ${messageOf(readError)})`;
    return {
      name: "Error",
      message: isPlainError(error)
        ? `An Error was thrown whose name or message cannot be read ${why}`
        : `A non-Error value was thrown: an object that cannot be read ${why}`,
    };
  }
}

/**
 * What the engine keeps of a thrown value: the value itself when reading it is safe, else a plain
 * Error carrying its record, so that retry decisions and observers never run hostile getters.
 * Called once per failed attempt, not on the success path.
 */
export function tameThrown(error: unknown): unknown {
  if ((typeof error !== "object" && typeof error !== "function") || error === null) return error;
  try {
    void (error instanceof Error);
    const { name, message } = error as { name?: unknown; message?: unknown };
    void name;
    void message;
    return error;
  } catch {
    return fromErrorRecord(toErrorRecord(error));
  }
}

function isError(value: unknown): value is Error {
  return value instanceof Error || Object.prototype.toString.call(value) === "[object Error]";
}

/** `instanceof Error`, false where even that throws (a Proxy's `getPrototypeOf` trap). */
function isPlainError(value: unknown): boolean {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

/** The message of an error raised while reading a thrown value, which may be hostile too. */
function messageOf(error: unknown): string {
  try {
    if (error instanceof Error && typeof error.message === "string") return firstLine(error.message);
    return firstLine(String(error));
  } catch {
    return "a value that cannot be read";
  }
}

function firstLine(text: string): string {
  const line = text.split("\n", 1)[0] ?? "";
  return line.length <= 200 ? line : `${line.slice(0, 199)}…`;
}

function thrownValueText(value: unknown): string {
  switch (typeof value) {
    case "string":
      return `the string ${cut(JSON.stringify(value))}`;
    case "number":
    case "boolean":
      return `the ${typeof value} ${String(value)}`;
    case "bigint":
      return `the bigint ${cut(String(value))}n`;
    case "symbol":
      return `the symbol ${cut(value.toString())}`;
    case "undefined":
      return "undefined";
    case "function":
      return value.name ? `a function (${cut(value.name)})` : "a function";
  }
  if (value === null) return "null";
  const tag = Object.prototype.toString.call(value);
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    return `an object ${tag} that cannot be shown as JSON (${messageOf(error)})`;
  }
  return json === undefined ? `an object ${tag}` : `an object ${cut(json)}`;
}

function cut(text: string): string {
  return text.length <= THROWN_TEXT_LIMIT
    ? text
    : `${text.slice(0, THROWN_TEXT_LIMIT - 1)}… (${text.length} characters)`;
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
