// Fires Durable Object alarms: one timer per object with an alarm, armed from the state index at
// start (an alarm that came due while the process was down fires at once) and re-armed whenever an
// object sets or deletes its alarm. A failing alarm() is retried with exponential backoff, 2 s
// after the first failure and doubling, up to 6 retries, as on Cloudflare; then it is dropped.

import type { Logger } from "../../observability/logger.js";
import type { AlarmRun } from "./live-object.js";
import type { StateIndex } from "./state-index.js";

export const ALARM_MAX_RETRIES = 6;
export const ALARM_FIRST_RETRY_MS = 2000;
/** setTimeout's longest delay; a later alarm is re-armed when this one wakes. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The clock and timers alarms use; tests pass their own. */
export type AlarmTimers = {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
};

export const realTimers: AlarmTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Runs an object's alarm if due; "unavailable" when it cannot run here (its class is gone, or its
 * file is locked by another process), "elsewhere" when another process holds the object's lease.
 */
export type AlarmRunner = (
  className: string,
  objectId: string,
  retryCount: number,
) => Promise<AlarmRun | "unavailable" | "elsewhere">;

type Armed = { handle: unknown; time: number; retryCount: number };

export class AlarmScheduler {
  private readonly armed = new Map<string, Armed>();
  private readonly index: StateIndex;
  private readonly run: AlarmRunner;
  private readonly clear: (className: string, objectId: string) => void | Promise<void>;
  private readonly log: Logger;
  private readonly timers: AlarmTimers;
  private readonly recheckElsewhereMs: number | undefined;
  private closed = false;
  /** Alarm runs under way, so that close() can wait for them. */
  private readonly running = new Set<Promise<void>>();

  constructor(options: {
    index: StateIndex;
    run: AlarmRunner;
    clear: (className: string, objectId: string) => void | Promise<void>;
    log: Logger;
    timers?: AlarmTimers;
    /**
     * With object-host leases: how long to wait before trying again an alarm whose object another
     * process hosts, so that it fires here if that process dies before running it.
     */
    recheckElsewhereMs?: number | undefined;
  }) {
    this.index = options.index;
    this.run = options.run;
    this.clear = options.clear;
    this.log = options.log;
    this.timers = options.timers ?? realTimers;
    this.recheckElsewhereMs = options.recheckElsewhereMs;
  }

  /** Arms every alarm in the index. */
  start(): void {
    for (const alarm of this.index.alarms()) this.arm(alarm.className, alarm.objectId, alarm.time, 0);
  }

  /** An object set (time) or deleted (null) its alarm: the index and the timer follow. */
  set(className: string, objectId: string, time: number | null): void {
    if (time === null) {
      this.index.deleteAlarm(className, objectId);
      this.disarm(className, objectId);
      return;
    }
    this.index.setAlarm(className, objectId, time);
    this.arm(className, objectId, time, 0);
  }

  /** The time each armed object's timer is due (for tests and logs). */
  pending(): Map<string, number> {
    return new Map([...this.armed].map(([key, a]) => [key, a.time]));
  }

  /** Resolves when the alarm runs under way (and any they lead to at once) have finished. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Stops every timer and waits for alarm runs under way. */
  async close(): Promise<void> {
    this.closed = true;
    for (const armed of this.armed.values()) this.timers.clearTimeout(armed.handle);
    this.armed.clear();
    await Promise.allSettled([...this.running]);
  }

  private key(className: string, objectId: string): string {
    return `${className}/${objectId}`;
  }

  private disarm(className: string, objectId: string): void {
    const key = this.key(className, objectId);
    const armed = this.armed.get(key);
    if (armed) this.timers.clearTimeout(armed.handle);
    this.armed.delete(key);
  }

  private arm(className: string, objectId: string, time: number, retryCount: number): void {
    if (this.closed) return;
    this.disarm(className, objectId);
    const key = this.key(className, objectId);
    const delay = Math.min(Math.max(0, time - this.timers.now()), MAX_TIMER_MS);
    const handle = this.timers.setTimeout(() => {
      if (this.armed.get(key)?.handle !== handle) return;
      if (this.timers.now() < time) {
        this.arm(className, objectId, time, retryCount);
        return;
      }
      this.armed.delete(key);
      const run = this.fire(className, objectId, retryCount);
      this.running.add(run);
      void run.finally(() => this.running.delete(run));
    }, delay);
    this.armed.set(key, { handle, time, retryCount });
  }

  private async fire(className: string, objectId: string, retryCount: number): Promise<void> {
    let result: AlarmRun | "unavailable" | "elsewhere";
    try {
      result = await this.run(className, objectId, retryCount);
    } catch (error) {
      result = { outcome: "failed", error };
    }
    if (result === "elsewhere") return this.recheck(className, objectId);
    if (this.closed || result === "unavailable") return;
    const key = this.key(className, objectId);
    if (result.outcome === "none") this.index.deleteAlarm(className, objectId);
    else if (result.outcome === "later") this.arm(className, objectId, result.time, 0);
    else if (result.outcome === "failed" && !this.armed.has(key))
      this.retry(className, objectId, retryCount, result.error);
  }

  /** The holder runs the alarm; look again later in case it died first (the index still has it). */
  private recheck(className: string, objectId: string): void {
    if (this.closed || this.recheckElsewhereMs === undefined) return;
    const alarm = this.index.alarms().find((a) => a.className === className && a.objectId === objectId);
    if (!alarm) return;
    this.arm(className, objectId, Math.max(alarm.time, this.timers.now() + this.recheckElsewhereMs), 0);
  }

  private retry(className: string, objectId: string, retryCount: number, error: unknown): void {
    if (retryCount >= ALARM_MAX_RETRIES) {
      this.log.error(
        { err: error, className, objectId, retries: retryCount },
        "Durable Object alarm failed after its last retry; dropping it",
      );
      const failed = (clearError: unknown) =>
        this.log.error(
          { err: clearError, className, objectId },
          "dropping a failed Durable Object alarm failed",
        );
      try {
        void Promise.resolve(this.clear(className, objectId)).catch(failed);
      } catch (clearError) {
        failed(clearError);
      }
      this.index.deleteAlarm(className, objectId);
      return;
    }
    const delay = ALARM_FIRST_RETRY_MS * 2 ** retryCount;
    this.log.warn(
      { err: error, className, objectId, retryCount, retryInMs: delay },
      "Durable Object alarm failed; retrying",
    );
    this.arm(className, objectId, this.timers.now() + delay, retryCount + 1);
  }
}
