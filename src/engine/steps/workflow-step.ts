// The `step` object handed to `run`: parses Cloudflare's overloaded arguments and delegates to
// the step kinds. One per activation, so each replay has fresh per-name counters.

import type { WorkflowRollbackOptions, WorkflowStep } from "../../api/types.js";
import { WorkflowsError } from "../../errors.js";
import type { StepHost } from "../activation/types.js";
import { describeValue } from "../validate.js";
import { runStepDo } from "./do.js";
import { runSleep, runSleepUntil } from "./sleep.js";
import { runWaitForEvent } from "./wait-for-event.js";

/** The `step` object of one activation's run. */
export function createWorkflowStep(a: StepHost): WorkflowStep {
  return {
    do(
      name: string,
      configOrCallback: unknown,
      maybeCallback?: unknown,
      maybeRollback?: unknown,
    ): Promise<any> {
      const hasConfig = typeof configOrCallback !== "function";
      const callback = hasConfig ? maybeCallback : configOrCallback;
      const rollback = (hasConfig ? maybeRollback : maybeCallback) as
        | WorkflowRollbackOptions<unknown>
        | undefined;
      if (typeof callback !== "function") {
        return Promise.reject(
          new WorkflowsError(
            "step.invalid_config",
            `step.do("${String(name)}") needs a callback function, got ${describeValue(callback)}`,
          ),
        );
      }
      return guard(() =>
        runStepDo(a, name, hasConfig ? configOrCallback : undefined, callback as never, rollback),
      );
    },
    sleep: (name, duration) => guard(() => runSleep(a, name, duration)),
    sleepUntil: (name, timestamp) => guard(() => runSleepUntil(a, name, timestamp)),
    waitForEvent: (name, options) => guard(() => runWaitForEvent(a, name, options)),
  } as WorkflowStep;
}

/** Turns a synchronous validation throw into a rejected promise, as an async API should. */
function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (error) {
    return Promise.reject(error);
  }
}
