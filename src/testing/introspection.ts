// Cloudflare's workflow introspection for tests (`cloudflare:test`), on a real Cairn:
// `introspectWorkflowInstance(binding, id)` attaches to one instance id, before or after it
// exists; `introspectWorkflow(binding)` captures every instance the workflow creates from then
// on. Both change how steps run (see modifier.ts) and wait for results and statuses. The
// overrides live in this process's memory; on a store shared by several processes the instances
// they apply to run in this process only (see Engine.pinIntrospected).

import type { InstanceStatusName, Workflow } from "../api/types.js";
import { BINDING_TARGET, type BindingTarget } from "../bindings/workflow-binding.js";
import type { CreationWatch, Engine } from "../engine/engine.js";
import { notFound } from "../engine/engine.js";
import { validateAddressableId } from "../engine/validate.js";
import { decodeValue, fromErrorRecord } from "../engine/values.js";
import { WorkflowsError } from "../errors.js";
import { FINISHED_STATUSES, type InstanceRecord, type StoredStatus } from "../storage/types.js";
import { cloudflare, IntrospectionError, invalidArgument } from "./errors.js";
import { type Cancel, canReach, STATUSES, type Watch, watchInstance } from "./instance-watch.js";
import { checkSelector, Modifier, type WorkflowInstanceModifier } from "./modifier.js";
import { InstanceOverrides, streamOf, type WorkflowStepSelector } from "./overrides.js";

/** What `modify` and `modifyAll` take. */
export type ModifierCallback = (modifier: WorkflowInstanceModifier) => Promise<void> | void;

/**
 * One instance, introspected: change how its steps run, and wait for what it does.
 * @example
 * const instance = await introspectWorkflowInstance(cairn.env.ORDERS, "order-1");
 * try {
 *   await instance.modify(async (m) => { await m.disableSleeps(); await m.mockStepResult({ name: "charge" }, { ok: true }); });
 *   await cairn.env.ORDERS.create({ id: "order-1" });
 *   await instance.waitForStatus("complete");
 * } finally {
 *   await instance.dispose();
 * }
 */
export interface WorkflowInstanceIntrospector {
  /** The instance's id (a Cairn addition: Cloudflare's introspector does not show it). */
  readonly id: string;
  /** Applies `fn`'s modifications to the instance (they last until `dispose`, restarts included). */
  modify(fn: ModifierCallback): Promise<WorkflowInstanceIntrospector>;
  /** The result of the `index`-th `step.do(name)` once it succeeded (rejects with its error if it failed). */
  waitForStepResult(step: WorkflowStepSelector): Promise<unknown>;
  /** Resolves once the instance is in `status`; rejects as soon as it can no longer get there. */
  waitForStatus(status: InstanceStatusName): Promise<void>;
  /** The output of a `complete` instance. */
  getOutput(): Promise<unknown>;
  /** `{ name, message }` of an `errored` instance. */
  getError(): Promise<{ name: string; message: string }>;
  /** Stops the instance if it runs, deletes it with everything stored, drops its modifications. */
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * A session on one workflow: every instance it creates from now on is captured.
 * @example
 * const workflow = await introspectWorkflow(cairn.env.ORDERS);
 * try {
 *   await workflow.modifyAll(async (m) => { await m.disableSleeps(); });
 *   await cairn.env.ORDERS.createBatch([{}, {}]);
 *   for (const instance of await workflow.get()) await instance.waitForStatus("complete");
 * } finally {
 *   await workflow.dispose();
 * }
 */
export interface WorkflowIntrospector {
  /** Records modifications applied to every instance created afterwards, before its first run. */
  modifyAll(fn: ModifierCallback): Promise<void>;
  /** An introspector for each instance created since the session started. */
  get(): Promise<WorkflowInstanceIntrospector[]>;
  /** Ends the session and disposes every captured instance. */
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Attaches to instance `instanceId` of the binding's workflow, whether or not it exists yet
 * (introspect, `modify`, then create it, so that its first run already has the modifications).
 */
export async function introspectWorkflowInstance(
  workflow: Workflow<any>,
  instanceId: string,
): Promise<WorkflowInstanceIntrospector> {
  if (!workflow || !instanceId) throw cloudflare.required();
  const { engine, workflow: name } = targetOf(workflow, "introspectWorkflowInstance");
  const id = validateAddressableId(instanceId);
  engine.assertOpen();
  const overrides = attach(engine, name, id);
  await engine.pinIntrospected(name, id);
  return new InstanceIntrospector(engine, name, id, overrides);
}

/**
 * Starts the one introspection session of the binding's workflow: every instance it creates
 * from now on (through any binding, `cairn.operations` or the HTTP API of this Cairn) is captured.
 */
export async function introspectWorkflow(workflow: Workflow<any>): Promise<WorkflowIntrospector> {
  const { engine, workflow: name } = targetOf(workflow, "introspectWorkflow");
  engine.assertOpen();
  if (engine.overrides.session(name)) {
    throw cloudflare.sessionExists(name, engine.definition(name)?.binding ?? name);
  }
  const session = new WorkflowSession(engine, name);
  engine.overrides.watch(name, session);
  return session;
}

/** The engine and workflow behind a binding Cairn made. */
function targetOf(binding: unknown, method: string): BindingTarget {
  const target = (binding as { [BINDING_TARGET]?: () => BindingTarget } | null)?.[BINDING_TARGET];
  if (typeof target !== "function") {
    throw invalidArgument(
      `the binding given to ${method}`,
      "a workflow binding of Cairn (env.MY_WORKFLOW)",
      binding,
    );
  }
  return target.call(binding);
}

/** The overrides of an instance: those already installed, or new ones. */
function attach(engine: Engine, workflow: string, id: string): InstanceOverrides {
  const existing = engine.overrides.get(workflow, id);
  if (existing instanceof InstanceOverrides) return existing;
  const overrides = new InstanceOverrides();
  engine.overrides.install(workflow, id, overrides);
  return overrides;
}

class InstanceIntrospector implements WorkflowInstanceIntrospector {
  readonly id: string;
  readonly #engine: Engine;
  readonly #workflow: string;
  readonly #overrides: InstanceOverrides;
  readonly #waiters = new Set<Cancel>();
  #disposed = false;

