// Small checked reads of an untrusted JSON document (an exported history): each names the path
// of the field it reads, so that a HistoryError says exactly which field is missing or wrong.

import { HistoryError } from "./history-error.js";

export type Json = Record<string, unknown>;

/** What `value` is, for messages: "a string", "null", "an array", … */
export function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "undefined") return "nothing";
  return `a ${typeof value}`;
}

function invalid(path: string, expected: string, value: unknown): HistoryError {
  return new HistoryError("history.invalid", `${path}: expected ${expected}, got ${kindOf(value)}`);
}

export function object(value: unknown, path: string): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw invalid(path, "an object", value);
  return value as Json;
}

export function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw invalid(path, "an array", value);
  return value;
}

export function string(value: unknown, path: string): string {
  if (typeof value !== "string") throw invalid(path, "a string", value);
  return value;
}

export function optionalString(value: unknown, path: string): string | null {
  return value === undefined || value === null ? null : string(value, path);
}

export function count(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1)
    throw invalid(path, "a whole number of 1 or more", value);
  return value;
}

export function bool(value: unknown, path: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw invalid(path, "true or false", value);
  return value;
}

/** An ISO time as ms; `fallback` when absent or null. */
export function time(value: unknown, path: string, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  const ms = typeof value === "string" ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw invalid(path, "an ISO 8601 time", value);
  return ms;
}

/** `{ name, message }` of a recorded error (other recorded fields are dropped). */
export function errorRecord(value: unknown, path: string): { name: string; message: string } {
  const e = object(value, path);
  return { name: string(e.name, `${path}.name`), message: string(e.message, `${path}.message`) };
}

/** Refuses a value the export cut to a preview (`<field>_truncated`): a replay needs it whole. */
export function refuseTruncated(holder: Json, field: string, path: string): void {
  if (holder[`${field}_truncated`] !== undefined) {
    throw new HistoryError(
      "history.invalid",
      `${path}.${field}_truncated: the ${field} was cut to a preview (output_limit); export it whole`,
    );
  }
}
