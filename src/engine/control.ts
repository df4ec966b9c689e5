// The binding's operations on instances (create, sendEvent, pause, resume, terminate, restart,
// restartFrom, delete): each is a store transition, then a signal to the instance when this
// process runs it, then a change on the feed. None needs the workflow's class, so a process
// that does not run instances controls them by workflow name and id alone.

import type { WorkflowInstanceCreateOptions } from "../api/types.js";
import { WorkflowsError } from "../errors.js";
import type {
  CreateResult,
  NewInstance,
  Store,
  StoredStatus,
  TraceContext,
  TriggerSource,
} from "../storage/types.js";
import type { ChangeHub } from "./changes.js";
import type { Clock } from "./clock.js";
import { newInstance, restartTarget, validateBatch } from "./control-input.js";
import type { InstanceRef, LiveInstances } from "./live-instances.js";
import type { EngineObserver } from "./observer.js";
import type { OverrideRegistry } from "./overrides.js";
import { notFound } from "./read-views.js";
import type { WorkflowDefinition } from "./settings.js";
import { activeTraceContext } from "./trace-context.js";
import { describeValue, validateAddressableId, validateEventType } from "./validate.js";
import { encodeValue } from "./values.js";

/** What the operations need from the engine. */
export interface ControlHost {
  readonly store: Store;
  readonly clock: Clock;
  readonly changes: ChangeHub;
  readonly live: LiveInstances;
  /** This process's name as a lease owner (an introspected instance is pinned to it). */
  readonly owner: string;
  /** The test overrides this process holds (cairn/testing's introspection). */
  readonly overrides: OverrideRegistry;
  /** What this process's metrics, traces and logs hear (undefined: nobody). */
  readonly observer: EngineObserver | undefined;
  definition(workflow: string): WorkflowDefinition | undefined;
  /** Throws EngineClosedError once the engine is closed. */
  assertOpen(): void;
  /** Asks the scheduler for a pass soon. */
  kick(): void;
  /** Starts a scheduler pass in this tick, so that its claim can share a commit with a write. */
  passNow(): void;
  /** Claims instances just created, on a store whose create and claim do not share a commit. */
  claimCreated(workflow: string, seqs: number[]): void;
  /** Claims instances an event just made due, on a store whose claim does not share the event's commit. */
  claimWoken(workflow: string, seqs: number[]): void;
}

const never = <T>(): Promise<T> => new Promise<T>(() => {});

/** The binding's operations, by workflow name and instance id. */
export class InstanceControl {
  private readonly host: ControlHost;

  constructor(host: ControlHost) {
    this.host = host;
  }

  /**
   * Creates instances; returns the ids created (a batch skips ids that already exist). They keep
   * the trace of the caller's active span, or else `parent` (a request's `traceparent`), if any.
   */
  async create(
    workflow: string,
    batch: WorkflowInstanceCreateOptions[],
    mode: "single" | "batch",
    trigger: TriggerSource = "binding",
    parent?: TraceContext | null,
  ): Promise<string[]> {
    const { store, clock } = this.host;
    this.host.assertOpen();
    const def = this.host.definition(workflow);
    if (!def) throw new WorkflowsError("workflow.not_found", `no workflow named "${workflow}"`);
    if (mode === "batch") validateBatch(batch);
    const seen = new Set<string>();
    const items: NewInstance[] = [];
    const traceContext = activeTraceContext() ?? parent ?? null;
    for (const options of batch) {
      const item = newInstance(workflow, options, def.retention, trigger);
      if (traceContext) item.traceContext = traceContext;
      if (seen.has(item.id)) continue;
      seen.add(item.id);
      items.push(item);
    }
    // Introspected instances (cairn/testing) get their overrides before anything can run them,
    // and on a store shared by several processes they may run in this one only.
    const introspection = this.host.overrides.active ? this.introspect(workflow, items) : null;
    const creating = store.createInstances(items, clock.now());
    // A claim issued in the same tick shares the create's group commit (SQLite runs it after
    // the create in one transaction). A store that runs them apart is asked, once the create is
    // done, for just what it created (a claim made meanwhile could not see it).
    const sharesCommit = store.capabilities.claimSharesCreateCommit;
    if (sharesCommit) this.host.passNow();
    let results: CreateResult[] = [];
    try {
      results = await creating;
    } finally {
      introspection?.settle(new Set(results.filter((r) => r.created).map((r) => r.id)));
    }
    if (mode === "single" && !results[0]?.created) {
      throw new WorkflowsError(
        "instance.already_exists",
        `an instance with id "${items[0]?.id}" already exists in workflow "${workflow}"; restart it, delete it, or wait for its retention to end`,
      );
    }
    if (sharesCommit) this.host.kick();
    else this.host.claimCreated(workflow, createdSeqs(results));
    const created = results.filter((r) => r.created).map((r) => r.id);
    for (const id of created) this.created(workflow, id, trigger);
    return created;
  }

