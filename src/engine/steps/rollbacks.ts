// Rollback handlers: steps register `{ rollback, rollbackConfig }`; when the instance fails, or
// is terminated with `{ rollback: true }`, the handlers of the steps that started run in reverse
// start order (undoing the latest effect first), each as a retriable step journaled under
// `rollback:<step key>`, and the chain stops at the first handler that fails.

import type { WorkflowRollbackOptions, WorkflowStepContext } from "../../api/types.js";
import type { ErrorRecord, LogInput, StepRecord } from "../../storage/types.js";
import type { LogNames, RetriableStep, RollbackLedger, StepHost } from "../activation/types.js";
import { decodeValue, fromErrorRecord } from "../values.js";
import { planFor } from "./do.js";
import { runRetriable } from "./retries.js";
import { isStreamResult, replayStream } from "./stream-results.js";

const ROLLBACK_LOGS: LogNames = {
  stepStart: "ROLLBACK_STEP_START",
  attemptStart: "ROLLBACK_ATTEMPT_START",
  attemptSuccess: "ROLLBACK_ATTEMPT_SUCCESS",
  attemptFailure: "ROLLBACK_ATTEMPT_FAILURE",
  stepSuccess: "ROLLBACK_STEP_SUCCESS",
  stepFailure: "ROLLBACK_STEP_FAILURE",
};

type Entry = {
  key: string;
  name: string;
  count: number;
  startOrder: number;
  options: WorkflowRollbackOptions<unknown>;
  ctx: WorkflowStepContext;
  output: unknown;
  error: Error | undefined;
};

/** The rollback handlers registered during one activation (rebuilt by replay after a restart). */
export class RollbackRegistry implements RollbackLedger {
  private readonly entries = new Map<string, Entry>();
  private readonly steps: StepHost;

  constructor(steps: StepHost) {
    this.steps = steps;
  }

  get size(): number {
    return this.entries.size;
  }

  register(
    step: RetriableStep,
    options: WorkflowRollbackOptions<unknown>,
    cached: StepRecord | undefined,
  ): void {
    const ctx: WorkflowStepContext = {
      step: { name: step.name, count: step.count },
      attempt: cached && "attempts" in cached ? Math.max(1, cached.attempts) : 1,
      config: structuredClone(step.plan.resolved),
    };
    let output: unknown;
    let error: Error | undefined;
    if (cached?.status === "succeeded") {
      output = cached.stream ? replayStream(this.steps, step.key) : decodeValue(cached.value);
    } else if (cached?.status === "failed") {
      error = fromErrorRecord(cached.error);
    }
    this.entries.set(step.key, { ...step, options, ctx, output, error });
  }

  attempted(key: string, ctx: WorkflowStepContext): void {
    const entry = this.entries.get(key);
    if (entry) entry.ctx = structuredClone(ctx);
  }

  succeeded(key: string, output: unknown): void {
    const entry = this.entries.get(key);
    if (entry) entry.output = output;
  }

  failed(key: string, error: Error): void {
    const entry = this.entries.get(key);
    if (entry) entry.error = error;
  }

  run(cause: ErrorRecord | undefined): Promise<void> {
    return runRollbacks(this.steps, this.entries, cause);
  }
}

/**
 * Runs the chain. `cause` is the instance's failure (undefined on terminate). It ends with
 * ROLLBACK_COMPLETE, or with ROLLBACK_FAILED when a handler failed or a registered step could not
 * be reached.
 */
async function runRollbacks(
  a: StepHost,
  entries: Map<string, Entry>,
  cause: ErrorRecord | undefined,
): Promise<void> {
  const log = (list: LogInput[]) => a.appendLog(list);
  // A chain resumed by a replay (after a hibernated retry or a restart) has started already.
  const resumed = a.recordsOf("rollback").length > 0;
  if (cause && !resumed) await log([{ type: "ROLLBACK_START", data: { reason: "failure", error: cause } }]);
  const missing = a.recordsOf("do").filter((r) => r.hasRollback && !entries.has(r.key));
  if (missing.length > 0) {
    await log([
      ...missing.map((r) => ({
        type: "ROLLBACK_STEP_FAILURE" as const,
        stepKey: `rollback:${r.key}`,
        data: {
          error: { name: "Error", message: `step "${r.name}" was missing when the workflow was replayed` },
        },
      })),
      { type: "ROLLBACK_FAILED" },
    ]);
    return;
  }
  const causeError = cause ? fromErrorRecord(cause) : undefined;
  const latestFirst = [...entries.values()].sort((x, y) => y.startOrder - x.startOrder);
  for (const entry of latestFirst) {
    const key = `rollback:${entry.key}`;
    const cached = a.recorded(key);
    if (cached?.status === "succeeded") continue;
    if (cached?.status === "failed") {
      await log([{ type: "ROLLBACK_FAILED", stepKey: key }]);
      return;
    }
    const step: RetriableStep = {
      key,
      kind: "rollback",
      name: entry.name,
      count: entry.count,
      startedAt: cached?.startedAt ?? a.now(),
      startOrder: cached?.startOrder ?? a.nextStartOrder(),
      plan: planFor(`rollback of ${entry.name}`, entry.options.rollbackConfig, cached),
      logs: ROLLBACK_LOGS,
      hasRollback: false,
      streams: false,
    };
    const input = {
      ctx: entry.ctx,
      error: entry.error ?? causeError,
      output: entry.output,
      stepName: entry.name,
    };
    // A stream output is given afresh to each attempt: the workflow (or an earlier attempt) may have read it.
    const output = () => (isStreamResult(entry.output) ? replayStream(a, entry.key) : entry.output);
    try {
      await runRetriable(a, step, () => entry.options.rollback!({ ...input, output: output() }), cached);
    } catch {
      await log([{ type: "ROLLBACK_FAILED", stepKey: key }]);
      return;
    }
  }
  await log([{ type: "ROLLBACK_COMPLETE" }]);
}
