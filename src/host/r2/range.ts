// Ranged reads: `range` as { offset, length }, { offset }, { length }, { suffix }, or Headers
// holding a Range header. Option values are checked as the Workers runtime checks them; a range
// that starts past the end of the object is Cloudflare's InvalidRange.

import parseRangeHeader from "range-parser";
import { R2Error } from "./errors.js";

/** A checked range option, not yet resolved against an object's size. */
export type RangeRequest =
  | { kind: "offset"; offset: number; length: number | undefined }
  | { kind: "suffix"; suffix: number }
  | { kind: "header"; value: string };

/** The bytes to return. */
export type ByteSpan = { offset: number; length: number };

function checkNumber(value: unknown, label: string, what: string): number {
  const number = Number(value);
  if (!(number >= 0))
    throw new RangeError(`Invalid ${label}. ${what} (${String(value)}) must be greater than or equal to 0.`);
  if (!Number.isInteger(number)) {
    throw new RangeError(`Invalid range. ${what} (${String(value)}) must be an integer, not floating point.`);
  }
  return number;
}

/** Reads the `range` option of get; undefined when the whole object is wanted. */
export function readRange(range: unknown): RangeRequest | undefined {
  if (range === undefined || range === null) return undefined;
  if (range instanceof Headers) {
    const value = range.get("range");
    return value === null ? undefined : { kind: "header", value };
  }
  if (typeof range !== "object")
    throw new TypeError(`range must be an object or a Headers, got ${typeof range}`);
  const { offset, length, suffix } = range as Record<string, unknown>;
  if (suffix !== undefined) {
    if (offset !== undefined) throw new TypeError("Suffix is incompatible with offset.");
    if (length !== undefined) throw new TypeError("Suffix is incompatible with length.");
    return { kind: "suffix", suffix: checkNumber(suffix, "suffix", "Suffix") };
  }
  if (offset === undefined && length === undefined) return undefined;
  return {
    kind: "offset",
    offset: offset === undefined ? 0 : checkNumber(offset, "range", "Starting offset"),
    length: length === undefined ? undefined : checkNumber(length, "range", "Length"),
  };
}

/**
 * The span `request` picks from an object of `size` bytes. A Range header that does not parse is
 * ignored (the whole object, as HTTP servers do); one asking for several ranges, or for bytes
 * past the end, is InvalidRange.
 */
export function resolveRange(request: RangeRequest | undefined, size: number): ByteSpan | undefined {
  if (!request) return undefined;
  if (request.kind === "suffix") {
    const length = Math.min(request.suffix, size);
    return { offset: size - length, length };
  }
  if (request.kind === "offset") {
    if (request.offset > size || (request.offset === size && size > 0))
      throw new R2Error("get", "InvalidRange");
    const available = size - request.offset;
    return { offset: request.offset, length: Math.min(request.length ?? available, available) };
  }
  const parsed = parseRangeHeader(size, request.value);
  if (parsed === -2) return undefined;
  if (parsed === -1) throw new R2Error("get", "InvalidRange");
  if (parsed.type !== "bytes") return undefined;
  if (parsed.length !== 1) throw new R2Error("get", "InvalidRange");
  const [only] = parsed;
  return only ? { offset: only.start, length: only.end - only.start + 1 } : undefined;
}
