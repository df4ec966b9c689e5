// The building block of the crash test's workflows: a `step.do` whose callback leaves start and
// end lines in the effects file and whose settled outcome leaves a "committed" line, plus the
// retry configs the steps share. Kept apart from workflows.ts so every workflow file can use it.

import { setTimeout as delay } from "node:timers/promises";
import type { WorkflowRollbackOptions, WorkflowStep, WorkflowStepConfig } from "cairn";
import type { Effects } from "./effects.js";

export type CrashEnv = { EFFECTS: Effects };
export type Seeded = { seed: number };

/** A crash mid-attempt counts as a failed attempt, so plain steps get room and short delays. */
export const PLAIN: WorkflowStepConfig = { retries: { limit: 50, delay: 5, backoff: "constant" } };
export const FLAKY: WorkflowStepConfig = { retries: { limit: 10, delay: 5, backoff: "constant" } };

export function mix(a: number, i: number): number {
  return (a * 31 + i * 7 + 1) % 1_000_003;
}

/**
 * Runs one tracked `step.do`: the callback logs its start, takes 3–40 ms of real time (so that
 * kills land inside it), computes `fn(attempt)` and logs its end; the workflow logs the commit of
 * the step's outcome (a result, or the final failure that `step.do` rethrows).
 */
export async function tracked<T>(
  step: WorkflowStep,
  effects: Effects,
  instance: string,
  name: string,
  config: WorkflowStepConfig,
  fn: (attempt: number) => T,
  rollback?: WorkflowRollbackOptions<T>,
): Promise<T> {
  let value: T;
  try {
    value = await step.do(
      name,
      config,
      async (ctx) => {
        effects.start(instance, name, ctx.attempt);
        await delay(3 + Math.floor(Math.random() * 38));
        let result: T;
        try {
          result = fn(ctx.attempt);
        } catch (error) {
          effects.end(instance, name, ctx.attempt, false);
          throw error;
        }
        effects.end(instance, name, ctx.attempt, true);
        return result;
      },
      rollback,
    );
  } catch (error) {
    effects.committed(instance, name);
    throw error;
  }
  effects.committed(instance, name);
  return value;
}
