// Rollback handlers (SPEC §10.2): steps register `{ rollback, rollbackConfig }`; when the
// instance fails, or is terminated with `{ rollback: true }`, the handlers of the steps that
// started run in reverse start order, each as a retriable step journaled under
// `rollback:<step key>`, and the chain stops at the first handler that fails.

import type { WorkflowRollbackOptions, WorkflowStepContext } from "../api/types.js";
import type { ErrorRecord, LogInput, StepRecord } from "../storage/types.js";
import type { Activation } from "./activation.js";
import { planFor, type RetriableStep, ROLLBACK_LOGS, runRetriable } from "./step-do.js";
import { isStreamResult, replayStream } from "./stream-results.js";
import { decodeValue, fromErrorRecord } from "./values.js";

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
export class RollbackRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly activation: Activation;

  constructor(activation: Activation) {
    this.activation = activation;
  }

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
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
      output = cached.stream ? replayStream(this.activation, step.key) : decodeValue(cached.value);
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

  /** Latest-started first. */
  inReverseStartOrder(): Entry[] {
    return [...this.entries.values()].sort((x, y) => y.startOrder - x.startOrder);
  }
}

/**
 * Runs the chain. `cause` is the instance's failure (undefined on terminate). It ends with
 * ROLLBACK_COMPLETE, or with ROLLBACK_FAILED when a handler failed or a registered step could not
 * be reached.
 */
export async function runRollbacks(a: Activation, cause: ErrorRecord | undefined): Promise<void> {
  const log = (entries: LogInput[]) => {
    a.flushStarts();
    return a.track(a.host.store.appendLog(a.fence, entries, a.now()));
  };
  // A chain resumed by a replay (after a hibernated retry or a restart) has started already.
  const resumed = [...a.journal.values()].some((r) => r.kind === "rollback");
  if (cause && !resumed) await log([{ type: "ROLLBACK_START", data: { reason: "failure", error: cause } }]);
  const missing = [...a.journal.values()].filter(
    (r) => r.kind === "do" && r.hasRollback && !a.rollbacks.has(r.key),
  );
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
  for (const entry of a.rollbacks.inReverseStartOrder()) {
    const key = `rollback:${entry.key}`;
    const cached = a.journal.get(key);
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
