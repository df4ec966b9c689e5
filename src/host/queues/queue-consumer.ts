// Delivers one queue's messages to the Worker's `queue` handler. It wakes when a message is sent
// in this process, on a timer for the next delay, batch window or lease to run out, and (on a
// shared PostgreSQL store) on a short poll that finds messages sent by other processes. A batch
// goes out when `max_batch_size` messages are ready or the oldest ready one has waited
// `max_batch_timeout`; up to `max_concurrency` batches run at once. Messages are leased while
// the handler runs (renewed every third of the lease), then acknowledged, retried after their
// delay, or, past `max_retries`, moved to the dead letter queue or dropped with a warning.

import type { CancelTimer, Clock } from "../../engine/clock.js";
import type { Logger } from "../../observability/logger.js";
import { BatchOutcome, createMessageBatch, type MessageBatch } from "./message-batch.js";
import { decodeBody } from "./message-encoding.js";
import { emptySettlement, type QueueStore, type Settlement, type StoredMessage } from "./queue-store.js";
import type { ConsumerConfig } from "./queues-config.js";

/** Calls the Worker's current `queue` handler, or returns null when the Worker has none. */
export type QueueHandler = (batch: MessageBatch) => Promise<void>;

export type ConsumerOptions = {
  config: ConsumerConfig;
  store: QueueStore;
  clock: Clock;
  /** This process's name on the messages it leases. */
  owner: string;
  leaseMs: number;
  /** How often to look for messages sent by other processes; null when no other process can. */
  pollMs: number | null;
  handler: () => QueueHandler | null;
  log: Logger;
  /** Told that messages were moved to the dead letter queue `queue`. */
  deadLettered: (queue: string) => void;
};

export class QueueConsumer {
  private readonly running = new Set<Promise<void>>();
  private started = false;
  private stopped = false;
  private pumping: Promise<void> | null = null;
  private wakeAgain = false;
  private cancelTimer: CancelTimer | null = null;
  private poll: NodeJS.Timeout | null = null;

  private readonly options: ConsumerOptions;

  constructor(options: ConsumerOptions) {
    this.options = options;
  }

  get queue(): string {
    return this.options.config.queue;
  }

  /** Batches being handled right now. */
  get inFlight(): number {
    return this.running.size;
  }

  start(): void {
    this.started = true;
    if (this.options.pollMs !== null) {
      this.poll = setInterval(() => this.wake(), this.options.pollMs);
      this.poll.unref();
    }
    this.wake();
  }

  /** Looks at the queue again (after a send, a timer, a finished batch). */
  wake(): void {
    if (!this.started || this.stopped) return;
    if (this.pumping) {
      this.wakeAgain = true;
      return;
    }
    this.pumping = this.pump()
      .catch((error) => this.options.log.error({ err: error, queue: this.queue }, "queue delivery failed"))
      .finally(() => {
        this.pumping = null;
        if (this.wakeAgain) {
          this.wakeAgain = false;
          this.wake();
        }
      });
  }

  /** Hands out batches while there is room, then arms a timer for the next moment worth a look. */
  private async pump(): Promise<void> {
    const { config, store, clock, owner, leaseMs } = this.options;
    while (!this.stopped && this.running.size < config.maxConcurrency) {
      const now = clock.now();
      const backlog = await store.backlog(config.queue, now, config.maxBatchSize);
      if (backlog.ready === 0) return this.armTimer(backlog.nextVisibleAt);
      const windowEnds = (backlog.oldestReadyAt ?? now) + config.maxBatchTimeoutMs;
      if (backlog.ready < config.maxBatchSize && windowEnds > now) {
        return this.armTimer(Math.min(windowEnds, backlog.nextVisibleAt ?? windowEnds));
      }
      const claimed = await store.claim(config.queue, now, config.maxBatchSize, owner, now + leaseMs);
      if (this.stopped) {
        // Closing began while the claim ran: the batch never starts, so it goes back at once.
        await store.release(claimed, owner, clock.now());
        return;
      }
      // Another process took them first; on a shared store the poll looks again.
      if (claimed.length === 0) return;
      this.launch(claimed);
    }
  }

  private armTimer(at: number | null): void {
    this.cancelTimer?.();
    this.cancelTimer = at === null ? null : this.options.clock.setTimer(at, () => this.wake());
  }

  private launch(claimed: StoredMessage[]): void {
    const run: Promise<void> = this.runBatch(claimed)
      .catch((error) => this.options.log.error({ err: error, queue: this.queue }, "queue batch failed"))
      .finally(() => {
        this.running.delete(run);
        this.wake();
      });
    this.running.add(run);
  }

