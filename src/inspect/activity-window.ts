// `inspect.activity` counts a workflow's instances per UTC minute over a window: this file checks
// its options and turns them into whole minutes, and lays the store's counts (minutes with some
// only) out as one bucket per minute. A window is at most a day, so one call of a dashboard never
// counts more; every refusal is `query.invalid` naming the option, the value and the rule.

import { ACTIVITY_MINUTE_MS, type ActivityCounts } from "../storage/types.js";
import { describe, invalid, time } from "./list-options.js";
import type { ActivityBucket, ActivityOptions } from "./types.js";

/** Minutes counted without `from`: the one holding `to` and the 59 before it. */
export const DEFAULT_ACTIVITY_MINUTES = 60;
/** The widest window: 24 hours of minutes. */
export const MAX_ACTIVITY_MINUTES = 1440;
/** The latest time a Date can hold; later numbers are no time at all. */
const MAX_DATE_MS = 8.64e15;

/** Whole minutes: from the start of the first (inclusive) to the end of the last (exclusive). */
export type ActivityWindow = { fromMs: number; toMs: number };

const iso = (ms: number) => new Date(ms).toISOString();
const minuteStart = (ms: number) => Math.floor(ms / ACTIVITY_MINUTE_MS) * ACTIVITY_MINUTE_MS;

function instant(value: unknown, option: string): number | undefined {
  const ms = time(value, option);
  if (ms !== undefined && Math.abs(ms) > MAX_DATE_MS) {
    throw invalid(
      `${option} must be within ${MAX_DATE_MS} ms of the epoch (what a Date holds), got ${describe(value)}`,
    );
  }
  return ms;
}

/** The minutes `options` ask for, with `now` for a missing `to`, or `query.invalid`. */
export function activityWindow(options: ActivityOptions, now: number): ActivityWindow {
  if (typeof options !== "object" || options === null) {
    throw invalid(`activity options must be an object, got ${describe(options)}`);
  }
  const from = instant(options.from, "from");
  const to = instant(options.to, "to") ?? now;
  if (from !== undefined && from > to) {
    const toText = options.to === undefined ? `${iso(to)}, now` : iso(to);
    throw invalid(`from (${iso(from)}) must not be after to (${toText})`);
  }
  const toMs = minuteStart(to) + ACTIVITY_MINUTE_MS;
  const fromMs =
    from === undefined ? toMs - DEFAULT_ACTIVITY_MINUTES * ACTIVITY_MINUTE_MS : minuteStart(from);
  if (fromMs < -MAX_DATE_MS || toMs > MAX_DATE_MS) {
    throw invalid(
      `to ${iso(to)} leaves no room for its window of minutes within ${MAX_DATE_MS} ms of the epoch (what a Date holds)`,
    );
  }
  const minutes = (toMs - fromMs) / ACTIVITY_MINUTE_MS;
  if (from !== undefined && minutes > MAX_ACTIVITY_MINUTES) {
    throw invalid(
      `from (${iso(from)}) and to (${iso(to)}) cover ${minutes} minutes, more than the limit of ${MAX_ACTIVITY_MINUTES} (24 hours)`,
    );
  }
  return { fromMs, toMs };
}

/** One bucket per minute of `window`, oldest first, zero where the store counted nothing. */
export function activityBuckets(window: ActivityWindow, counts: ActivityCounts): ActivityBucket[] {
  const buckets: ActivityBucket[] = [];
  for (let minute = window.fromMs; minute < window.toMs; minute += ACTIVITY_MINUTE_MS) {
    buckets.push({ minute, created: 0, finished: 0 });
  }
  const at = (minute: number) => buckets[(minute - window.fromMs) / ACTIVITY_MINUTE_MS];
  for (const { minute, count } of counts.created) {
    const bucket = at(minute);
    if (bucket) bucket.created += count;
  }
  for (const { minute, count } of counts.finished) {
    const bucket = at(minute);
    if (bucket) bucket.finished += count;
  }
  return buckets;
}
