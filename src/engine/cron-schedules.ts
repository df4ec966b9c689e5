// Cron `schedules` of workflows: creates an instance at each matching time, with the id
// "<cron>-<scheduledTime>" and `event.schedule`. A firing missed while no process ran is created
// once at start-up (the latest one), never once per missed minute. The store's schedule mark
// makes each firing happen once even when several processes share the store.

import type { Cron } from "croner";
import type { NewInstance, Store } from "../storage/types.js";
import type { CancelTimer, Clock } from "./clock.js";
import { parseCron, scheduledInstanceId } from "./cron.js";
import type { WorkflowDefinition } from "./settings.js";
import { encodeValue } from "./values.js";

/** What the cron schedules need from the engine. */
export interface CronScheduleHost {
  readonly store: Store;
  readonly clock: Clock;
  created(workflow: string, id: string): void;
  report(error: unknown, context: string): void;
}

/** Runs the schedules of every workflow until stopped. */
export class CronSchedules {
  private readonly host: CronScheduleHost;
  private readonly timers = new Set<CancelTimer>();
  private stopped = false;

  constructor(host: CronScheduleHost) {
    this.host = host;
  }

  start(definitions: Iterable<WorkflowDefinition>): void {
    for (const def of definitions) {
      for (const expression of def.schedules)
        void this.catchUp(def, expression, parseCron(expression, def.name));
    }
  }

  stop(): void {
    this.stopped = true;
    for (const cancel of this.timers) cancel();
    this.timers.clear();
  }

  /** At start-up: fires the latest missed time once (or records the first start), then arms. */
  private async catchUp(def: WorkflowDefinition, expression: string, cron: Cron): Promise<void> {
    const { store, clock } = this.host;
    const now = clock.now();
    try {
      // Up to and including `now`: the timer armed below only covers times after `now`.
      const latest = cron.previousRuns(1, new Date(now + 1))[0]?.getTime() ?? now;
      const mark = await store.scheduleMark(def.name, expression);
      if (mark === null) await store.advanceSchedule(def.name, expression, latest, null, now);
      else if (latest > mark) await this.fire(def, expression, latest);
    } catch (error) {
      this.host.report(error, `schedule "${expression}" of workflow "${def.name}"`);
    }
    // Armed after `now`, not after the catch-up's end: a time passing meanwhile is not lost.
    this.arm(def, expression, cron, now);
  }

  private arm(def: WorkflowDefinition, expression: string, cron: Cron, after = this.host.clock.now()): void {
    if (this.stopped) return;
    const next = cron.nextRun(new Date(after))?.getTime();
    if (next === undefined) return;
    const cancel = this.host.clock.setTimer(next, async () => {
      this.timers.delete(cancel);
      try {
        await this.fire(def, expression, next);
      } catch (error) {
        this.host.report(error, `schedule "${expression}" of workflow "${def.name}"`);
      }
      // From the fired time: a time that passed while the firing was written still fires.
      this.arm(def, expression, cron, next);
    });
    this.timers.add(cancel);
  }

  private async fire(def: WorkflowDefinition, expression: string, scheduledTime: number): Promise<void> {
    if (this.stopped) return;
    const id = scheduledInstanceId(expression, scheduledTime);
    const instance: NewInstance = {
      workflow: def.name,
      id,
      params: encodeValue({}, "schedule params", "instance.params_too_large"),
      trigger: "cron",
      successRetentionMs: def.retention.successMs,
      errorRetentionMs: def.retention.errorMs,
    };
    const now = this.host.clock.now();
    if (await this.host.store.advanceSchedule(def.name, expression, scheduledTime, instance, now)) {
      this.host.created(def.name, id);
    }
  }
}