  /** Asks the overrides registry about new instances; pins the introspected ones on a shared store. */
  private introspect(workflow: string, items: NewInstance[]) {
    const ticket = this.host.overrides.creating(
      workflow,
      items.map((i) => i.id),
    );
    if (ticket && !this.host.store.capabilities.singleProcess) {
      for (const item of items) if (ticket.introspected.has(item.id)) item.affinity = this.host.owner;
    }
    return ticket;
  }

  /** Reports an instance created by this process (by the binding or by a cron schedule). */
  created(workflow: string, id: string, trigger: TriggerSource): void {
    this.host.changes.emit({ type: "created", workflow, id, status: "queued", at: this.host.clock.now() });
    this.host.observer?.created?.(workflow, id, trigger);
  }

  /** Buffers an event for the instance and wakes its waits for that type (here or elsewhere). */
  async sendEvent(workflow: string, id: string, event: { type: string; payload: unknown }): Promise<void> {
    const { store, clock, live } = this.host;
    this.host.assertOpen();
    if (typeof event !== "object" || event === null) {
      throw new WorkflowsError(
        "event.invalid",
        `sendEvent needs { type, payload }, got ${describeValue(event)}`,
      );
    }
    const type = validateEventType(event.type);
    const payload = encodeValue(event.payload, `the payload of event "${type}"`, "event.payload_too_large");
    const sending = store.sendEvent(workflow, id, { type, payload }, clock.now());
    // As in create: a hibernated waiter can be claimed in the commit that buffers its event, on
    // a store whose claim shares the commit; on others a claim made now could not see the event
    // (and would hold up the pass that can), so the kick below is the one.
    if (store.capabilities.claimSharesCreateCommit && !live.find(workflow, id)) this.host.passNow();
    const result = await sending;
    if (result.outcome === "not_found") throw notFound(workflow, id);
    if (result.outcome === "finished") {
      throw new WorkflowsError(
        "instance.not_running",
        `instance "${id}" is ${result.status} and no longer accepts events`,
      );
    }
    const active = live.find(workflow, id);
    if (active) active.notifyEvent(type);
    else if (result.outcome === "sent" && result.woken !== undefined)
      this.host.claimWoken(workflow, [result.woken]);
    else this.host.kick();
  }

  /** Pauses a queued or waiting instance at once; a running one settles after its in-flight steps. */
  async pause(workflow: string, id: string): Promise<void> {
    this.host.assertOpen();
    const result = await this.host.store.requestPause(workflow, id, this.host.clock.now());
    if (result.outcome === "not_found") throw notFound(workflow, id);
    if (result.outcome === "pausing") this.host.live.find(workflow, id)?.requestPause();
    if (result.outcome === "paused") this.statusChanged(workflow, id, "paused");
    if (result.outcome === "pausing") this.statusChanged(workflow, id, "waitingForPause");
  }

