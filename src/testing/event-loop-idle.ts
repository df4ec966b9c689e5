// Tells when replayed code has gone as far as it can, without guessing with a timer. Every
// promise chain that needs nothing from outside finishes within one turn of the event loop
// (microtasks and process.nextTick run to exhaustion before the next macrotask), so the drain
// yields whole turns with setImmediate and stops once `idleTurns` turns in a row changed
// nothing: no step asked for, no result handed back, `run` not settled.

import { setImmediate as nextTurn } from "node:timers";

export type DrainOptions = {
  /** True once there is nothing more to wait for (`run` settled). */
  settled: () => boolean;
  /** A number that grows whenever the replay makes progress (a step asked for, a result handed back). */
  progress: () => number;
  /** Turns in a row without progress after which the code counts as idle. */
  idleTurns: number;
  /** Turns in all after which the drain gives up (a run that never stops asking). */
  maxTurns: number;
};

export type DrainEnd = "settled" | "idle" | "too-long";

/**
 * Yields event-loop turns until `settled()`, until `idleTurns` turns in a row without progress, or
 * until `maxTurns` turns. `setImmediate` comes from `node:timers`, which fake timers installed on
 * the global object (vi.useFakeTimers, sinon) leave alone, so a test's fake clock does not stall it.
 */
export async function drainUntilIdle(options: DrainOptions): Promise<DrainEnd> {
  let last = options.progress();
  let idle = 0;
  for (let turn = 0; turn < options.maxTurns; turn++) {
    if (options.settled()) return "settled";
    await new Promise<void>((resolve) => nextTurn(resolve));
    const now = options.progress();
    if (now !== last) {
      last = now;
      idle = 0;
    } else if (!options.settled() && ++idle >= options.idleTurns) {
      return "idle";
    }
  }
  return options.settled() ? "settled" : "too-long";
}
