// Finds runnable work and hands it to the engine: waking instances (due timers, arrived events,
// expired leases) first, then queued ones oldest first, within the free concurrency slots. It
// runs when kicked (create, event, slot freed) and at the store's next wake-up time.

import type { Claim, Store } from "../storage/types.js";
import type { CancelTimer, Clock } from "./clock.js";

export interface SchedulerHost {
  readonly store: Store;
  readonly clock: Clock;
  readonly owner: string;
  readonly leaseMs: number;
  freeSlots(): { slots: Record<string, number>; total: number };
  activate(claim: Claim): void;
  /** Gives back a claim that arrived after the scheduler stopped (its lease is released). */
  release(claim: Claim): void;
  /** Whether this process runs the instance now. */
  isLive(seq: number): boolean;
  report(error: unknown, context: string): void;
}

/**
 * How the scheduler's passes went, for health checks: when a pass last went well, and while
 * passes fail, the latest error and when the failing began (the first failure since a good pass).
 */
export type SchedulerHealth = {
  lastPassAt: number | null;
  failing: { since: number; at: number; error: unknown } | null;
};

/** How long to wait before trying again after the store failed. */
const RETRY_AFTER_ERROR_MS = 1000;
/**
 * On a store shared by processes, how soon after a run ends a pass looks for work the last pass
 * could not see (rows another process's claim held locked for a moment): a second at most, so
 * that a busy process pays one extra pass a second, not one per finished run.
 */
const SHARED_STORE_RECHECK_MS = 1_000;
/** Upper bound between passes, a safety net if a wake-up was missed. */
const MAX_IDLE_MS = 60_000;

/** Instances this process just created or woke, all of one workflow, to claim in one short call. */
type JustMade = { kind: "created" | "woken"; workflow: string; seqs: number[] };

export class Scheduler {
  private readonly host: SchedulerHost;
  private running = false;
  private again = false;
  private kicked = false;
  private stopped = false;
  private timer: CancelTimer | null = null;
  private timerAt = Number.POSITIVE_INFINITY;
  private dueMisses = 0;
  /** The pass in progress, which stop() waits for so that no claim it makes is left held. */
  private passing: Promise<void> | null = null;
  private lastPassAt: number | null = null;
  /**
   * Whether the last pass may have left claimable work for want of a free slot (every slot
   * taken, or a workflow at its cap). Only then does a freed slot call for a pass: otherwise
   * whatever becomes runnable kicks the scheduler itself (a create, an event, a signal, a timer).
   */
  private slotBound = true;
  /**
   * Instances created or woken here while a pass ran, to claim (see claimCreated, claimWoken)
   * once it is over.
   */
  private pendingJust: JustMade[] = [];
  private failing: SchedulerHealth["failing"] = null;

  constructor(host: SchedulerHost) {
    this.host = host;
  }

  /** How the passes went so far (two fields written per pass, read by health checks). */
  health(): SchedulerHealth {
    return { lastPassAt: this.lastPassAt, failing: this.failing };
  }

  /** A run ended and freed its slot: a pass only if the last one left work for want of slots. */
  slotFreed(): void {
    // A pass under way read its slots before this one freed: it may leave work for want of it.
    if (this.slotBound || this.running) this.kick();
    // On a store shared by processes, a pass may have skipped queued instances another process's
    // claim held locked for a moment (and then left); a pass shortly after finds them.
    else if (!this.host.store.capabilities.singleProcess)
      this.arm(this.host.clock.now() + SHARED_STORE_RECHECK_MS);
  }

  /** Asks for a pass soon; many kicks in one tick make one pass. */
  kick(): void {
    if (this.stopped || this.kicked) return;
    this.kicked = true;
    setImmediate(() => {
      this.kicked = false;
      void this.pass();
    });
  }

  /** Starts a pass in this tick, so that its claim can share a commit with a write just issued. */
  passNow(): void {
    if (this.stopped) return;
    void this.pass();
  }

  /**
   * Claims instances this process just created (all of `workflow`), in one short store call, on a
   * store whose create and claim do not share a commit. What it leaves (no free slot, older
   * queued instances first, a pass already running) goes to a full pass.
   */
  claimCreated(workflow: string, seqs: number[]): void {
    this.claimJust({ kind: "created", workflow, seqs });
  }

  /**
   * Claims instances an event sent from this process just made due (all of `workflow`), in one
   * short store call, on a store whose claim does not share the event's commit. What it leaves
   * (no free slot, an instance due earlier, a pass already running) goes to a full pass.
   */
  claimWoken(workflow: string, seqs: number[]): void {
    this.claimJust({ kind: "woken", workflow, seqs });
  }

  private claimJust(just: JustMade): void {
    if (this.stopped || just.seqs.length === 0) return;
    if (this.running) {
      // After the pass under way (which may take some of them itself).
      this.pendingJust.push(just);
      return;
    }
    this.startClaimOnly(just);
  }

