// What one activation waits for: timers (sleeps, retry delays, event deadlines) and event types.
// While only near timers are pending the instance stays in memory; anything further away or any
// event wait lets it hibernate, with the earliest wake time and the awaited types written down.

import type { CancelTimer, Clock } from "../clock.js";

type PendingWait = {
  wakeAt: number | null;
  eventType: string | null;
  wake: (cause: "timer" | "event") => void;
  cancel: CancelTimer | null;
};

/** The pending waits of one activation. */
export class Waits {
  private readonly clock: Clock;
  private readonly pending = new Set<PendingWait>();

  constructor(clock: Clock) {
    this.clock = clock;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Waits for a timer at `wakeAt` and/or an event of `eventType`, whichever comes first. */
  add(wakeAt: number | null, eventType: string | null): Promise<"timer" | "event"> {
    return new Promise((resolve) => {
      const wait: PendingWait = {
        wakeAt,
        eventType,
        cancel: null,
        wake: (cause) => {
          if (!this.pending.delete(wait)) return;
          wait.cancel?.();
          resolve(cause);
        },
      };
      if (wakeAt !== null) wait.cancel = this.clock.setTimer(wakeAt, () => wait.wake("timer"));
      this.pending.add(wait);
    });
  }

  /** An event of `type` arrived: wake the waits for that type, oldest first. */
  wakeFor(type: string): void {
    for (const wait of [...this.pending]) if (wait.eventType === type) wait.wake("event");
  }

  /** Drops every wait without settling it (the activation stopped). */
  cancelAll(): void {
    for (const wait of this.pending) wait.cancel?.();
    this.pending.clear();
  }

  /**
   * What a hibernation would write: the earliest wake time and the awaited event types; null
   * while only timers due within `hibernateAfterMs` are pending (the instance stays in memory).
   */
  hibernation(hibernateAfterMs: number): { wakeAt: number | null; waitTypes: string[] } | null {
    if (this.pending.size === 0) return null;
    let wakeAt: number | null = null;
    const waitTypes: string[] = [];
    for (const w of this.pending) {
      if (w.wakeAt !== null) wakeAt = wakeAt === null ? w.wakeAt : Math.min(wakeAt, w.wakeAt);
      if (w.eventType !== null && !waitTypes.includes(w.eventType)) waitTypes.push(w.eventType);
    }
    const soon = wakeAt !== null && wakeAt - this.clock.now() <= hibernateAfterMs;
    if (soon && waitTypes.length === 0) return null;
    return { wakeAt, waitTypes };
  }
}