  constructor(engine: Engine, workflow: string, id: string, overrides: InstanceOverrides) {
    this.#engine = engine;
    this.#workflow = workflow;
    this.id = id;
    this.#overrides = overrides;
  }

  async modify(fn: ModifierCallback): Promise<WorkflowInstanceIntrospector> {
    this.#assertLive();
    if (typeof fn !== "function") throw invalidArgument("the argument of modify", "a function", fn);
    const mockedTypes: string[] = [];
    const modifier = new Modifier((op) => {
      this.#assertLive();
      this.#overrides.apply(op, this.#engine.clock.now());
      if (op.type === "mockEvent") mockedTypes.push(op.event.type);
    });
    try {
      await fn(modifier);
    } finally {
      // Whatever fn did before it threw is in effect, as on Cloudflare: the instance hears of it.
      if (!this.#disposed) await this.#engine.overridesChanged(this.#workflow, this.id, mockedTypes);
    }
    return this;
  }

  async waitForStepResult(step: WorkflowStepSelector): Promise<unknown> {
    this.#assertLive();
    const { name, index = 1 } = checkSelector("waitForStepResult", step);
    const key = `do:${index}:${name}`;
    const seen = { instance: false };
    return this.#watch<unknown>({
      check: async () => {
        const record = await this.#read(seen);
        if (!record) return undefined;
        const journal = await this.#engine.readJournal(this.#workflow, this.id);
        const found = journal.find((r) => r.key === key);
        if (found?.status === "succeeded") {
          if (!found.stream) return { value: decodeValue(found.value) };
          const bytes = await this.#engine.readStreamResult(this.#workflow, this.id, key);
          return { value: streamOf(bytes.byteLength > 0 ? [bytes] : []) };
        }
        if (found?.status === "failed") return { error: fromErrorRecord(found.error) };
        if (FINISHED_STATUSES.includes(record.status)) {
          return {
            error: new IntrospectionError(
              "introspection.unreachable_status",
              `instance "${this.id}" is ${record.status} and its step.do "${name}" #${index} never finished: no result will come`,
            ),
          };
        }
        return undefined;
      },
    });
  }

