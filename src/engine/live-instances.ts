// The instances this process runs right now: one activation each, held in memory while it runs.
// Starts an activation for each claim (loading its journal first unless it is fresh), keeps the
// running count per workflow for the scheduler's free slots, renews their leases, and on close
// drains them and releases every lease still held, so another process takes over at once.

import type { ExecutionContext, WorkflowEvent } from "../api/types.js";
import {
  type Claim,
  type Fence,
  FINISHED_STATUSES,
  type Store,
  type StoredStatus,
} from "../storage/types.js";
import { Activation } from "./activation/activation.js";
import { journalStateBytes } from "./activation/state-budget.js";
import type { ActivationHost, EndReason, RollbackLedger, StepHost } from "./activation/types.js";
import type { ChangeHub } from "./changes.js";
import type { CancelTimer, Clock } from "./clock.js";
import { scheduleFromId } from "./cron.js";
import type { EngineObserver } from "./observer.js";
import type { OverrideRegistry, StepOverrides } from "./overrides.js";
import type { EngineSettings, WorkflowDefinition } from "./settings.js";
import { RollbackRegistry } from "./steps/rollbacks.js";
import { createWorkflowStep } from "./steps/workflow-step.js";
import { isStoreOutage } from "./store-outage.js";
import { decodeValue } from "./values.js";

/** An instance by workflow name and id, as a workflow's own calls name their caller. */
export type InstanceRef = { readonly workflow: string; readonly id: string };

/** Builds what one instance's workflow sees as `this.env` (its bindings know their caller). */
export type EnvFor = (caller: InstanceRef) => Record<string, unknown>;

/** What the live instances need from the engine. */
export interface LiveHost {
  readonly store: Store;
  readonly clock: Clock;
  readonly changes: ChangeHub;
  readonly owner: string;
  readonly leaseMs: number;
  /** The test overrides this process holds (cairn/testing's introspection). */
  readonly overrides: OverrideRegistry;
  /** What this process's metrics, traces and logs hear (undefined: nobody). */
  readonly observer: EngineObserver | undefined;
  definition(workflow: string): WorkflowDefinition | undefined;
  /** An introspected instance hibernated before its run saw a change of its overrides. */
  wakeForOverrides(workflow: string, id: string): void;
  /** A slot was freed or an instance settled: the scheduler may find more work. */
  kick(): void;
  /** A run ended and freed its slot (see Scheduler.slotFreed). */
  slotFreed(): void;
  report(error: unknown, context: string): void;
}

/** How long a lease release the store could not take waits before it is tried again (ms). */
const RELEASE_RETRY_MS = 1000;

/** The live activations of this process. */
export class LiveInstances implements ActivationHost<Activation> {
  readonly store: Store;
  readonly clock: Clock;
  readonly changes: ChangeHub;
  readonly hibernateAfterMs: number;
  readonly maxInstanceStateBytes: number;
  private readonly host: LiveHost;
  private readonly settings: EngineSettings;
  private readonly bySeq = new Map<number, Activation>();
  private readonly byId = new Map<string, Activation>();
  private readonly runningByWorkflow = new Map<string, number>();
  /** Lease releases not yet confirmed; close waits for them before the store closes. */
  private readonly releasing = new Set<Promise<void>>();
  /** Timers of lease releases to try again (see releaseLease); close cancels them. */
  private readonly retrying = new Set<CancelTimer>();
  private env: Record<string, unknown> = {};
  private envFor: EnvFor | null = null;
  private closed = false;
  private cancelRenew: (() => void) | null = null;

  constructor(host: LiveHost, settings: EngineSettings) {
    this.host = host;
    this.store = host.store;
    this.clock = host.clock;
    this.changes = host.changes;
    this.settings = settings;
    this.hibernateAfterMs = settings.hibernateAfterMs;
    this.maxInstanceStateBytes = settings.maxInstanceStateBytes;
  }

  /**
   * How many of this process's running instances of `workflow` made no progress since before
   * `before` (clock time) with nothing to wait for: see `Activation.stalledSince`.
   */
  stalled(workflow: string, before: number): number {
    let count = 0;
    for (const a of this.bySeq.values()) {
      if (a.instance.workflow !== workflow) continue;
      const since = a.stalledSince();
      if (since !== null && since <= before) count += 1;
    }
    return count;
  }

  /** The running instance's `stalledSince` (null when it is not live here). */
  stalledSince(workflow: string, id: string): number | null {
    return this.byId.get(key(workflow, id))?.stalledSince() ?? null;
  }

