// The options every workflows command takes (--json, --url, --api-token) and the parsers for
// option values; a parser's InvalidArgumentError becomes a usage error (exit status 2).

import { type Command, InvalidArgumentError } from "commander";
import { INSTANCE_STATUSES, isInstanceStatus } from "./format/status.js";

export const DEFAULT_URL = "http://localhost:8787";

export type ClientFlags = { json?: boolean; url?: string; apiToken?: string };

/** Adds --json, --url and --api-token; the environment is read when the command runs. */
export function addClientOptions(command: Command): Command {
  return command
    .option("--json", "print the server's raw result as JSON (no colour, no tables)")
    .option("--url <url>", `the Cairn server (env: CAIRN_URL, default: ${DEFAULT_URL})`)
    .option("--api-token <token>", "sent as Authorization: Bearer <token> (env: CAIRN_API_TOKEN)");
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError("expected a whole number of 1 or more");
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError("expected a whole number of 0 or more");
  return n;
}

/** "true"/"false" (and yes/no, 1/0) for options written `--flag=false`. */
export function booleanValue(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (["true", "yes", "1"].includes(v)) return true;
  if (["false", "no", "0"].includes(v)) return false;
  throw new InvalidArgumentError('expected "true" or "false"');
}

export function instanceStatus(value: string): string {
  if (!isInstanceStatus(value))
    throw new InvalidArgumentError(`expected one of: ${INSTANCE_STATUSES.join(", ")}`);
  return value;
}

/** The statuses terminate-all accepts (the ones not finished), as wrangler's --status does. */
export const TERMINABLE_STATUSES = ["queued", "running", "paused", "waitingForPause", "waiting"] as const;

export function terminableStatus(value: string): string {
  if (!(TERMINABLE_STATUSES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of: ${TERMINABLE_STATUSES.join(", ")}`);
  return value;
}

export const STEP_TYPES = ["do", "sleep", "waitForEvent"] as const;

export function stepType(value: string): string {
  if (!(STEP_TYPES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of: ${STEP_TYPES.join(", ")}`);
  return value;
}

/**
 * A date for --date-start/--date-end as an ISO string in UTC. `endOfDay` turns a date without a
 * time (2026-12-04) into the last millisecond of that day, as wrangler does for --date-end.
 */
export function dateOption(endOfDay: boolean) {
  return (value: string): string => {
    const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value.trim());
    const ms = Date.parse(dateOnly ? `${value.trim()}T00:00:00.000Z` : value);
    if (!Number.isFinite(ms))
      throw new InvalidArgumentError("expected a date such as 2026-12-04 or 2026-12-04T10:00:00Z");
    return new Date(dateOnly && endOfDay ? ms + 86_400_000 - 1 : ms).toISOString();
  };
}
