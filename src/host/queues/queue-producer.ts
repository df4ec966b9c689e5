// The producer binding a Worker finds in `env` (Cloudflare's `Queue`): `send` and `sendBatch`
// encode each body with its content type, check Cloudflare's limits, and store the messages; the
// promise resolves only once they are committed, so a message whose send resolved survives a
// crash. A consumer of the queue in this process is woken at once.

import { randomBytes } from "node:crypto";
import type { Clock } from "../../engine/clock.js";
import { MAX_BATCH_BYTES, MAX_BATCH_MESSAGES, MAX_DELAY_SECONDS, MAX_MESSAGE_BYTES } from "./limits.js";
import { type ContentType, checkContentType, encodeBody } from "./message-encoding.js";
import { QueueSendError, QueueTypeError } from "./queue-errors.js";
import type { NewMessage, QueueStore } from "./queue-store.js";

export type QueueSendOptions = { contentType?: string; delaySeconds?: number };
export type MessageSendRequest = { body: unknown; contentType?: string; delaySeconds?: number };

/** Cloudflare's `Queue` binding. */
export interface Queue {
  send(body: unknown, options?: QueueSendOptions): Promise<void>;
  sendBatch(messages: Iterable<MessageSendRequest>, options?: { delaySeconds?: number }): Promise<void>;
}

export type ProducerOptions = {
  queue: string;
  store: QueueStore;
  clock: Clock;
  defaultContentType: ContentType;
  /** The binding's `delivery_delay`, used when a send names no delay. */
  deliveryDelay: number;
  /** Called after messages for `queue` are committed. */
  sent: (queue: string) => void;
};

/** A message id as Cloudflare's look: 32 hex digits. */
export function newMessageId(): string {
  return randomBytes(16).toString("hex");
}

function checkDelay(value: unknown, operation: "send" | "sendBatch"): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_DELAY_SECONDS) {
    throw new QueueSendError(
      "queue.delay_invalid",
      operation,
      `delaySeconds must be a whole number of seconds from 0 to ${MAX_DELAY_SECONDS}, got ${String(value)}`,
    );
  }
  return value;
}

/** Makes the producer binding for one queue. */
export function createQueueProducer(options: ProducerOptions): Queue {
  const { queue, store, clock } = options;

  const prepare = (
    request: MessageSendRequest,
    operation: "send" | "sendBatch",
    batchDelay: number | undefined,
    now: number,
  ): NewMessage => {
    const contentType =
      request.contentType === undefined ? options.defaultContentType : checkContentType(request.contentType);
    const body = encodeBody(request.body, contentType);
    if (body.byteLength > MAX_MESSAGE_BYTES) {
      throw new QueueSendError(
        "queue.message_too_large",
        operation,
        `a message of ${body.byteLength} bytes is over the limit of ${MAX_MESSAGE_BYTES} bytes`,
      );
    }
    const delay = checkDelay(request.delaySeconds, operation) ?? batchDelay ?? options.deliveryDelay;
    return { id: newMessageId(), queue, body, contentType, sentAt: now, visibleAt: now + delay * 1000 };
  };

  const commit = async (messages: NewMessage[]) => {
    await store.insert(messages);
    options.sent(queue);
  };

  return {
    async send(body, sendOptions) {
      const message = prepare({ body, ...sendOptions }, "send", undefined, clock.now());
      await commit([message]);
    },
    async sendBatch(requests, batchOptions) {
      const list = requests === undefined || requests === null ? [] : [...requests];
      if (list.length === 0) {
        throw new QueueTypeError("queue.batch_empty", "sendBatch() requires at least one message");
      }
      if (list.length > MAX_BATCH_MESSAGES) {
        throw new QueueSendError(
          "queue.batch_too_many_messages",
          "sendBatch",
          `a batch of ${list.length} messages is over the limit of ${MAX_BATCH_MESSAGES} messages`,
        );
      }
      const batchDelay = checkDelay(batchOptions?.delaySeconds, "sendBatch");
      const now = clock.now();
      const messages = list.map((request) => {
        if (typeof request !== "object" || request === null) {
          throw new QueueTypeError(
            "queue.body_not_serializable",
            `sendBatch() takes objects of the form { body, contentType?, delaySeconds? }, got ${String(request)}`,
          );
        }
        return prepare(request, "sendBatch", batchDelay, now);
      });
      const total = messages.reduce((sum, m) => sum + m.body.byteLength, 0);
      if (total > MAX_BATCH_BYTES) {
        throw new QueueSendError(
          "queue.batch_too_large",
          "sendBatch",
          `a batch of ${total} bytes is over the limit of ${MAX_BATCH_BYTES} bytes`,
        );
      }
      await commit(messages);
    },
  };
}
