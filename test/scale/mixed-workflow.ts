// The workflow the scale-out tests run in their worker processes: plain steps, a flaky step that
// retries (with a delay long enough to hibernate), a sleep that stays in memory or hibernates,
// and a wait for an event sent by another process. Every step callback appends a line to a
// shared effects file (see effects-log.ts), and the output is predictable from the params and
// the event, so the tests can check every instance.

import { setTimeout as delay } from "node:timers/promises";
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep, type WorkflowStepConfig } from "cairn";
import type { EffectsLog } from "./effects-log.js";

export type MixedEnv = { EFFECTS: EffectsLog };
export type MixedParams = { n: number };
export type GoEvent = { token: string; value: number };

/** A crash mid-attempt counts as a failed attempt: plain steps get room for kills. */
const PLAIN: WorkflowStepConfig = { retries: { limit: 20, delay: 10, backoff: "constant" } };
/** Flaky steps fail their first attempts; 300 ms delays hibernate (workers use hibernateAfterMs 200). */
const FLAKY: WorkflowStepConfig = { retries: { limit: 20, delay: 300, backoff: "constant" } };
export const FLAKY_FAILURES = 2;
/** Sleeps in memory (50 ms) or hibernated and woken by whichever worker claims them first. */
const NAPS = [50, 400, 1500] as const;

export const STEPS = ["a", "b", "c"] as const;

export const isFlaky = (n: number) => n % 4 === 0;

export function eventFor(id: string, n: number): GoEvent {
  return { token: `token-${id}`, value: n % 97 };
}

export function expectedOutput(id: string, n: number) {
  const a = n * 3 + 1;
  const b = a + 7;
  return { n, c: b + eventFor(id, n).value, token: eventFor(id, n).token };
}

export class Mixed extends WorkflowEntrypoint<MixedEnv, MixedParams> {
  async run(event: WorkflowEvent<MixedParams>, step: WorkflowStep) {
    const { n } = event.payload;
    const id = event.instanceId;
    const effects = this.env.EFFECTS;
    const tracked = async <T>(name: string, config: WorkflowStepConfig, fn: (attempt: number) => T) => {
      const value = await step.do(name, config, async (ctx) => {
        effects.start(id, name, ctx.attempt);
        // A few ms of work, so that a kill can land inside an attempt.
        await delay(2 + (n % 15));
        return fn(ctx.attempt);
      });
      effects.committed(id, name);
      return value;
    };
    const a = await tracked("a", PLAIN, () => n * 3 + 1);
    const b = await tracked("b", FLAKY, (attempt) => {
      if (isFlaky(n) && attempt <= FLAKY_FAILURES) throw new Error(`b of ${id} fails attempt ${attempt}`);
      return a + 7;
    });
    await step.sleep("nap", NAPS[n % NAPS.length]!);
    const go = await step.waitForEvent<GoEvent>("go", { type: "go", timeout: "1 hour" });
    const c = await tracked("c", PLAIN, () => b + go.payload.value);
    return { n, c, token: go.payload.token };
  }
}
