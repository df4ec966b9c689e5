// The `batch` a consumer's `queue(batch, env, ctx)` handler receives, and the record of what the
// handler asked for. The rules are workerd's: a message's own ack() or retry() wins over ackAll(),
// retryAll() and a thrown handler; once ackAll() or retryAll() was called, the other batch-level
// call and a later contrary per-message call have no effect and are warned about.

import { MAX_DELAY_SECONDS } from "./limits.js";
import { QueueTypeError } from "./queue-errors.js";

/** A delivered message, as Cloudflare's `Message`. */
export interface Message<Body = unknown> {
  readonly id: string;
  readonly timestamp: Date;
  readonly body: Body;
  readonly attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

/** A delivered batch, as Cloudflare's `MessageBatch`. */
export interface MessageBatch<Body = unknown> {
  readonly queue: string;
  readonly messages: readonly Message<Body>[];
  ackAll(): void;
  retryAll(options?: { delaySeconds?: number }): void;
}

export type DeliveredMessage = { id: string; timestamp: Date; body: unknown; attempts: number };

/** What the handler asked for, message by message and for the whole batch. */
export class BatchOutcome {
  readonly acks = new Set<string>();
  /** Message id → its own delay in seconds, or undefined for the default. */
  readonly retries = new Map<string, number | undefined>();
  ackAll = false;
  retryAll: { delaySeconds: number | undefined } | null = null;

  private readonly warn: (message: string) => void;

  constructor(warn: (message: string) => void) {
    this.warn = warn;
  }

  /**
   * What becomes of message `id`: "ack", or a retry with its delay (undefined: the consumer's
   * retry_delay). `threw` says the handler threw or rejected.
   */
  decide(id: string, threw: boolean): { retry: false } | { retry: true; delaySeconds: number | undefined } {
    if (this.acks.has(id)) return { retry: false };
    if (this.retries.has(id)) {
      return { retry: true, delaySeconds: this.retries.get(id) ?? this.retryAll?.delaySeconds };
    }
    if (this.ackAll) return { retry: false };
    if (this.retryAll) return { retry: true, delaySeconds: this.retryAll.delaySeconds };
    return threw ? { retry: true, delaySeconds: undefined } : { retry: false };
  }

  ack(id: string): void {
    if (this.ackAll) return;
    if (this.retryAll) {
      this.warn(
        `Received a call to ack() on message ${id} after retryAll() was already called; the ack has no effect.`,
      );
      return;
    }
    if (this.retries.has(id)) {
      this.warn(
        `Received a call to ack() on message ${id} after retry() was already called; the ack has no effect.`,
      );
      return;
    }
    this.acks.add(id);
  }

  retry(id: string, options: { delaySeconds?: number } | undefined): void {
    const delaySeconds = retryDelay(options, "retry");
    if (this.ackAll) {
      this.warn(
        `Received a call to retry() on message ${id} after ackAll() was already called; the retry has no effect.`,
      );
      return;
    }
    if (this.acks.has(id)) {
      this.warn(
        `Received a call to retry() on message ${id} after ack() was already called; the retry has no effect.`,
      );
      return;
    }
    this.retries.set(id, delaySeconds ?? this.retries.get(id));
  }

  markAckAll(): void {
    if (this.retryAll) {
      this.warn("Received a call to ackAll() after retryAll() was already called; the ackAll has no effect.");
      return;
    }
    this.ackAll = true;
  }

  markRetryAll(options: { delaySeconds?: number } | undefined): void {
    const delaySeconds = retryDelay(options, "retryAll");
    if (this.ackAll) {
      this.warn(
        "Received a call to retryAll() after ackAll() was already called; the retryAll has no effect.",
      );
      return;
    }
    this.retryAll = { delaySeconds };
  }
}

/** The `delaySeconds` of a retry option, checked against the limit a send has. */
function retryDelay(options: { delaySeconds?: number } | undefined, call: string): number | undefined {
  const value = options?.delaySeconds;
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_DELAY_SECONDS) {
    throw new QueueTypeError(
      "queue.delay_invalid",
      `${call}(): delaySeconds must be a whole number of seconds from 0 to ${MAX_DELAY_SECONDS}, got ${String(value)}`,
    );
  }
  return value;
}

/** The batch handed to the handler, writing what it asks for into `outcome`. */
export function createMessageBatch(
  queue: string,
  delivered: DeliveredMessage[],
  outcome: BatchOutcome,
): MessageBatch {
  const messages = delivered.map(
    (m): Message =>
      Object.freeze({
        id: m.id,
        timestamp: m.timestamp,
        body: m.body,
        attempts: m.attempts,
        ack: () => outcome.ack(m.id),
        retry: (options?: { delaySeconds?: number }) => outcome.retry(m.id, options),
      }),
  );
  return Object.freeze({
    queue,
    messages: Object.freeze(messages),
    ackAll: () => outcome.markAckAll(),
    retryAll: (options?: { delaySeconds?: number }) => outcome.markRetryAll(options),
  });
}
