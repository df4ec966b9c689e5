// Durations for sleeps, retry delays, timeouts and retention. Cloudflare's parser
// reads an unknown unit such as "1 min" as 1 ms; Cairn rejects anything outside the documented
// grammar so a typo fails loudly at the step instead of retrying in a tight loop.

import { type ErrorCode, WorkflowsError } from "../errors.js";
import { describeValue } from "./validate.js";

/** Milliseconds per unit; a month is 30 days and a year 365.25 days, as on Cloudflare. */
export const MS = {
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
  month: 30 * 86_400_000,
  year: 365.25 * 86_400_000,
} as const;

/** Longest sleep Cloudflare allows: 365 days. */
export const MAX_SLEEP_MS = 365 * 86_400_000;

const NUMBER = String.raw`(?:\d+(?:\.\d*)?|\.\d+)`;
const NUMERIC_STRING = new RegExp(`^${NUMBER}$`);
const WITH_UNIT = new RegExp(`^(${NUMBER}) +([a-zA-Z]+)$`);
const GRAMMAR =
  'a number of milliseconds >= 0, or "<number> <unit>" with unit ms, second, minute, hour, day, week, month or year, singular or plural';

/** Unit words (lower case, singular and plural) to milliseconds. */
const UNITS: ReadonlyMap<string, number> = new Map([
  ["ms", 1],
  ...Object.entries({ millisecond: 1, ...MS }).flatMap(([name, size]): [string, number][] => [
    [name, size],
    [`${name}s`, size],
  ]),
]);

/**
 * Reads a duration as milliseconds: a finite number ≥ 0, a numeric string ("1.5"), or
 * `"<number> <unit>"` (e.g. `"30.5 seconds"`, `"1 week"`). The result is rounded to whole ms.
 * @throws WorkflowsError with `code` (default `step.invalid_config`) naming `field` and the value.
 * @example parseDuration("2 minutes", "sleep duration") // 120000
 */
export function parseDuration(
  value: unknown,
  field: string,
  code: ErrorCode = "step.invalid_config",
): number {
  const ms = toMilliseconds(value);
  if (ms === undefined || !Number.isFinite(ms) || ms < 0 || ms > Number.MAX_SAFE_INTEGER) {
    throw new WorkflowsError(code, `${field} must be a duration, ${GRAMMAR}; got ${describeValue(value)}`);
  }
  return Math.round(ms);
}

function toMilliseconds(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value !== "string") return undefined;
  if (NUMERIC_STRING.test(value)) return Number(value);
  const match = WITH_UNIT.exec(value);
  if (!match) return undefined;
  const unit = unitMilliseconds(match[2]!);
  return unit === undefined ? undefined : Number(match[1]) * unit;
}

function unitMilliseconds(word: string): number | undefined {
  return UNITS.get(word.toLowerCase());
}

const FORMAT_UNITS: ReadonlyArray<[name: string, ms: number]> = [
  ["day", MS.day],
  ["hour", MS.hour],
  ["minute", MS.minute],
  ["second", MS.second],
];

/**
 * Short human text for a duration in messages and logs, in the largest unit up to days.
 * @example formatDuration(1500) // "1.5 seconds"; formatDuration(3_600_000) // "1 hour"
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return `${ms} ms`;
  const unit = FORMAT_UNITS.find(([, size]) => Math.abs(ms) >= size);
  if (!unit) return `${Math.round(ms * 100) / 100} ms`;
  const [name, size] = unit;
  const amount = Math.round((ms / size) * 100) / 100;
  return `${amount} ${name}${amount === 1 ? "" : "s"}`;
}
