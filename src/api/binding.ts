// The Workflow binding (`env.MY_WORKFLOW`) and the WorkflowInstance handle, exactly Cloudflare's
// shape. Thin by design: each method validates its arguments' shape and calls the engine.

import type { Engine } from "../engine/engine.js";
import { WorkflowsError } from "../errors.js";
import type {
  InstanceStatus,
  Workflow,
  WorkflowInstance,
  WorkflowInstanceCreateOptions,
  WorkflowRestartOptions,
} from "./types.js";

/** A handle on one instance; cheap to create, holds no state but its id. */
export class WorkflowInstanceHandle implements WorkflowInstance {
  readonly id: string;
  readonly #engine: Engine;
  readonly #workflow: string;

  constructor(engine: Engine, workflow: string, id: string) {
    this.#engine = engine;
    this.#workflow = workflow;
    this.id = id;
  }

  /** `{ status, error?, output? }` (SPEC A15). */
  status(): Promise<InstanceStatus> {
    return this.#engine.status(this.#workflow, this.id);
  }

  pause(): Promise<void> {
    return this.#engine.pause(this.#workflow, this.id);
  }

  resume(): Promise<void> {
    return this.#engine.resume(this.#workflow, this.id);
  }

  terminate(_options?: { rollback?: boolean }): Promise<void> {
    return this.#engine.terminate(this.#workflow, this.id);
  }

  restart(options?: WorkflowRestartOptions): Promise<void> {
    if (options?.from !== undefined) {
      return Promise.reject(
        new WorkflowsError(
          "instance.cannot_restart",
          "restart({ from }) is not supported by this version of Cairn yet",
        ),
      );
    }
    return this.#engine.restart(this.#workflow, this.id);
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

  constructor(engine: Engine, workflow: string) {
    this.#engine = engine;
    this.#workflow = workflow;
  }

  async get(id: string): Promise<WorkflowInstance> {
    const record = await this.#engine.get(this.#workflow, id);
    return new WorkflowInstanceHandle(this.#engine, this.#workflow, record.id);
  }

  async create(options?: WorkflowInstanceCreateOptions<PARAMS>): Promise<WorkflowInstance> {
    const [id] = await this.#engine.create(this.#workflow, [options ?? {}], "single");
    return new WorkflowInstanceHandle(this.#engine, this.#workflow, id!);
  }

  /** Creates up to 100 instances; ids that already exist are skipped and left out of the result. */
  async createBatch(batch: WorkflowInstanceCreateOptions<PARAMS>[]): Promise<WorkflowInstance[]> {
    const ids = await this.#engine.create(this.#workflow, batch, "batch");
    return ids.map((id) => new WorkflowInstanceHandle(this.#engine, this.#workflow, id));
  }
}
