// The PostgreSQL implementation of the Store contract, for many processes on many machines
// sharing one database: claims with FOR UPDATE SKIP LOCKED, writes fenced by lease epoch,
// prompt wake-ups through LISTEN/NOTIFY on top of the timer index, and group commit by running
// the writes of different instances as concurrent transactions on a pool (PostgreSQL flushes
// concurrent commits together). See docs/storage.md for how to run it.

import { randomUUID } from "node:crypto";
import { EngineClosedError } from "../../errors.js";
import type { PoolUse, StoreObserver } from "../store-observer.js";
import type {
  ActivityCounts,
  ChangedInstance,
  ChangeScope,
  Claim,
  ClaimRequest,
  ControlResult,
  CreateResult,
  DeletedInstance,
  EventRecord,
  Fence,
  FinishResult,
  InstanceFilter,
  InstanceRecord,
  ListPage,
  ListQuery,
  LogEntry,
  LogInput,
  NewInstance,
  PublishedChange,
  StepKind,
  StepRecord,
  Store,
  StoredStatus,
  StorePing,
  StoreSignal,
} from "../types.js";
import { ChangePublisher } from "./change-publisher.js";
import { Claims } from "./claims.js";
import { connect, describeTarget, type Tables, tables } from "./connection.js";
import { Control } from "./control.js";
import { Database } from "./database.js";
import { isConnectionError } from "./errors.js";
import { FencedWrites } from "./fenced-writes.js";
import { InstanceQueue } from "./instance-queue.js";
import { type LeaseClock, LeaseTime } from "./lease-time.js";
import { migrate } from "./migrations.js";
import { pingPostgres } from "./ping.js";
import { Reads } from "./reads.js";
import { Retention } from "./retention.js";
import { channelOf, encodeSignal, SignalListener } from "./signals.js";
import type { PostgresTarget } from "./target.js";

/** How to open a PostgreSQL store. */
export type PostgresStoreOptions = {
  /** A `postgres://` URL (`?schema=` allowed), a `pg` config object, or a `pg` Pool you own. */
  connection: PostgresTarget;
  /** Schema holding Cairn's tables; deployments in different schemas share nothing. Default "cairn". */
  schema?: string;
  /** Connections in the pool Cairn creates (ignored for your own Pool). Default 10. */
  poolSize?: number;
  /** The time recorded for migrations. */
  now?: number;
  /**
   * Whose clock judges leases: "server" (default), the database server's, so that processes
   * whose wall clocks disagree never take live leases or keep dead ones; "caller", the `now`
   * Cairn passes, for tests that drive leases with a FakeClock in one process.
   */
  leaseClock?: LeaseClock;
};

const RELEASE_RETRY_MS = 500;

/**
 * The Store on PostgreSQL, for many processes sharing one database.
 * @example
 * const store = await PostgresStore.open({ connection: "postgres://localhost/cairn" });
 */
export class PostgresStore implements Store {
  readonly capabilities = { singleProcess: false, claimSharesCreateCommit: false };
  readonly schema: string;
  private readonly db: Database;
  private readonly owned: boolean;
  private readonly origin = randomUUID();
  private readonly claims: Claims;
  private readonly fenced: FencedWrites;
  private readonly control: Control;
  private readonly retention: Retention;
  private readonly queue = new InstanceQueue();
  private readonly listeners = new Set<(signal: StoreSignal) => void>();
  private readonly listener: SignalListener;
  private readonly publisher: ChangePublisher;
  private readonly reads: Reads;
  private readonly tableNames: Tables;
  /** Wake-ups of the delays retries are waiting out, called at close so that they end at once. */
  private readonly retryDelays = new Set<() => void>();
  private closed = false;

  private constructor(db: Database, owned: boolean, schema: string, leaseClock: LeaseClock) {
    this.db = db;
    this.owned = owned;
    this.schema = schema;
    const t = tables(schema);
    this.tableNames = t;
    const signal = (s: StoreSignal) => encodeSignal(this.origin, s);
    const lease = new LeaseTime(leaseClock);
    this.claims = new Claims(db, t, lease);
    this.fenced = new FencedWrites(db, t, signal);
    this.retention = new Retention(db, t, signal);
    this.control = new Control(db, t, signal, this.retention, lease);
    this.listener = new SignalListener(db.pool, db.channel, this.origin, (s) => this.deliver(s));
    this.reads = new Reads(db, t, lease);
    this.publisher = new ChangePublisher(db, this.origin);
  }

