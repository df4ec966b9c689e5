// The engine: owns the store, the clock, the scheduler and the live activations. Every public
// operation of the binding (create, status, pause, resume, terminate, restart, sendEvent) lands
// here as a store transition plus, when this process runs the instance, a signal to it.

import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type {
  ExecutionContext,
  InstanceStatus,
  WorkflowEvent,
  WorkflowInstanceCreateOptions,
  WorkflowStep,
} from "../api/types.js";
import { EngineClosedError, WorkflowsError } from "../errors.js";
import type {
  Claim,
  InstanceRecord,
  LogEntry,
  NewInstance,
  StepRecord,
  Store,
  StoreSignal,
  TriggerSource,
} from "../storage/types.js";
import { Activation, type ActivationHost, type EndReason } from "./activation.js";
import { type Clock, SystemClock } from "./clock.js";
import { parseDuration } from "./duration.js";
import { Scheduler, type SchedulerHost } from "./scheduler.js";
import { CronSchedules, scheduleFromId } from "./schedules.js";
import { type EngineSettings, resolveSettings, type WorkflowDefinition } from "./settings.js";
import { describeValue, validateAddressableId, validateEventType, validateInstanceId } from "./validate.js";
import { decodeValue, encodeValue } from "./values.js";
import { createWorkflowStep } from "./workflow-step.js";

export type { EngineSettings, WorkflowDefinitionInput } from "./settings.js";

/** A workflow class as the engine sees it: constructed with (ctx, env), then `run(event, step)`. */
export type WorkflowClass = new (
  ctx: ExecutionContext,
  env: any,
) => { run(event: Readonly<WorkflowEvent<any>>, step: WorkflowStep): Promise<unknown> };

export const MAX_BATCH = 100;

/** Emitted on `engine.changes` as "change" whenever this process changed an instance. */
export type InstanceChange = { workflow: string; id: string };

export class Engine implements ActivationHost, SchedulerHost {
  readonly store: Store;
  readonly clock: Clock;
  readonly owner: string;
  readonly leaseMs: number;
  readonly hibernateAfterMs: number;
  readonly maxInstanceStateBytes: number;
  readonly changes = new EventEmitter();
  private readonly settings: EngineSettings;
  /** Workflow definitions by workflow name (settings key them by binding). */
  private readonly byName: Map<string, WorkflowDefinition>;
  private readonly scheduler: Scheduler;
  private readonly schedules: CronSchedules;
  private readonly live = new Map<number, Activation>();
  private readonly liveById = new Map<string, Activation>();
  private readonly runningByWorkflow = new Map<string, number>();
  private env: Record<string, unknown> = {};
  private closed = false;
  private started = false;
  private cancelSweep: (() => void) | null = null;
  private cancelRenew: (() => void) | null = null;
  private unsubscribe: (() => void) | null = null;
  private keepAlive: NodeJS.Timeout | null = null;

  constructor(store: Store, options: { clock?: Clock; settings: EngineSettings }) {
    this.store = store;
    this.clock = options.clock ?? new SystemClock();
    this.settings = options.settings;
    this.byName = new Map([...options.settings.workflows.values()].map((def) => [def.name, def]));
    this.owner = options.settings.owner ?? `cairn-${process.pid}-${randomUUID().slice(0, 8)}`;
    // A single-process store cannot have a competing holder, so its leases never need to expire.
    this.leaseMs = store.capabilities.singleProcess ? Number.MAX_SAFE_INTEGER / 4 : options.settings.leaseMs;
    this.hibernateAfterMs = options.settings.hibernateAfterMs;
    this.maxInstanceStateBytes = options.settings.maxInstanceStateBytes;
    this.scheduler = new Scheduler(this);
    this.schedules = new CronSchedules({
      store,
      clock: this.clock,
      created: (workflow, id) => {
        this.emitChange(workflow, id);
        this.scheduler.kick();
      },
      report: (error, context) => this.report(error, context),
    });
    this.changes.setMaxListeners(0);
  }

