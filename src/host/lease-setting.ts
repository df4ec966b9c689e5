// Lease lengths of the project parts that lease work across processes (Durable Objects, queue
// batches). Production keeps the defaults; tests shorten them through an environment variable,
// so a takeover after a SIGKILL is seen in a second instead of after the full lease.

import { HostError } from "./host-error.js";

/** The shortest lease accepted: renewals every third of it must still fit a slow round trip. */
export const MIN_LEASE_MS = 300;

/** The lease length the environment variable `name` sets, or `fallback`; a bad value is refused by name. */
export function leaseMsSetting(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < MIN_LEASE_MS) {
    throw new HostError(
      "config.invalid",
      `${name} must be a whole number of milliseconds, at least ${MIN_LEASE_MS}; got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}
