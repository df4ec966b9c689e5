// `step.do` as named phases: look up the journal (a finished step returns its stored result),
// plan the config (the one persisted at the first attempt wins on replay), wait at the gate,
// then run attempts through the retry loop (retries.ts). Registers rollback handlers.

import type { ResolvedStepConfig, WorkflowRollbackOptions, WorkflowStepConfig } from "../../api/types.js";
import { WorkflowsError } from "../../errors.js";
import type { StepRecord } from "../../storage/types.js";
import type { LogNames, RetriableStep, StepHost } from "../activation/types.js";
import { planStep, type StepPlan } from "../step-config.js";
import { describeValue, validateStepName } from "../validate.js";
import { decodeValue, fromErrorRecord } from "../values.js";
import { runRetriable, type StepCallback } from "./retries.js";
import { replayStream } from "./stream-results.js";

const DO_LOGS: LogNames = {
  stepStart: "STEP_START",
  attemptStart: "ATTEMPT_START",
  attemptSuccess: "ATTEMPT_SUCCESS",
  attemptFailure: "ATTEMPT_FAILURE",
  stepSuccess: "STEP_SUCCESS",
  stepFailure: "STEP_FAILURE",
};

/** Runs (or replays) one `step.do`; resolves with its result once that is durable. */
export async function runStepDo(
  a: StepHost,
  name: string,
  config: unknown,
  callback: StepCallback,
  rollbackOptions?: WorkflowRollbackOptions<unknown>,
): Promise<unknown> {
  validateStepName(name);
  const rollback = checkRollbackOptions(name, rollbackOptions);
  const { key, count, cached } = a.lookup("do", name);
  const limited = a.countDo();
  if (limited) return limited;
  const plan = planFor(name, config, cached);
  const step: RetriableStep = {
    key,
    kind: "do",
    name,
    count,
    startedAt: cached?.startedAt ?? a.now(),
    startOrder: cached?.startOrder ?? 0,
    plan,
    logs: DO_LOGS,
    hasRollback: rollback !== undefined,
    streams: true,
  };
  if (rollback && cached) a.rollbacks.register(step, rollback, cached);
  if (cached?.status === "succeeded") {
    return cached.stream ? replayStream(a, key) : decodeValue(cached.value);
  }
  if (cached?.status === "failed") throw fromErrorRecord(cached.error);
  if (a.replayOnly) {
    // Rolling back after terminate: replay stops at the first step that has not finished.
    return a.frontier();
  }
  // Always a turn of the microtask queue: the callback never runs inside the step.do call itself.
  await a.gate();
  if (!cached) step.startOrder = a.nextStartOrder();
  if (rollback && !cached) a.rollbacks.register(step, rollback, undefined);
  return runRetriable(a, step, callback, cached);
}

function checkRollbackOptions(
  name: string,
  options: WorkflowRollbackOptions<unknown> | undefined,
): WorkflowRollbackOptions<unknown> | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== "object" || options === null) {
    throw new WorkflowsError(
      "step.invalid_config",
      `the rollback options of step "${name}" must be { rollback, rollbackConfig? }, got ${describeValue(options)}`,
    );
  }
  if (options.rollback === undefined) return undefined;
  if (typeof options.rollback !== "function") {
    throw new WorkflowsError(
      "step.invalid_config",
      `the rollback of step "${name}" must be a function, got ${describeValue(options.rollback)}`,
    );
  }
  planStep(`rollback of ${name}`, options.rollbackConfig);
  return options;
}

/**
 * On replay the config persisted at the first attempt wins over the code's, so that a deploy
 * changing a step's retries or timeout does not change a step already under way.
 */
export function planFor(name: string, config: unknown, cached: StepRecord | undefined): StepPlan {
  const fresh = planStep(name, config);
  const persisted = cached?.config as ResolvedStepConfig | null | undefined;
  if (!persisted) return fresh;
  const retries = { ...persisted.retries, delay: persisted.retries.delay ?? fresh.delayFn };
  return planStep(name, { ...persisted, retries } as WorkflowStepConfig);
}