  static resolveSettings = resolveSettings;

  /** Sets what workflows see as `this.env` (bindings included) and starts taking work. */
  start(env: Record<string, unknown>): void {
    if (this.started) return;
    this.started = true;
    this.env = env;
    // Timers are unref'd; this keeps the process alive while the engine is open.
    this.keepAlive = setInterval(() => {}, 1 << 30);
    if (this.settings.runInstances) this.scheduler.kick();
    else this.scheduler.stop();
    this.schedules.start(this.settings.workflows.values());
    void this.sweep();
    if (!this.store.capabilities.singleProcess) this.renewLoop();
    this.unsubscribe = this.store.subscribe?.((signal) => this.onSignal(signal)) ?? null;
  }

  /** A change made by another process sharing the store reaches the instance this process runs. */
  private onSignal(signal: StoreSignal): void {
    if (this.closed) return;
    if (signal.kind === "wake") {
      this.scheduler.kick();
      return;
    }
    const active = this.liveById.get(key(signal.workflow, signal.id));
    if (signal.kind === "event") {
      if (active) active.notifyEvent(signal.type);
      else this.scheduler.kick();
      return;
    }
    if (active) void this.reconcile(active);
    this.scheduler.kick();
  }

  /** Brings a live activation in line with its stored state after a control operation elsewhere. */
  private async reconcile(active: Activation): Promise<void> {
    const { workflow, id } = active.instance;
    let record: InstanceRecord | undefined;
    try {
      record = await this.store.getInstance(workflow, id);
    } catch (error) {
      // A failed read says nothing about the instance; its own writes will tell if it was lost.
      return this.report(error, `reading ${workflow}/${id} after a signal`);
    }
    if (active.isStopped) return;
    if (!record || record.epoch !== active.fence.epoch) return active.abandon();
    if (record.status === "waitingForPause") active.requestPause();
    else if (record.status === "running") active.cancelPause();
  }

  /**
   * Swaps workflow classes by binding (a dev reload). Instances that wake later run the new class;
   * live ones stop at their next step, let in-flight attempts finish, and are replayed on it.
   */
  replaceClasses(classes: Record<string, WorkflowClass>): void {
    for (const [binding, cls] of Object.entries(classes)) {
      const def = this.settings.workflows.get(binding);
      if (def) def.class = cls;
    }
    for (const activation of [...this.live.values()]) void activation.drain();
  }

  private definitionByName(workflow: string): WorkflowDefinition | undefined {
    return this.byName.get(workflow);
  }

  // ---- binding operations -------------------------------------------------------------------

  async create(
    workflow: string,
    batch: WorkflowInstanceCreateOptions[],
    mode: "single" | "batch",
    trigger: TriggerSource = "binding",
  ): Promise<string[]> {
    this.assertOpen();
    const def = this.definitionByName(workflow);
    if (!def) throw new WorkflowsError("workflow.not_found", `no workflow named "${workflow}"`);
    if (mode === "batch") validateBatch(batch);
    const seen = new Set<string>();
    const items: NewInstance[] = [];
    for (const options of batch) {
      const item = this.newInstance(workflow, options, def.retention, trigger);
      if (seen.has(item.id)) continue;
      seen.add(item.id);
      items.push(item);
    }
    const creating = this.store.createInstances(items, this.clock.now());
    // A claim issued in the same tick shares the create's group commit (SQLite runs it after
    // the create in one transaction); the kick below covers stores that run them apart.
    this.scheduler.passNow();
    const results = await creating;
    if (mode === "single" && !results[0]?.created) {
      throw new WorkflowsError(
        "instance.already_exists",
        `an instance with id "${items[0]?.id}" already exists in workflow "${workflow}"; restart it, delete it, or wait for its retention to end`,
      );
    }
    this.scheduler.kick();
    const created = results.filter((r) => r.created).map((r) => r.id);
    for (const id of created) this.emitChange(workflow, id);
    return created;
  }

