// What a host's readyz reports beyond the Cairn's own checks: a host is not ready while it
// shuts down, while it reopens Cairn after a config change (`cairn dev`), or while it has no
// Cairn at all (`cairn dev` with no good build yet), and says which in the reason.

import type { HealthReport } from "../engine/health.js";
import type { Readiness } from "../server/health-routes.js";

/** The host's side of readiness, read at the moment of the probe. */
export type HostState = {
  closing: boolean;
  swapping: boolean;
  cairn: { health(): Promise<HealthReport> } | null;
  /** Why there is no good build, if there is none. */
  buildError: string | null;
};

function notReady(reason: string): Readiness {
  return { ready: false, reason, checks: {} };
}

export async function hostReadiness(state: HostState): Promise<Readiness> {
  if (state.closing) return notReady("shutting down");
  if (state.swapping) return notReady("reopening Cairn after a config change");
  if (!state.cairn) {
    const why = state.buildError ? `: ${state.buildError}` : "";
    return notReady(`the Worker has no good build yet${why}`);
  }
  return state.cairn.health();
}