  private startClaimOnly(just: JustMade): void {
    this.running = true;
    const passing = this.claimOnly(just).finally(() => {
      if (this.passing === passing) this.passing = null;
    });
    this.passing = passing;
  }

  /**
   * What comes after a pass: the creates and wakes that waited for it, else another pass if one
   * was asked for.
   */
  private afterPass(): void {
    this.running = false;
    const next = this.pendingJust.shift();
    if (next && !this.stopped) {
      // The others of the same workflow and kind go along in the same statement.
      const seqs = [...next.seqs];
      this.pendingJust = this.pendingJust.filter((p) => {
        if (p.workflow !== next.workflow || p.kind !== next.kind) return true;
        seqs.push(...p.seqs);
        return false;
      });
      this.startClaimOnly({ kind: next.kind, workflow: next.workflow, seqs });
      return;
    }
    if (this.again) {
      this.again = false;
      this.kick();
    }
  }

  private async claimOnly(just: JustMade): Promise<void> {
    const { store, clock } = this.host;
    const { workflow } = just;
    // A pass that ran meanwhile may have taken some of them already.
    const seqs = just.seqs.filter((seq) => !this.host.isLive(seq));
    if (seqs.length === 0) {
      this.afterPass();
      return;
    }
    try {
      const { slots, total } = this.host.freeSlots();
      const claims =
        total > 0
          ? await store.claim({
              owner: this.host.owner,
              now: clock.now(),
              leaseMs: this.host.leaseMs,
              slots,
              total,
              [just.kind]: { workflow, seqs },
            })
          : [];
      if (this.stopped) {
        for (const c of claims) this.host.release(c);
        return;
      }
      for (const c of claims) this.host.activate(c);
      if (filledAWorkflow(slots, claims)) this.slotBound = true;
      if (claims.length < seqs.length) this.again = true;
    } catch (error) {
      // A full pass finds them (and reports a store that stays unreachable).
      this.again = true;
      this.host.report(error, "scheduler");
    } finally {
      this.afterPass();
    }
  }

  /**
   * Stops finding work. Resolves once the pass in progress (if any) is over: a claim it receives
   * after this call is given back, never left holding a lease until it expires.
   */
  stop(): Promise<void> {
    this.stopped = true;
    this.timer?.();
    this.timer = null;
    return this.passing ?? Promise.resolve();
  }

  private pass(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return Promise.resolve();
    }
    this.running = true;
    const passing = this.claimAndArm().finally(() => {
      if (this.passing === passing) this.passing = null;
    });
    this.passing = passing;
    return passing;
  }

  private async claimAndArm(): Promise<void> {
    const { store, clock } = this.host;
    try {
      let claimed = 0;
      for (;;) {
        const { slots, total } = this.host.freeSlots();
        if (total <= 0) {
          this.slotBound = true;
          break;
        }
        const claims = await store.claim({
          owner: this.host.owner,
          now: clock.now(),
          leaseMs: this.host.leaseMs,
          slots,
          total,
        });
        if (this.stopped) {
          for (const c of claims) this.host.release(c);
          return;
        }
        for (const c of claims) this.host.activate(c);
        claimed += claims.length;
        if (claims.length < total) {
          this.slotBound = filledAWorkflow(slots, claims);
          break;
        }
      }
      const next = await store.nextWakeAt(this.host.owner, clock.now());
      const now = clock.now();
      this.lastPassAt = now;
      this.failing = null;
      if (next !== null && next <= now) {
        // Due now: either it became due after our claim (look again at once), or it cannot be
        // taken for lack of a slot (a freed slot kicks us; the timer is only a safety net).
        this.dueMisses = claimed > 0 ? 0 : this.dueMisses + 1;
        if (this.dueMisses <= 1) this.again = true;
        else this.arm(now + RETRY_AFTER_ERROR_MS);
      } else {
        this.dueMisses = 0;
        this.arm(Math.min(next ?? Number.POSITIVE_INFINITY, now + MAX_IDLE_MS));
      }
    } catch (error) {
      const at = clock.now();
      this.slotBound = true;
      this.failing = { since: this.failing?.since ?? at, at, error };
      this.host.report(error, "scheduler");
      this.arm(clock.now() + RETRY_AFTER_ERROR_MS);
    } finally {
      this.afterPass();
    }
  }

  private arm(at: number): void {
    if (this.stopped) return;
    if (this.timer && this.timerAt <= at && this.timerAt > this.host.clock.now()) return;
    this.timer?.();
    this.timerAt = at;
    this.timer = this.host.clock.setTimer(at, () => {
      this.timer = null;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.kick();
    });
  }
}

/** True when a workflow had no free slot, or the claim took all of its free slots. */
function filledAWorkflow(slots: Record<string, number>, claims: Claim[]): boolean {
  const taken = new Map<string, number>();
  for (const c of claims) taken.set(c.instance.workflow, (taken.get(c.instance.workflow) ?? 0) + 1);
  for (const [workflow, free] of Object.entries(slots)) if ((taken.get(workflow) ?? 0) >= free) return true;
  return false;
}