  private newInstance(
    workflow: string,
    options: WorkflowInstanceCreateOptions | undefined,
    retention: { successMs: number; errorMs: number },
    trigger: TriggerSource,
  ): NewInstance {
    if (
      options !== undefined &&
      (typeof options !== "object" || options === null || Array.isArray(options))
    ) {
      throw new WorkflowsError(
        "instance.invalid_options",
        `create options must be an object { id?, params?, retention? }, got ${describeValue(options)}`,
      );
    }
    const id = options?.id === undefined ? randomUUID() : validateInstanceId(options.id);
    const params = encodeValue(
      options?.params ?? {},
      `the params of instance "${id}"`,
      "instance.params_too_large",
    );
    const r = options?.retention;
    const ms = (value: unknown, field: string, fallback: number) =>
      value === undefined ? fallback : parseDuration(value, `retention.${field}`, "instance.invalid_options");
    return {
      workflow,
      id,
      params,
      trigger,
      successRetentionMs: ms(r?.successRetention, "successRetention", retention.successMs),
      errorRetentionMs: ms(r?.errorRetention, "errorRetention", retention.errorMs),
    };
  }

  async get(workflow: string, id: string): Promise<InstanceRecord> {
    this.assertOpen();
    validateAddressableId(id);
    const record = await this.store.getInstance(workflow, id);
    if (!record) throw notFound(workflow, id);
    return record;
  }

  async status(workflow: string, id: string): Promise<InstanceStatus> {
    const record = await this.get(workflow, id);
    if (record.status === "complete") return { status: "complete", output: decodeValue(record.output) };
    if (record.status === "errored") return { status: "errored", error: { ...record.error } };
    return { status: record.status };
  }

  /** The instance's event log, oldest first (what the timeline and tests read). */
  async readLog(workflow: string, id: string): Promise<LogEntry[]> {
    const record = await this.get(workflow, id);
    return this.store.readLog(record.seq);
  }

  /**
   * The instance's journal: one record per step key, in start order. Results of steps with
   * `sensitive: "output"` read "[REDACTED]" unless `{ redact: false }` (SPEC §10.2).
   */
  async readJournal(workflow: string, id: string, options: { redact?: boolean } = {}): Promise<StepRecord[]> {
    const record = await this.get(workflow, id);
    const journal = await this.store.loadJournal(record.seq);
    journal.sort((a, b) => (a.startOrder ?? 0) - (b.startOrder ?? 0));
    return options.redact === false ? journal : journal.map(redactStep);
  }

  /** The bytes of a stream step's result, for tools that show it (redacted if sensitive). */
  async readStreamResult(workflow: string, id: string, stepKey: string): Promise<Uint8Array> {
    const record = await this.get(workflow, id);
    const step = (await this.store.loadJournal(record.seq)).find((r) => r.key === stepKey);
    if (step?.status !== "succeeded" || !step.stream) {
      throw new WorkflowsError(
        "instance.not_found",
        `instance "${id}" has no finished stream step with key "${stepKey}"`,
      );
    }
    if (isSensitive(step)) return new TextEncoder().encode(REDACTED);
    return Buffer.concat(await this.store.loadStreamChunks(record.seq, stepKey));
  }

  async sendEvent(workflow: string, id: string, event: { type: string; payload: unknown }): Promise<void> {
    this.assertOpen();
    if (typeof event !== "object" || event === null) {
      throw new WorkflowsError(
        "event.invalid",
        `sendEvent needs { type, payload }, got ${describeValue(event)}`,
      );
    }
    const type = validateEventType(event.type);
    const payload = encodeValue(event.payload, `the payload of event "${type}"`, "event.payload_too_large");
    const sending = this.store.sendEvent(workflow, id, { type, payload }, this.clock.now());
    // As in create: a hibernated waiter can be claimed in the commit that buffers its event.
    if (!this.liveById.has(key(workflow, id))) this.scheduler.passNow();
    const result = await sending;
    if (result.outcome === "not_found") throw notFound(workflow, id);
    if (result.outcome === "finished") {
      throw new WorkflowsError(
        "instance.not_running",
        `instance "${id}" is ${result.status} and no longer accepts events`,
      );
    }
    const active = this.liveById.get(key(workflow, id));
    if (active) active.notifyEvent(type);
    else this.scheduler.kick();
  }