  async waitForStatus(status: InstanceStatusName): Promise<void> {
    this.#assertLive();
    if (!STATUSES.includes(status as StoredStatus)) {
      throw invalidArgument("the status given to waitForStatus", `one of ${STATUSES.join(", ")}`, status);
    }
    // As on Cloudflare: every instance starts queued, so that wait is over at once.
    if (status === "queued") return;
    const target = status as StoredStatus;
    const seen = { instance: false };
    const verdict = (current: StoredStatus) => {
      if (current === target) return { value: undefined };
      if (!canReach(current, target)) return { error: cloudflare.unreachable(this.id, current, target) };
      return undefined;
    };
    return this.#watch<undefined>({
      check: async () => {
        const record = await this.#read(seen);
        return record ? verdict(record.status) : undefined;
      },
      // A status that does not last (running between two waits) counts when it happens.
      onChange: (change) =>
        change.type === "status" && change.status === target ? { value: undefined } : undefined,
    });
  }

  async getOutput(): Promise<unknown> {
    this.#assertLive();
    const status = await this.#engine.status(this.#workflow, this.id);
    if (status.status !== "complete") throw cloudflare.noOutput(status.status);
    return status.output;
  }

  async getError(): Promise<{ name: string; message: string }> {
    this.#assertLive();
    const status = await this.#engine.status(this.#workflow, this.id);
    if (status.status !== "errored" || !status.error) throw cloudflare.noError(status.status);
    return { name: status.error.name, message: status.error.message };
  }

  /** Bound, so that `onTestFinished(instance.dispose)` works. Idempotent. */
  readonly dispose = async (): Promise<void> => {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const cancel of [...this.#waiters]) cancel(cloudflare.disposed());
    try {
      await this.#engine.delete(this.#workflow, [this.id]);
    } catch (error) {
      // Nothing left to stop once the engine is closed.
      if (!(WorkflowsError.is(error) && error.code === "engine.closed")) throw error;
    } finally {
      this.#engine.overrides.uninstall(this.#workflow, this.id, this.#overrides);
    }
  };

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  /** The instance's record; after it was seen once, its disappearance is an error (deleted). */
  async #read(seen: { instance: boolean }): Promise<InstanceRecord | undefined> {
    this.#engine.assertOpen();
    const record = await this.#engine.store.getInstance(this.#workflow, this.id);
    if (record) seen.instance = true;
    else if (seen.instance) throw notFound(this.#workflow, this.id);
    return record;
  }

  #watch<T>(watch: Watch<T>): Promise<T> {
    return watchInstance(this.#engine, this.#workflow, this.id, watch, this.#waiters);
  }

  #assertLive(): void {
    if (this.#disposed) throw cloudflare.disposed();
  }
}

class WorkflowSession implements WorkflowIntrospector, CreationWatch {
  readonly #engine: Engine;
  readonly #workflow: string;
  /** The modifications recorded by modifyAll, applied to a copy for each new instance. */
  #template = new InstanceOverrides();
  readonly #instances = new Map<string, InstanceIntrospector>();
  #active = true;

  constructor(engine: Engine, workflow: string) {
    this.#engine = engine;
    this.#workflow = workflow;
  }

  async modifyAll(fn: ModifierCallback): Promise<void> {
    this.#assertActive();
    if (typeof fn !== "function") throw invalidArgument("the argument of modifyAll", "a function", fn);
    // Recorded on a copy: a modification that cannot apply (a step mocked twice) throws here,
    // never when an instance is created, and a callback that throws records nothing.
    const recording = this.#template.copy(this.#engine.clock.now());
    await fn(new Modifier((op) => recording.apply(op, this.#engine.clock.now())));
    this.#assertActive();
    this.#template = recording;
  }

  async get(): Promise<WorkflowInstanceIntrospector[]> {
    this.#assertActive();
    return [...this.#instances.values()];
  }

  /** Bound, so that `onTestFinished(workflow.dispose)` works. Idempotent. */
  readonly dispose = async (): Promise<void> => {
    if (!this.#active) return;
    this.#active = false;
    this.#engine.overrides.unwatch(this.#workflow, this);
    const results = await Promise.allSettled([...this.#instances.values()].map((i) => i.dispose()));
    this.#instances.clear();
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
  };

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  // ---- CreationWatch: called by the engine around a create --------------------------------------

  prepare(_id: string): InstanceOverrides {
    return this.#template.copy(this.#engine.clock.now());
  }

  captured(id: string): void {
    const overrides = this.#engine.overrides.get(this.#workflow, id);
    if (!(overrides instanceof InstanceOverrides)) return;
    this.#instances.set(id, new InstanceIntrospector(this.#engine, this.#workflow, id, overrides));
  }

  /**
   * An instance introspected on its own was created: the session captures it too. Its own
   * modifications stay; the session's that conflict with them (a step mocked twice) are skipped.
   */
  existing(id: string, overrides: unknown): void {
    if (!(overrides instanceof InstanceOverrides)) return;
    const now = this.#engine.clock.now();
    for (const op of this.#template.operations) {
      try {
        overrides.apply(op, now);
      } catch {
        // A conflict with the instance's own modifications: those win.
      }
    }
    if (!this.#instances.has(id)) {
      this.#instances.set(id, new InstanceIntrospector(this.#engine, this.#workflow, id, overrides));
    }
  }

  #assertActive(): void {
    if (!this.#active) throw cloudflare.noSession(this.#workflow);
  }
}
