// The control operations by workflow name, for callers outside workflow code (the HTTP API, the
// CLI through it, a dashboard): the same engine calls the binding makes, with the trigger that
// created an instance recorded as this caller's (the HTTP API creates with "api").

import type {
  InstanceStatus,
  WorkflowDeleteBatchResult,
  WorkflowInstanceCreateOptions,
} from "../api/types.js";
import { type Engine, type InstanceRef, MAX_BATCH, notFound } from "../engine/engine.js";
import { describeValue } from "../engine/validate.js";
import { WorkflowsError } from "../errors.js";
import type { TraceContext, TriggerSource } from "../storage/types.js";

/** Where a restart starts, as Cloudflare's `restart({ from })` takes it. */
export type RestartFrom = { name: string; count?: number; type?: "do" | "sleep" | "waitForEvent" };

export class InstanceOperations {
  readonly #engine: Engine;
  readonly #trigger: TriggerSource;

  constructor(engine: Engine, trigger: TriggerSource) {
    this.#engine = engine;
    this.#trigger = trigger;
  }

  /**
   * Creates one instance; `instance.already_exists` when the id is taken. `parent`: the trace it
   * continues when the caller has no active span (a request's `traceparent`).
   */
  async create(
    workflow: string,
    options: WorkflowInstanceCreateOptions,
    parent?: TraceContext | null,
  ): Promise<string> {
    const [id] = await this.#engine.create(workflow, [options], "single", this.#trigger, parent);
    return id!;
  }

  /** Creates up to 100 instances; ids that already exist are skipped and left out of the result. */
  createBatch(
    workflow: string,
    batch: WorkflowInstanceCreateOptions[],
    parent?: TraceContext | null,
  ): Promise<string[]> {
    return this.#engine.create(workflow, batch, "batch", this.#trigger, parent);
  }

  /** `{ status, output?, error? }`, as `instance.status()` answers. */
  status(workflow: string, id: string): Promise<InstanceStatus> {
    return this.#engine.status(workflow, id);
  }

  pause(workflow: string, id: string): Promise<void> {
    return this.#engine.pause(workflow, id);
  }

  resume(workflow: string, id: string): Promise<void> {
    return this.#engine.resume(workflow, id);
  }

  terminate(workflow: string, id: string, options?: { rollback?: boolean }): Promise<void> {
    return this.#engine.terminate(workflow, id, options);
  }

  /** From the start, or from a step on (earlier steps keep their results). */
  restart(workflow: string, id: string, from?: RestartFrom): Promise<void> {
    if (from !== undefined) return this.#engine.restartFrom(workflow, id, from);
    return this.#engine.restart(workflow, id);
  }

  sendEvent(workflow: string, id: string, event: { type: string; payload: unknown }): Promise<void> {
    return this.#engine.sendEvent(workflow, id, event);
  }

  /** Deletes up to 100 instances; missing ids come back in `errors`. */
  deleteBatch(workflow: string, ids: string[]): Promise<WorkflowDeleteBatchResult> {
    return deleteBatch(this.#engine, workflow, ids);
  }
}

/** Deletes 1 to 100 instances; `caller` is the instance whose code asked, if any. */
export async function deleteBatch(
  engine: Engine,
  workflow: string,
  ids: string[],
  caller?: InstanceRef,
): Promise<WorkflowDeleteBatchResult> {
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_BATCH) {
    throw new WorkflowsError(
      "batch.invalid",
      `deleteBatch needs an array of 1 to ${MAX_BATCH} instance ids, got ${describeValue(ids)}`,
    );
  }
  const results = await engine.delete(workflow, ids, caller);
  const out: WorkflowDeleteBatchResult = { deleted: [], errors: [] };
  for (const r of results) {
    if (r.outcome === "deleted") out.deleted.push({ id: r.id });
    else {
      const { code, message, detail } = notFound(workflow, r.id);
      out.errors.push({ id: r.id, code, message, detail });
    }
  }
  return out;
}