  async pause(workflow: string, id: string): Promise<void> {
    this.assertOpen();
    const result = await this.store.requestPause(workflow, id, this.clock.now());
    if (result.outcome === "not_found") throw notFound(workflow, id);
    if (result.outcome === "pausing") this.liveById.get(key(workflow, id))?.requestPause();
    this.emitChange(workflow, id);
  }

  async resume(workflow: string, id: string): Promise<void> {
    this.assertOpen();
    const result = await this.store.resume(workflow, id, this.clock.now());
    if (result.outcome === "not_found") throw notFound(workflow, id);
    if (result.outcome === "unpaused") this.liveById.get(key(workflow, id))?.cancelPause();
    if (result.outcome === "resumed") this.scheduler.kick();
    this.emitChange(workflow, id);
  }

  async terminate(workflow: string, id: string, options?: { rollback?: boolean }): Promise<void> {
    this.assertOpen();
    const rollback = options?.rollback === true;
    const result = await this.store.terminate(workflow, id, this.clock.now(), { rollback });
    if (result.outcome === "not_found") throw notFound(workflow, id);
    if (result.outcome === "finished") {
      throw new WorkflowsError(
        "instance.cannot_terminate",
        `Cannot terminate instance "${id}" since it is in a finite state (${result.status})`,
      );
    }
    this.liveById.get(key(workflow, id))?.abandon();
    if (result.outcome === "rolling_back") this.scheduler.kick();
    this.emitChange(workflow, id);
  }

  async restart(workflow: string, id: string): Promise<void> {
    this.assertOpen();
    const result = await this.store.restart(workflow, id, this.clock.now());
    if (result.outcome === "not_found") throw notFound(workflow, id);
    this.liveById.get(key(workflow, id))?.abandon();
    this.scheduler.kick();
    this.emitChange(workflow, id);
  }

  /** Restarts from a step: earlier steps keep their results, the target and later ones run again. */
  async restartFrom(workflow: string, id: string, from: unknown): Promise<void> {
    this.assertOpen();
    const target = restartTarget(from);
    const result = await this.store.restartFrom(workflow, id, target, this.clock.now());
    if (result.outcome === "not_found") throw notFound(workflow, id);
    if (result.outcome === "step_not_found") {
      throw new WorkflowsError(
        "instance.cannot_restart",
        `Step "${target.name}" (${target.kind} #${target.count}) not found in execution history of instance "${id}"`,
      );
    }
    this.liveById.get(key(workflow, id))?.abandon();
    this.scheduler.kick();
    this.emitChange(workflow, id);
  }

  /** Deletes instances and everything stored for them; a running one stops (SPEC §6.2). */
  async delete(workflow: string, ids: string[]): Promise<{ id: string; outcome: "deleted" | "not_found" }[]> {
    this.assertOpen();
    for (const id of ids) validateAddressableId(id);
    const results = await this.store.deleteInstances(workflow, [...new Set(ids)], this.clock.now());
    for (const r of results) {
      if (r.outcome !== "deleted") continue;
      this.liveById.get(key(workflow, r.id))?.abandon();
      this.emitChange(workflow, r.id);
    }
    const byId = new Map(results.map((r) => [r.id, r.outcome]));
    return ids.map((id) => ({ id, outcome: byId.get(id) ?? "not_found" }));
  }

  // ---- scheduling -----------------------------------------------------------------------------

