// Checks the options of `inspect.instances` and turns them into the store's list query. Every
// refusal is `query.invalid` with a message naming the option, the value and the rule.

import { WorkflowsError } from "../errors.js";
import { STORED_STATUSES } from "../storage/lifecycle.js";
import type { ListQuery } from "../storage/types.js";
import type { ListInstancesOptions } from "./types.js";

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 1000;
/**
 * How deep numbered pages go. An offset is read and skipped row by row, so a deep one would
 * hold the reader for long; a cursor goes anywhere at the cost of one page.
 */
export const MAX_PAGE_DEPTH = 100_000;
/** Ids are at most 271 characters, so a longer prefix matches nothing and is a mistake. */
const MAX_PREFIX_LENGTH = 271;

/** A `query.invalid` error with `message`. */
export function invalid(message: string): WorkflowsError {
  return new WorkflowsError("query.invalid", message);
}

/** A value as a refusal quotes it: short strings, ISO dates, class names of objects. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (value instanceof Date)
    return `Date(${Number.isNaN(value.getTime()) ? "invalid" : value.toISOString()})`;
  return typeof value === "object" && value !== null ? (value.constructor?.name ?? "object") : String(value);
}

/** A Date or ms option as ms (undefined when absent), or `query.invalid` naming `option`. */
export function time(value: unknown, option: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== "number" || !Number.isFinite(ms)) {
    throw invalid(
      `${option} must be a Date or a number of milliseconds since the epoch, got ${describe(value)}`,
    );
  }
  return ms;
}

function wholeNumber(value: unknown, option: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${option} must be a whole number from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

/** The store query for `options`, or `query.invalid` naming what is wrong. */
export function listQuery(workflow: string, options: ListInstancesOptions): ListQuery {
  if (typeof options !== "object" || options === null) {
    throw invalid(`list options must be an object, got ${describe(options)}`);
  }
  const limit =
    options.limit === undefined ? DEFAULT_PAGE_SIZE : wholeNumber(options.limit, "limit", 1, MAX_PAGE_SIZE);
  const query: ListQuery = { workflow, limit };
  if (options.status !== undefined) {
    if (!STORED_STATUSES.includes(options.status)) {
      throw invalid(`status must be one of ${STORED_STATUSES.join(", ")}; got ${describe(options.status)}`);
    }
    query.status = options.status;
  }
  query.createdFrom = time(options.createdFrom, "createdFrom");
  query.createdTo = time(options.createdTo, "createdTo");
  if (
    query.createdFrom !== undefined &&
    query.createdTo !== undefined &&
    query.createdFrom > query.createdTo
  ) {
    throw invalid(
      `createdFrom (${new Date(query.createdFrom).toISOString()}) must not be after createdTo (${new Date(query.createdTo).toISOString()})`,
    );
  }
  if (options.idPrefix !== undefined) {
    if (typeof options.idPrefix !== "string" || options.idPrefix.length > MAX_PREFIX_LENGTH) {
      throw invalid(
        `idPrefix must be a string of at most ${MAX_PREFIX_LENGTH} characters, got ${describe(options.idPrefix)}`,
      );
    }
    if (options.idPrefix.length > 0) query.idPrefix = options.idPrefix;
  }
  if (options.order !== undefined) {
    if (options.order !== "asc" && options.order !== "desc") {
      throw invalid(`order must be "desc" or "asc", got ${describe(options.order)}`);
    }
    query.order = options.order;
  }
  if (options.cursor !== undefined && options.page !== undefined) {
    throw invalid("give either cursor or page, not both");
  }
  if (options.cursor !== undefined) {
    if (typeof options.cursor !== "string" || options.cursor.length === 0 || options.cursor.length > 200) {
      throw invalid(`cursor must be the nextCursor of an earlier page, got ${describe(options.cursor)}`);
    }
    query.cursor = options.cursor;
  }
  if (options.page !== undefined) {
    const page = wholeNumber(options.page, "page", 1, Math.floor(MAX_PAGE_DEPTH / limit) + 1);
    query.offset = (page - 1) * limit;
  }
  return query;
}
