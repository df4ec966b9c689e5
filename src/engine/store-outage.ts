// Which store failures are outages rather than verdicts: the database cannot be reached
// (`storage.unavailable`) or its disk has no space left (`storage.full`). A run that meets one
// stops where it is and is run again from its journal once the store takes writes again; a
// lease that could not be given back is given back later.

import { WorkflowsError } from "../errors.js";

/** True for a store failure that passes when the database or its disk comes back. */
export function isStoreOutage(error: unknown): boolean {
  return WorkflowsError.is(error) && (error.code === "storage.unavailable" || error.code === "storage.full");
}