  freeSlots(): { slots: Record<string, number>; total: number } {
    const total = this.closed ? 0 : this.settings.maxRunning - this.live.size;
    const slots: Record<string, number> = {};
    for (const def of this.settings.workflows.values()) {
      slots[def.name] = Math.max(
        0,
        Math.min(total, def.concurrency - (this.runningByWorkflow.get(def.name) ?? 0)),
      );
    }
    return { slots, total: Math.max(0, total) };
  }

  activate(claim: Claim): void {
    const instance = claim.instance;
    const def = this.definitionByName(instance.workflow);
    const previous = this.live.get(instance.seq);
    // Claimed again (its lease ran out while it still ran here): the old run gives up its slot now.
    if (previous) {
      this.untrack(previous);
      previous.abandon();
    }
    if (!def) {
      this.report(new Error(`claimed an instance of unknown workflow "${instance.workflow}"`), "scheduler");
      void this.store
        .releaseLease({ seq: instance.seq, epoch: instance.epoch }, this.clock.now())
        .catch(() => {});
      return;
    }
    if (claim.fresh) {
      // Never started: nothing to load (no journal, no stored state).
      const activation = new Activation(this, instance, [], def.stepLimit, 0);
      this.track(activation);
      this.run(activation, def.class);
      return;
    }
    // The placeholder holds the slot (and takes control signals) while the journal loads.
    const placeholder = new Activation(this, instance, [], def.stepLimit);
    this.track(placeholder);
    void this.store.loadJournal(instance.seq).then(
      (journal) => {
        if (placeholder.isStopped || this.closed) return;
        this.untrack(placeholder);
        const activation = new Activation(this, instance, journal, def.stepLimit);
        this.track(activation);
        placeholder.handOver(activation);
        this.run(activation, def.class);
      },
      (error) => {
        this.report(error, `loading the journal of ${instance.workflow}/${instance.id}`);
        placeholder.release();
      },
    );
  }

  private run(activation: Activation, cls: WorkflowClass): void {
    const { instance } = activation;
    const ctx: ExecutionContext = {
      waitUntil: (promise) => {
        Promise.resolve(promise).catch((e) => this.report(e, "ctx.waitUntil"));
      },
      passThroughOnException: () => {},
      props: {},
    };
    const event: WorkflowEvent<unknown> = {
      payload: decodeValue(instance.params) as any,
      timestamp: new Date(instance.createdAt),
      instanceId: instance.id,
      workflowName: instance.workflow,
    };
    const schedule = instance.trigger === "cron" ? scheduleFromId(instance.id) : undefined;
    if (schedule) event.schedule = schedule;
    const step = createWorkflowStep(activation);
    activation.start(() => new cls(ctx, this.env).run(event, step));
    this.emitChange(instance.workflow, instance.id);
  }

  private track(a: Activation): void {
    const { seq, workflow, id } = a.instance;
    this.live.set(seq, a);
    this.liveById.set(key(workflow, id), a);
    this.runningByWorkflow.set(workflow, (this.runningByWorkflow.get(workflow) ?? 0) + 1);
  }

  private untrack(a: Activation): boolean {
    const { seq, workflow, id } = a.instance;
    if (this.live.get(seq) !== a) return false;
    this.live.delete(seq);
    // The id may belong to a newer instance already (deleted and created again).
    if (this.liveById.get(key(workflow, id)) === a) this.liveById.delete(key(workflow, id));
    this.runningByWorkflow.set(workflow, (this.runningByWorkflow.get(workflow) ?? 1) - 1);
    return true;
  }

  ended(a: Activation, reason: EndReason): void {
    this.untrack(a);
    if (reason === "failed") void this.store.releaseLease(a.fence, this.clock.now()).catch(() => {});
    this.emitChange(a.instance.workflow, a.instance.id);
    this.scheduler.kick();
  }

  report(error: unknown, context: string): void {
    this.settings.onError(error, context);
  }

  private emitChange(workflow: string, id: string): void {
    this.changes.emit("change", { workflow, id } satisfies InstanceChange);
  }

  // ---- housekeeping ---------------------------------------------------------------------------