  private async runBatch(claimed: StoredMessage[]): Promise<void> {
    const { config, clock, store, owner, log } = this.options;
    const maxAttempts = config.maxRetries + 1;
    // Delivered that many times already, each cut short (the process died): no more tries.
    const exhausted = claimed.filter((m) => m.attempts > maxAttempts);
    const deliver = claimed.filter((m) => m.attempts <= maxAttempts);
    const stopRenewing = this.renewWhileRunning(claimed);
    const outcome = new BatchOutcome((message) => log.warn({ queue: config.queue }, message));
    let threw = false;
    try {
      if (deliver.length > 0) threw = !(await this.callHandler(deliver, outcome));
    } finally {
      stopRenewing();
    }
    const settlement = this.settlement(deliver, exhausted, outcome, threw, clock.now());
    await store.settle(owner, settlement, clock.now());
    if (settlement.deadLettered.length > 0 && config.deadLetterQueue) {
      this.options.deadLettered(config.deadLetterQueue);
    }
    log.info(
      {
        queue: config.queue,
        messages: deliver.length,
        acked: settlement.acked.length,
        retried: settlement.retried.length,
      },
      "queue batch delivered",
    );
  }

  /** Runs the handler on the batch; false when it threw or there is no handler to run. */
  private async callHandler(messages: StoredMessage[], outcome: BatchOutcome): Promise<boolean> {
    const { config, log } = this.options;
    const handler = this.options.handler();
    if (!handler) {
      log.error({ queue: config.queue }, "the Worker exports no queue handler; the batch is retried");
      return false;
    }
    try {
      const delivered = messages.map((m) => ({
        id: m.id,
        timestamp: new Date(m.sentAt),
        body: decodeBody(m.body, m.contentType),
        attempts: m.attempts,
      }));
      await handler(createMessageBatch(config.queue, delivered, outcome));
      return true;
    } catch (error) {
      log.error(
        { err: error, queue: config.queue },
        "queue handler threw; messages not acknowledged are retried",
      );
      return false;
    }
  }

  private settlement(
    delivered: StoredMessage[],
    exhausted: StoredMessage[],
    outcome: BatchOutcome,
    threw: boolean,
    now: number,
  ): Settlement {
    const { config } = this.options;
    const settlement = emptySettlement();
    const failed = [...exhausted];
    for (const m of delivered) {
      const claim = { id: m.id, attempts: m.attempts };
      const decision = outcome.decide(m.id, threw);
      if (!decision.retry) settlement.acked.push(claim);
      else if (m.attempts >= config.maxRetries + 1) failed.push(m);
      else {
        const delay = decision.delaySeconds ?? config.retryDelay;
        settlement.retried.push({ ...claim, visibleAt: now + delay * 1000 });
      }
    }
    for (const m of failed) this.giveUp(m, settlement);
    return settlement;
  }

  /** A message out of retries: to the dead letter queue if there is one, else dropped. */
  private giveUp(m: StoredMessage, settlement: Settlement): void {
    const { config, log } = this.options;
    const claim = { id: m.id, attempts: m.attempts };
    const tries = `${config.maxRetries + 1} attempt${config.maxRetries === 0 ? "" : "s"}`;
    if (config.deadLetterQueue) {
      settlement.deadLettered.push({ ...claim, queue: config.deadLetterQueue });
      log.warn(
        { queue: config.queue, id: m.id, deadLetterQueue: config.deadLetterQueue },
        `message moved to dead letter queue "${config.deadLetterQueue}" after ${tries}`,
      );
    } else {
      settlement.dropped.push(claim);
      log.warn({ queue: config.queue, id: m.id }, `message dropped after ${tries}: no dead letter queue`);
    }
  }

  /** Keeps the batch's lease alive until the returned function is called. */
  private renewWhileRunning(claimed: StoredMessage[]): () => void {
    const { clock, store, owner, leaseMs, log } = this.options;
    const claims = claimed.map((m) => ({ id: m.id, attempts: m.attempts }));
    let cancel: CancelTimer | null = null;
    let done = false;
    const schedule = () => {
      cancel = clock.setTimer(clock.now() + leaseMs / 3, () => {
        if (done) return;
        store
          .renew(claims, owner, clock.now() + leaseMs)
          .catch((error) => log.error({ err: error, queue: this.queue }, "renewing a queue lease failed"))
          .finally(() => {
            if (!done) schedule();
          });
      });
    };
    schedule();
    return () => {
      done = true;
      cancel?.();
    };
  }

  /** Resolves once no look at the queue and no batch is under way (for tests and inspection). */
  async settled(): Promise<void> {
    while (this.pumping || this.running.size > 0) {
      await this.pumping;
      await Promise.allSettled([...this.running]);
    }
  }

  /**
   * Stops claiming, then waits up to `graceMs` for running batches. A batch still running after
   * that keeps its lease, which runs out, and its messages are delivered again.
   */
  async close(graceMs: number): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    if (this.poll) clearInterval(this.poll);
    await this.pumping;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.allSettled([...this.running]), bound]);
    clearTimeout(timer);
  }
}