  /** Sets what workflows see as `this.env` and starts renewing leases (on a shared store). */
  start(env: Record<string, unknown>, envFor: EnvFor | undefined): void {
    this.env = env;
    this.envFor = envFor ?? null;
    if (!this.store.capabilities.singleProcess) this.renewLoop();
  }

  /** The activation running instance `id` of `workflow` in this process, if any. */
  find(workflow: string, id: string): Activation | undefined {
    return this.byId.get(key(workflow, id));
  }

  get size(): number {
    return this.bySeq.size;
  }

  /** The running slots `workflow` holds here now (runs whose journal is still loading included). */
  running(workflow: string): number {
    return this.runningByWorkflow.get(workflow) ?? 0;
  }

  /** Free running slots per workflow and in all, for the scheduler's next claim. */
  freeSlots(): { slots: Record<string, number>; total: number } {
    const total = this.closed ? 0 : this.settings.maxRunning - this.bySeq.size;
    const slots: Record<string, number> = {};
    for (const def of this.settings.workflows.values()) {
      slots[def.name] = Math.max(
        0,
        Math.min(total, def.concurrency - (this.runningByWorkflow.get(def.name) ?? 0)),
      );
    }
    return { slots, total: Math.max(0, total) };
  }

  /** Whether an activation of the instance runs here now. */
  isLive(seq: number): boolean {
    return this.bySeq.has(seq);
  }

  /** Runs a claimed instance; a claim that cannot run here has its lease released at once. */
  activate(claim: Claim): void {
    const instance = claim.instance;
    if (this.closed) {
      this.releaseClaim(claim);
      return;
    }
    const def = this.host.definition(instance.workflow);
    const previous = this.bySeq.get(instance.seq);
    // Claimed again (its lease ran out while it still ran here): the old run gives up its slot now.
    if (previous) {
      this.removeLive(previous);
      previous.abandon();
    }
    const cls = def?.class;
    if (!def || !cls) {
      const why = def ? "has no class in this process" : "is unknown";
      this.host.report(
        new Error(`claimed an instance of workflow "${instance.workflow}", which ${why}`),
        "scheduler",
      );
      this.releaseClaim(claim);
      return;
    }
    if (claim.fresh) {
      // Never started: nothing to load (no journal, no stored state).
      const activation = new Activation(this, instance, [], def.stepLimit, 0);
      this.addLive(activation);
      this.run(activation, cls, true);
      return;
    }
    // The placeholder holds the slot (and takes control signals) while the journal loads.
    const placeholder = new Activation(this, instance, [], def.stepLimit);
    this.addLive(placeholder);
    void this.store.loadJournal(instance.seq).then(
      (journal) => {
        if (placeholder.isStopped) return;
        if (this.closed) return placeholder.release();
        this.removeLive(placeholder);
        const activation = new Activation(
          this,
          instance,
          journal,
          def.stepLimit,
          journalStateBytes(journal),
          claim.recovered === true,
        );
        this.addLive(activation);
        placeholder.handOver(activation);
        this.run(activation, cls, false);
      },
      (error) => {
        this.host.report(error, `loading the journal of ${instance.workflow}/${instance.id}`);
        placeholder.release();
      },
    );
  }

  /** Releases the lease of a claim this process will not run, so that it is claimable at once. */
  releaseClaim(claim: Claim): void {
    const fence: Fence = { seq: claim.instance.seq, epoch: claim.instance.epoch };
    this.releaseLease(fence);
  }

