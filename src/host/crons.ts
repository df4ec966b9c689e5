// Cron Triggers: runs the Worker's `scheduled` handler on each cron of `triggers.crons`, in UTC as
// Cloudflare does. Expressions have Cloudflare's five fields (minute hour day month weekday); an
// invalid one is reported at start-up naming it.

import { Cron } from "croner";

/** Why `expr` is not a cron Cloudflare would accept, or null if it is fine. */
export function cronProblem(expr: unknown): string | null {
  if (typeof expr !== "string" || expr.trim() === "") return "a cron must be a non-empty string";
  try {
    new Cron(expr, { mode: "5-part", timezone: "UTC", paused: true }).stop();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The `controller` argument of `scheduled(controller, env, ctx)`. */
export type ScheduledController = {
  readonly scheduledTime: number;
  readonly cron: string;
  readonly type: "scheduled";
  noRetry(): void;
};

export function scheduledController(cron: string, scheduledTime: number): ScheduledController {
  return { scheduledTime, cron, type: "scheduled", noRetry: () => {} };
}

/** One croner job per expression; `fire` is called with the expression and the scheduled time. */
export class CronTriggers {
  private readonly jobs: Cron[] = [];

  constructor(crons: string[], fire: (cron: string, scheduledTime: number) => void) {
    for (const cron of crons) {
      const job = new Cron(cron, { mode: "5-part", timezone: "UTC", protect: false }, (self: Cron) => {
        fire(cron, self.currentRun()?.getTime() ?? Date.now());
      });
      this.jobs.push(job);
    }
  }

  /** The next time each cron fires (for the start-up log). */
  nextRuns(): { cron: string; next: string | null }[] {
    return this.jobs.map((job) => ({
      cron: job.getPattern() ?? "",
      next: job.nextRun()?.toISOString() ?? null,
    }));
  }

  stop(): void {
    for (const job of this.jobs) job.stop();
  }
}
