// Time, injected: the engine reads `now` and arms timers only through a Clock, so tests can
// replace real time with a FakeClock and move it forward deterministically.

import { TimerQueue } from "./timer-queue.js";

/** Cancels a timer; calling it twice is harmless. */
export type CancelTimer = () => void;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` once, at or after the time `at` (ms since the epoch). */
  setTimer(at: number, callback: () => void): CancelTimer;
}

/**
 * Real time. Timers do not keep the process alive (the engine keeps it alive while it runs).
 * A timer fires once the wall clock reaches its time: never before, even if the clock is set back
 * (it then waits as much longer as the clock went back), and at most RECHECK_MS late if the clock
 * is set forward past it (see TimerQueue).
 */
export class SystemClock implements Clock {
  private readonly timers = new TimerQueue();

  now(): number {
    return Date.now();
  }

  setTimer(at: number, callback: () => void): CancelTimer {
    return this.timers.add(at, callback);
  }
}

type FakeTimer = { at: number; seq: number; callback: () => void };

/**
 * A clock that moves only when told. `advance` fires due timers in time order.
 * @example
 * const clock = new FakeClock(Date.parse("2026-01-01")); await clock.advance("1 hour" in ms)
 */
export class FakeClock implements Clock {
  private current: number;
  private timers: FakeTimer[] = [];
  private seq = 0;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(at: number, callback: () => void): CancelTimer {
    const timer = { at, seq: this.seq++, callback };
    this.timers.push(timer);
    if (at <= this.current) queueMicrotask(() => this.fire(timer));
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Number of armed timers (useful to check that nothing is left behind). */
  pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    this.set(this.current + ms);
  }

  /**
   * Jumps the wall clock by `ms`, either way, as an operator or NTP stepping the clock would.
   * Forward it fires what falls due, like `advance`; backward nothing fires, and timers keep
   * their due times, so each waits until the clock reaches its time again.
   */
  jump(ms: number): void {
    if (ms >= 0) this.set(this.current + ms);
    else this.current += ms;
  }

  /** Moves time to `at` (never backwards), firing due timers in order. */
  set(at: number): void {
    if (at < this.current) throw new RangeError(`FakeClock cannot move back from ${this.current} to ${at}`);
    for (;;) {
      const due = this.timers.filter((t) => t.at <= at).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.current = Math.max(this.current, due.at);
      this.fire(due);
    }
    this.current = at;
  }

  private fire(timer: FakeTimer): void {
    const before = this.timers.length;
    this.timers = this.timers.filter((t) => t !== timer);
    if (this.timers.length !== before) timer.callback();
  }
}