  private run(activation: Activation, cls: NonNullable<WorkflowDefinition["class"]>, fresh: boolean): void {
    const { instance } = activation;
    const ctx: ExecutionContext = {
      waitUntil: (promise) => {
        Promise.resolve(promise).catch((e) => this.host.report(e, "ctx.waitUntil"));
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
    const env = this.envFor ? this.envFor({ workflow: instance.workflow, id: instance.id }) : this.env;
    const observer = this.host.observer?.run?.({ instance, fresh, recovered: activation.recovered });
    activation.start(() => new cls(ctx, env).run(event, step), observer);
    this.statusChanged(instance.workflow, instance.id, "running");
  }

  private addLive(a: Activation): void {
    const { seq, workflow, id } = a.instance;
    this.bySeq.set(seq, a);
    this.byId.set(key(workflow, id), a);
    this.runningByWorkflow.set(workflow, (this.runningByWorkflow.get(workflow) ?? 0) + 1);
  }

  private removeLive(a: Activation): boolean {
    const { seq, workflow, id } = a.instance;
    if (this.bySeq.get(seq) !== a) return false;
    this.bySeq.delete(seq);
    // The id may belong to a newer instance already (deleted and created again).
    if (this.byId.get(key(workflow, id)) === a) this.byId.delete(key(workflow, id));
    this.runningByWorkflow.set(workflow, (this.runningByWorkflow.get(workflow) ?? 1) - 1);
    return true;
  }

  /** An activation stopped: frees its slot, gives back its lease if it must, reports its status. */
  ended(a: Activation, reason: EndReason, status: StoredStatus | undefined): void {
    this.removeLive(a);
    if (reason === "released") this.releaseLease(a.fence);
    if (status) this.statusChanged(a.instance.workflow, a.instance.id, status);
    // After removeLive: a change made from now on finds no live run and wakes the instance itself.
    const { workflow, id } = a.instance;
    if (status === "waiting" && a.missedOverrides(this.overridesFor(workflow, id))) {
      this.host.wakeForOverrides(workflow, id);
    }
    // A finished run only frees its slot; any other end (a hibernation whose wake time the
    // scheduler must arm, a restart queued again, a lease given up) calls for a pass.
    if (status !== undefined && FINISHED_STATUSES.includes(status)) this.host.slotFreed();
    else this.host.kick();
  }

  /** One map lookup per activation, and none at all in a process that introspects nothing. */
  overridesFor(workflow: string, id: string): StepOverrides | undefined {
    const registry = this.host.overrides;
    return registry.active ? registry.get(workflow, id) : undefined;
  }

  /** The rollback registry of a new activation (the step kinds implement it). */
  createRollbacks(steps: StepHost): RollbackLedger {
    return new RollbackRegistry(steps);
  }

  report(error: unknown, context: string): void {
    this.host.report(error, context);
  }

  /** Stops every live run at its next step (a dev reload): they are replayed on the new class. */
  drainAll(): void {
    for (const activation of [...this.bySeq.values()]) void activation.drain();
  }

  /**
   * Drains the live runs for up to `graceMs`, then gives up those still running and releases
   * their leases; resolves once every release is written, so the store may close.
   */
  async close(graceMs: number): Promise<void> {
    this.closed = true;
    this.cancelRenew?.();
    for (const cancel of this.retrying) cancel();
    this.retrying.clear();
    const draining = Promise.all([...this.bySeq.values()].map((a) => a.drain()));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([draining, grace]);
    clearTimeout(timer);
    for (const a of [...this.bySeq.values()]) a.release();
    while (this.releasing.size > 0) await Promise.all([...this.releasing]);
  }

  /**
   * Gives back a lease, keeping the release in view until it is written so that close can wait
   * for it. A release the store could not take for now (unreachable, disk full) is tried again:
   * until it is written the instance stays leased to this process, which claims no lease of its own.
   */
  private releaseLease(fence: Fence): void {
    const releasing = this.store
      .releaseLease(fence, this.clock.now())
      // A release that lands late (tried again) frees an instance the scheduler was not told of.
      .then(() => this.host.kick())
      .catch((error: unknown) => {
        if (this.closed || !isStoreOutage(error)) return;
        const cancel = this.clock.setTimer(this.clock.now() + RELEASE_RETRY_MS, () => {
          this.retrying.delete(cancel);
          if (!this.closed) this.releaseLease(fence);
        });
        this.retrying.add(cancel);
      })
      .finally(() => this.releasing.delete(releasing));
    this.releasing.add(releasing);
  }

  private statusChanged(workflow: string, id: string, status: StoredStatus): void {
    this.changes.emit({ type: "status", workflow, id, status, at: this.clock.now() });
    this.host.observer?.statusWritten?.(workflow, id, status);
  }

  private renewLoop(): void {
    if (this.closed) return;
    this.cancelRenew = this.clock.setTimer(this.clock.now() + this.host.leaseMs / 3, async () => {
      const fences = [...this.bySeq.values()].map((a) => a.fence);
      if (fences.length > 0) {
        await this.store
          .renewLeases(this.host.owner, fences, this.clock.now(), this.host.leaseMs)
          .catch((e) => this.host.report(e, "lease renewal"));
      }
      this.renewLoop();
    });
  }
}

function key(workflow: string, id: string): string {
  return `${workflow}\u0000${id}`;
}
