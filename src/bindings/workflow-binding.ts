// The Workflow binding (`env.MY_WORKFLOW`) and the WorkflowInstance handle, exactly Cloudflare's
// shape. Thin by design: each method validates its arguments' shape and calls the engine. It sits
// above the engine (api/ holds only Cloudflare's vocabulary and imports nothing of Cairn).

import type {
  InstanceStatus,
  Workflow,
  WorkflowDeleteBatchResult,
  WorkflowInstance,
  WorkflowInstanceCreateOptions,
  WorkflowRestartOptions,
} from "../api/types.js";
import { type Engine, type InstanceRef, notFound } from "../engine/engine.js";
import { deleteBatch } from "./instance-operations.js";

/**
 * The engine and workflow name behind a binding, for cairn/testing's introspection (Cloudflare's
 * `introspectWorkflow(env.MY_WORKFLOW)` takes the binding). Not part of Cloudflare's API.
 * @internal
 */
export const BINDING_TARGET: unique symbol = Symbol.for("cairn.workflowBinding.target");

/** What `binding[BINDING_TARGET]()` returns. @internal */
export type BindingTarget = { engine: Engine; workflow: string };

/** A handle on one instance; cheap to create, holds no state but its id. */
export class WorkflowInstanceHandle implements WorkflowInstance {
  readonly id: string;
  readonly #engine: Engine;
  readonly #workflow: string;
  readonly #caller: InstanceRef | undefined;

  /** `caller`: the instance whose workflow code holds this handle, if any (see `delete`). */
  constructor(engine: Engine, workflow: string, id: string, caller?: InstanceRef) {
    this.#engine = engine;
    this.#workflow = workflow;
    this.id = id;
    this.#caller = caller;
  }

  /** `{ status, error?, output? }`; `output` once complete, `error` once errored. */
  status(): Promise<InstanceStatus> {
    return this.#engine.status(this.#workflow, this.id);
  }

  pause(): Promise<void> {
    return this.#engine.pause(this.#workflow, this.id);
  }

  resume(): Promise<void> {
    return this.#engine.resume(this.#workflow, this.id);
  }

  /** Ends the instance; with `{ rollback: true }` its rollback handlers run first. */
  terminate(options?: { rollback?: boolean }): Promise<void> {
    return this.#engine.terminate(this.#workflow, this.id, options);
  }

  /** From the start, or with `{ from: { name, count?, type? } }` from that step on. */
  restart(options?: WorkflowRestartOptions): Promise<void> {
    if (options?.from !== undefined) return this.#engine.restartFrom(this.#workflow, this.id, options.from);
    return this.#engine.restart(this.#workflow, this.id);
  }

  /** Deletes the instance; an instance that deletes itself stops there (the call never returns). */
  async delete(): Promise<void> {
    const [result] = await this.#engine.delete(this.#workflow, [this.id], this.#caller);
    if (result?.outcome !== "deleted") throw notFound(this.#workflow, this.id);
  }

  sendEvent(options: { type: string; payload: unknown }): Promise<void> {
    return this.#engine.sendEvent(this.#workflow, this.id, options);
  }
}

/**
 * The binding of one workflow.
 * @example
 * const instance = await env.MY_WORKFLOW.create({ id: "order-42", params: { amount: 3 } });
 */
export class WorkflowBinding<PARAMS = unknown> implements Workflow<PARAMS> {
  readonly #engine: Engine;
  readonly #workflow: string;
  readonly #caller: InstanceRef | undefined;

  /** `caller`: the instance whose `this.env` holds this binding (none for the caller's env). */
  constructor(engine: Engine, workflow: string, caller?: InstanceRef) {
    this.#engine = engine;
    this.#workflow = workflow;
    this.#caller = caller;
  }

  async get(id: string): Promise<WorkflowInstance> {
    const record = await this.#engine.get(this.#workflow, id);
    return this.#handle(record.id);
  }

  async create(options?: WorkflowInstanceCreateOptions<PARAMS>): Promise<WorkflowInstance> {
    const [id] = await this.#engine.create(this.#workflow, [options ?? {}], "single");
    return this.#handle(id!);
  }

  /** Creates up to 100 instances; ids that already exist are skipped and left out of the result. */
  async createBatch(batch: WorkflowInstanceCreateOptions<PARAMS>[]): Promise<WorkflowInstance[]> {
    const ids = await this.#engine.create(this.#workflow, batch, "batch");
    return ids.map((id) => this.#handle(id));
  }

  /** Deletes up to 100 instances; duplicates are deleted once; missing ids are reported as errors. */
  deleteBatch(instanceIds: string[]): Promise<WorkflowDeleteBatchResult> {
    return deleteBatch(this.#engine, this.#workflow, instanceIds, this.#caller);
  }

  /** @internal For cairn/testing: the engine and the workflow this binding reaches. */
  [BINDING_TARGET](): BindingTarget {
    return { engine: this.#engine, workflow: this.#workflow };
  }

  #handle(id: string): WorkflowInstanceHandle {
    return new WorkflowInstanceHandle(this.#engine, this.#workflow, id, this.#caller);
  }
}
