// A tracked rollback handler for the crash test: it leaves rb-start and rb-end lines in the
// effects file (with wall-clock times, which check-rollbacks compares with the commit time of the
// handler's journal record) and a verdict on the input it received (step name, context, error,
// output), so the parent can tell that every run of every handler got what it should.

import { setTimeout as delay } from "node:timers/promises";
import type { WorkflowRollbackHandler, WorkflowRollbackOptions } from "cairn";
import type { Effects } from "./effects.js";

/** Like the steps' PLAIN config: a crash during a handler counts as a failed attempt. */
const RB_CONFIG = { retries: { limit: 50, delay: 5, backoff: "constant" as const } };

/** Handlers that already failed on purpose in this process (flaky ones fail once per process). */
const failedHere = new Set<string>();

export type RollbackInput<T> = Parameters<WorkflowRollbackHandler<T>>[0];
/** Returns "" when the handler-specific part of the input is right, else a short reason. */
export type InputCheck<T> = (input: RollbackInput<T>) => string | Promise<string>;

export function trackedRollback<T>(
  effects: Effects,
  instance: string,
  name: string,
  check: InputCheck<T>,
  flaky = false,
): WorkflowRollbackOptions<T> {
  return {
    rollbackConfig: RB_CONFIG,
    rollback: async (input) => {
      effects.rollbackStart(instance, name);
      await delay(3 + Math.floor(Math.random() * 28));
      const verdict = await judge(name, input, check);
      const key = `${instance}/${name}`;
      const fail = flaky && !failedHere.has(key);
      failedHere.add(key);
      effects.rollbackEnd(instance, name, !fail, verdict, input.ctx.attempt);
      if (fail) throw new Error(`rollback of ${name} fails at its first run in each process`);
    },
  };
}

/** "good", or the reasons joined by "+" (no spaces: the verdict is one field of an effects line). */
async function judge<T>(name: string, input: RollbackInput<T>, check: InputCheck<T>): Promise<string> {
  const reasons: string[] = [];
  if (input.stepName !== name) reasons.push("stepName");
  if (input.ctx.step.name !== name || input.ctx.step.count !== 1) reasons.push("ctx.step");
  try {
    const own = await check(input);
    if (own) reasons.push(own);
  } catch (error) {
    reasons.push(`check-threw:${String(error).replace(/\s+/g, "_")}`);
  }
  return reasons.length === 0 ? "good" : reasons.join("+");
}
