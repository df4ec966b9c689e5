// Which store failures are outages rather than verdicts: the database cannot be reached
// (`storage.unavailable`, or `storage.outcome_unknown` when it went away during a commit) or
// its disk has no space left (`storage.full`). A run that meets one
// stops where it is and is run again from its journal once the store takes writes again; a
// lease that could not be given back is given back later. A database file deleted or replaced
// under the process also stops the run, but waits for the operator.

import { WorkflowsError } from "../errors.js";

/** True for a store failure that passes when the database or its disk comes back. */
export function isStoreOutage(error: unknown): boolean {
  if (!WorkflowsError.is(error)) return false;
  const { code } = error;
  return code === "storage.unavailable" || code === "storage.outcome_unknown" || code === "storage.full";
}

/**
 * True for a store failure that stops a run where it is without a verdict on the instance: an
 * outage, or a database file deleted or replaced under the process (which no retry mends).
 */
export function stopsRun(error: unknown): boolean {
  return isStoreOutage(error) || (WorkflowsError.is(error) && error.code === "storage.file_replaced");
}