  /** Resumes a paused instance (queued again), or cancels a pause not settled yet. */
  async resume(workflow: string, id: string): Promise<void> {
    this.host.assertOpen();
    const result = await this.host.store.resume(workflow, id, this.host.clock.now());
    if (result.outcome === "not_found") throw notFound(workflow, id);
    if (result.outcome === "unpaused") {
      this.host.live.find(workflow, id)?.cancelPause();
      this.statusChanged(workflow, id, "running");
    }
    if (result.outcome === "resumed") {
      this.host.kick();
      this.statusChanged(workflow, id, "queued");
    }
  }

  /** Ends the instance; with `{ rollback: true }` a worker runs its rollback handlers first. */
  async terminate(workflow: string, id: string, options?: { rollback?: boolean }): Promise<void> {
    this.host.assertOpen();
    const rollback = options?.rollback === true;
    const result = await this.host.store.terminate(workflow, id, this.host.clock.now(), { rollback });
    if (result.outcome === "not_found") throw notFound(workflow, id);
    if (result.outcome === "finished") {
      throw new WorkflowsError(
        "instance.cannot_terminate",
        `Cannot terminate instance "${id}" since it is in a finite state (${result.status})`,
      );
    }
    this.host.live.find(workflow, id)?.abandon();
    if (result.outcome === "rolling_back") this.host.kick();
    this.statusChanged(workflow, id, result.outcome === "rolling_back" ? "running" : "terminated");
  }

  /** Erases the journal and queues the instance again with the same params. */
  async restart(workflow: string, id: string): Promise<void> {
    this.host.assertOpen();
    const result = await this.host.store.restart(workflow, id, this.host.clock.now());
    if (result.outcome === "not_found") throw notFound(workflow, id);
    this.restarted(workflow, id);
  }

  /** Restarts from a step: earlier steps keep their results, the target and later ones run again. */
  async restartFrom(workflow: string, id: string, from: unknown): Promise<void> {
    this.host.assertOpen();
    const target = restartTarget(from);
    const result = await this.host.store.restartFrom(workflow, id, target, this.host.clock.now());
    if (result.outcome === "not_found") throw notFound(workflow, id);
    if (result.outcome === "step_not_found") {
      throw new WorkflowsError(
        "instance.cannot_restart",
        `Step "${target.name}" (${target.kind} #${target.count}) not found in execution history of instance "${id}"`,
      );
    }
    this.restarted(workflow, id);
  }

  /**
   * Deletes instances and everything stored for them; a running one stops. When `caller` (the
   * instance whose workflow code made the call) is among those deleted, the call never returns
   * to it: the instance stops there, as Cloudflare aborts an instance that deletes itself.
   */
  async delete(
    workflow: string,
    ids: string[],
    caller?: InstanceRef,
  ): Promise<{ id: string; outcome: "deleted" | "not_found" }[]> {
    this.host.assertOpen();
    for (const id of ids) validateAddressableId(id);
    const results = await this.host.store.deleteInstances(workflow, [...new Set(ids)], this.host.clock.now());
    let self = false;
    for (const r of results) {
      if (r.outcome !== "deleted") continue;
      this.host.live.find(workflow, r.id)?.abandon();
      this.host.changes.emit({ type: "deleted", workflow, id: r.id, at: this.host.clock.now() });
      if (caller && caller.workflow === workflow && caller.id === r.id) self = true;
    }
    if (self) return never();
    const byId = new Map(results.map((r) => [r.id, r.outcome]));
    return ids.map((id) => ({ id, outcome: byId.get(id) ?? "not_found" }));
  }

  private restarted(workflow: string, id: string): void {
    this.host.live.find(workflow, id)?.abandon();
    this.host.kick();
    this.statusChanged(workflow, id, "queued");
  }

  private statusChanged(workflow: string, id: string, status: StoredStatus): void {
    this.host.changes.emit({ type: "status", workflow, id, status, at: this.host.clock.now() });
    this.host.observer?.statusWritten?.(workflow, id, status);
  }
}

/** The seqs of the instances a create made (in the order made). */
function createdSeqs(results: CreateResult[]): number[] {
  const seqs: number[] = [];
  for (const r of results) if (r.created) seqs.push(r.seq);
  return seqs;
}
