// A real-time clock whose wall time is set off from the machine's, for tests of processes whose
// clocks disagree: time runs at the real rate, `offsetMs` ahead (or behind), and `freeze` stops
// its timers as a process stopped by the OS would (nothing it schedules runs until `thaw`).

import type { CancelTimer, Clock } from "../../src/engine/clock.js";
import { TimerQueue } from "../../src/engine/timer-queue.js";

export class OffsetClock implements Clock {
  private readonly offsetMs: number;
  private readonly timers = new TimerQueue(() => this.now());
  private frozen = false;
  private held: (() => void)[] = [];

  constructor(offsetMs: number) {
    this.offsetMs = offsetMs;
  }

  now(): number {
    return Date.now() + this.offsetMs;
  }

  setTimer(at: number, callback: () => void): CancelTimer {
    return this.timers.add(at, () => {
      if (this.frozen) this.held.push(callback);
      else callback();
    });
  }

  /** From now on timers that fall due are held, not run: leases stop being renewed. */
  freeze(): void {
    this.frozen = true;
  }

  /** Runs the timers held while frozen, and lets later ones run. */
  thaw(): void {
    this.frozen = false;
    for (const callback of this.held.splice(0)) callback();
  }
}