  /** Deletes finished instances whose retention ended (SPEC A13), then re-arms itself. */
  private async sweep(): Promise<void> {
    if (this.closed) return;
    try {
      while ((await this.store.deleteExpired(this.clock.now(), 500)) === 500) {
        if (this.closed) return;
      }
    } catch (error) {
      this.report(error, "retention sweep");
    }
    if (this.closed) return;
    this.cancelSweep = this.clock.setTimer(
      this.clock.now() + this.settings.sweepIntervalMs,
      () => void this.sweep(),
    );
  }

  private renewLoop(): void {
    if (this.closed) return;
    this.cancelRenew = this.clock.setTimer(this.clock.now() + this.leaseMs / 3, async () => {
      const fences = [...this.live.values()].map((a) => a.fence);
      if (fences.length > 0) {
        await this.store
          .renewLeases(this.owner, fences, this.clock.now() + this.leaseMs)
          .catch((e) => this.report(e, "lease renewal"));
      }
      this.renewLoop();
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new EngineClosedError();
  }

  /** Stops taking work, lets in-flight attempts finish (up to the grace period), closes the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.scheduler.stop();
    this.schedules.stop();
    this.cancelSweep?.();
    this.cancelRenew?.();
    this.unsubscribe?.();
    const draining = Promise.all([...this.live.values()].map((a) => a.drain()));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.settings.shutdownGraceMs);
    });
    await Promise.race([draining, grace]);
    clearTimeout(timer);
    for (const a of this.live.values()) a.abandon();
    if (this.keepAlive) clearInterval(this.keepAlive);
    await this.store.close();
  }
}

/** What a person or a tool reads in place of a sensitive step's result. */
export const REDACTED = "[REDACTED]";
const REDACTED_BYTES = encodeValue(REDACTED, "redacted", "step.result_too_large");

function isSensitive(step: StepRecord): boolean {
  return (step.config as { sensitive?: string } | null)?.sensitive === "output";
}

function redactStep(step: StepRecord): StepRecord {
  if (step.status !== "succeeded" || !isSensitive(step)) return step;
  return { ...step, value: REDACTED_BYTES, stream: false };
}

function key(workflow: string, id: string): string {
  return `${workflow}\u0000${id}`;
}

/** The error for an id that names no instance of `workflow`. */
export function notFound(workflow: string, id: string): WorkflowsError {
  return new WorkflowsError("instance.not_found", `no instance "${id}" in workflow "${workflow}"`);
}

const STEP_TYPES = ["do", "sleep", "waitForEvent"] as const;

function restartTarget(from: unknown): { kind: (typeof STEP_TYPES)[number]; name: string; count: number } {
  const f = from as { name?: unknown; count?: unknown; type?: unknown } | null;
  const bad = (what: string) =>
    new WorkflowsError(
      "instance.invalid_options",
      `restart({ from }) needs ${what}, got ${describeValue(from)}`,
    );
  if (typeof f !== "object" || f === null) throw bad("{ name, count?, type? }");
  if (typeof f.name !== "string" || f.name.length === 0) throw bad("a step name");
  const count = f.count ?? 1;
  if (typeof count !== "number" || !Number.isInteger(count) || count < 1)
    throw bad("count as an integer ≥ 1");
  const kind = f.type ?? "do";
  if (!STEP_TYPES.includes(kind as never)) throw bad('type "do", "sleep" or "waitForEvent"');
  return { kind: kind as (typeof STEP_TYPES)[number], name: f.name, count };
}

function validateBatch(batch: unknown): void {
  if (!Array.isArray(batch)) {
    throw new WorkflowsError("batch.invalid", `createBatch needs an array, got ${describeValue(batch)}`);
  }
  if (batch.length === 0) throw new WorkflowsError("batch.invalid", "createBatch needs at least 1 instance");
  if (batch.length > MAX_BATCH) {
    throw new WorkflowsError(
      "batch.invalid",
      `createBatch got ${batch.length} instances; the limit is ${MAX_BATCH}`,
    );
  }
}