  /** Connects, applies migrations (safely, whatever else starts at the same time) and opens. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const { pool, owned, schema } = connect(options.connection, {
      ...(options.schema !== undefined ? { schema: options.schema } : {}),
      ...(options.poolSize !== undefined ? { poolSize: options.poolSize } : {}),
    });
    try {
      await migrate(
        pool,
        tables(schema),
        schema,
        options.now ?? Date.now(),
        describeTarget(options.connection),
      );
    } catch (error) {
      if (owned) await pool.end().catch(() => {});
      throw error;
    }
    const leaseClock = options.leaseClock ?? "server";
    return new PostgresStore(new Database(pool, channelOf(schema)), owned, schema, leaseClock);
  }

  private assertOpen(): void {
    if (this.closed) throw new EngineClosedError();
  }

  /** A fenced write, after the earlier writes of the same instance. */
  private inOrder<T>(fence: Fence, work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new EngineClosedError());
    return this.queue.run(fence.seq, work);
  }

  // ---- reads ------------------------------------------------------------------------------

  async getInstance(workflow: string, id: string): Promise<InstanceRecord | undefined> {
    this.assertOpen();
    return this.reads.getInstance(workflow, id);
  }

  async listInstances(query: ListQuery): Promise<ListPage> {
    this.assertOpen();
    return this.reads.listInstances(query);
  }

  async countInstances(filter: InstanceFilter): Promise<number> {
    this.assertOpen();
    return this.reads.countInstances(filter);
  }

  async countByStatus(workflow: string): Promise<Partial<Record<StoredStatus, number>>> {
    this.assertOpen();
    return this.reads.countByStatus(workflow);
  }

  async activity(workflow: string, fromMs: number, toMs: number): Promise<ActivityCounts> {
    this.assertOpen();
    return this.reads.activity(workflow, fromMs, toMs);
  }

  async changedSince(since: number, limit: number, scope?: ChangeScope): Promise<ChangedInstance[]> {
    this.assertOpen();
    return this.reads.changedSince(since, limit, scope);
  }

  async deletedSince(since: number, limit: number, scope?: ChangeScope): Promise<DeletedInstance[]> {
    this.assertOpen();
    return this.reads.deletedSince(since, limit, scope);
  }

  async nextWakeAt(owner: string, now: number): Promise<number | null> {
    this.assertOpen();
    return this.reads.nextWakeAt(owner, now);
  }

  async loadJournal(seq: number): Promise<StepRecord[]> {
    this.assertOpen();
    return this.reads.loadJournal(seq);
  }

  async readLog(seq: number): Promise<LogEntry[]> {
    this.assertOpen();
    return this.reads.readLog(seq);
  }

  async loadStreamChunks(seq: number, key: string): Promise<Uint8Array[]> {
    this.assertOpen();
    return this.reads.loadStreamChunks(seq, key);
  }

  async stateBytes(seq: number): Promise<number> {
    this.assertOpen();
    return this.reads.stateBytes(seq);
  }

  async ping(timeoutMs: number): Promise<StorePing> {
    this.assertOpen();
    return pingPostgres(this.db.pool, this.tableNames, timeoutMs);
  }

  // ---- claims and leases --------------------------------------------------------------------

  async claim(request: ClaimRequest): Promise<Claim[]> {
    this.assertOpen();
    return this.claims.claim(request);
  }

  async renewLeases(owner: string, fences: Fence[], now: number, leaseMs: number): Promise<void> {
    this.assertOpen();
    if (fences.length === 0) return;
    // A lost control signal (terminated, taken over, pause requested) still reaches the runner here.
    for (const signal of await this.claims.renewLeases(owner, fences, now, leaseMs)) this.deliver(signal);
  }

  /**
   * Releases a lease. If the database is unreachable it keeps trying in the background until it
   * is back (or the store closes), so the instance becomes claimable at once instead of waiting
   * for its lease to run out.
   */
  releaseLease(fence: Fence, now: number): Promise<void> {
    return this.inOrder(fence, async () => {
      for (;;) {
        try {
          await this.claims.releaseLease(fence, now, encodeSignal(this.origin, { kind: "wake" }));
          return;
        } catch (error) {
          if (this.closed || !isConnectionError(error)) throw error;
        }
        await this.delay(RELEASE_RETRY_MS);
        if (this.closed) throw new EngineClosedError();
      }
    });
  }

  /** Waits `ms`, or less if the store closes meanwhile. */
  private delay(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.retryDelays.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.retryDelays.add(done);
    });
  }

  // ---- the runner's fenced writes ----------------------------------------------------------

  recordStep(fence: Fence, record: StepRecord, log: LogInput[], now: number): Promise<void> {
    return this.inOrder(fence, () => this.fenced.recordStep(fence, record, log, now));
  }

  appendLog(fence: Fence, log: LogInput[], now: number): Promise<void> {
    return this.inOrder(fence, () => this.fenced.appendLog(fence, log, now));
  }

  consumeEvent(
    fence: Fence,
    step: { key: string; name: string; count: number; startedAt: number; type: string },
    now: number,
  ): Promise<EventRecord | undefined> {
    return this.inOrder(fence, () => this.fenced.consumeEvent(fence, step, now));
  }

  suspend(
    fence: Fence,
    wake: { wakeAt: number | null; waitTypes: string[] },
    now: number,
  ): Promise<"waiting" | "paused"> {
    return this.inOrder(fence, () => this.fenced.suspend(fence, wake, now));
  }

  settlePause(fence: Fence, now: number): Promise<void> {
    return this.inOrder(fence, () => this.fenced.settlePause(fence, now));
  }

  finish(fence: Fence, result: FinishResult, now: number): Promise<void> {
    return this.inOrder(fence, () => this.fenced.finish(fence, result, now));
  }

  appendStreamChunks(fence: Fence, key: string, chunks: Uint8Array[], now: number): Promise<void> {
    return this.inOrder(fence, () => this.fenced.appendStreamChunks(fence, key, chunks, now));
  }

  discardStreamChunks(fence: Fence, key: string, now: number): Promise<void> {
    return this.inOrder(fence, () => this.fenced.discardStreamChunks(fence, key, now));
  }

  // ---- operations from any process ---------------------------------------------------------

  async createInstances(items: NewInstance[], now: number): Promise<CreateResult[]> {
    this.assertOpen();
    return this.control.createInstances(items, now);
  }

  async sendEvent(
    workflow: string,
    id: string,
    event: { type: string; payload: Uint8Array },
    now: number,
  ): Promise<ControlResult<"sent" | "finished">> {
    this.assertOpen();
    return this.control.sendEvent(workflow, id, event, now);
  }

  async requestPause(
    workflow: string,
    id: string,
    now: number,
  ): Promise<ControlResult<"paused" | "pausing" | "noop">> {
    this.assertOpen();
    return this.control.requestPause(workflow, id, now);
  }

  async resume(
    workflow: string,
    id: string,
    now: number,
  ): Promise<ControlResult<"resumed" | "unpaused" | "noop">> {
    this.assertOpen();
    return this.control.resume(workflow, id, now);
  }

  async terminate(
    workflow: string,
    id: string,
    now: number,
    options?: { rollback?: boolean },
  ): Promise<ControlResult<"terminated" | "finished" | "rolling_back">> {
    this.assertOpen();
    return this.control.terminate(workflow, id, now, options);
  }

  async restart(workflow: string, id: string, now: number): Promise<ControlResult<"restarted">> {
    this.assertOpen();
    return this.control.restart(workflow, id, now);
  }

  async setAffinity(
    workflow: string,
    id: string,
    owner: string | null,
    now: number,
  ): Promise<ControlResult<"set" | "revoked">> {
    this.assertOpen();
    return this.control.setAffinity(workflow, id, owner, now);
  }

  async wake(workflow: string, id: string, now: number): Promise<ControlResult<"woken" | "noop">> {
    this.assertOpen();
    return this.control.wake(workflow, id, now);
  }

  async restartFrom(
    workflow: string,
    id: string,
    target: { kind: StepKind; name: string; count: number },
    now: number,
  ): Promise<ControlResult<"restarted" | "step_not_found">> {
    this.assertOpen();
    return this.control.restartFrom(workflow, id, target, now);
  }

  async deleteInstances(
    workflow: string,
    ids: string[],
    now: number,
  ): Promise<{ id: string; outcome: "deleted" | "not_found" }[]> {
    this.assertOpen();
    return this.retention.deleteInstances(workflow, ids, now);
  }

  async advanceSchedule(
    workflow: string,
    cron: string,
    scheduledTime: number,
    instance: NewInstance | null,
    now: number,
  ): Promise<boolean> {
    this.assertOpen();
    return this.control.advanceSchedule(workflow, cron, scheduledTime, instance, now);
  }

  async scheduleMark(workflow: string, cron: string): Promise<number | null> {
    this.assertOpen();
    return this.control.scheduleMark(workflow, cron);
  }

  async deleteExpired(now: number, limit: number): Promise<{ workflow: string; id: string }[]> {
    this.assertOpen();
    return this.retention.deleteExpired(now, limit);
  }

  // ---- signals and shutdown ----------------------------------------------------------------

  /** Starts listening on the first subscriber; other processes' changes arrive as signals. */
  subscribe(listener: (signal: StoreSignal) => void): () => void {
    this.listeners.add(listener);
    if (!this.closed) this.listener.start();
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Tells the other processes' subscribers of a change this process made (batched, best effort). */
  publishChange(change: PublishedChange): void {
    this.publisher.add(change);
  }

  private deliver(signal: StoreSignal): void {
    for (const listener of [...this.listeners]) listener(signal);
  }

  /** Reports each statement sent to the server to `observer`. */
  observe(observer: StoreObserver): void {
    this.db.observer = observer;
  }

  /** The pool's connections now (Cairn's own LISTEN connection among them). */
  poolUse(): PoolUse {
    const pool = this.db.pool;
    const max = (pool as { options?: { max?: number } }).options?.max ?? 0;
    return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max };
  }

  /** Lets queued writes finish, stops listening and ends the pool if Cairn created it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const wakeUp of [...this.retryDelays]) wakeUp();
    await this.publisher.stop();
    await this.listener.stop();
    await this.queue.idle();
    if (this.owned) await this.db.pool.end();
  }
}
