// Test helper: a queue's producer and consumer over a real store (a SQLite file or a schema on a
// real PostgreSQL), on a fake clock, with a handler the test swaps per case and a record of every
// batch delivered. `settled()` waits for the consumer to be idle, so a test can assert that
// nothing was delivered yet without sleeping.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { type Clock, FakeClock } from "../../../src/engine/clock.js";
import type { MessageBatch } from "../../../src/host/queues/message-batch.js";
import type { ContentType } from "../../../src/host/queues/message-encoding.js";
import { PostgresQueueStore } from "../../../src/host/queues/postgres-queue-store.js";
import { QueueConsumer } from "../../../src/host/queues/queue-consumer.js";
import { createQueueProducer, type Queue } from "../../../src/host/queues/queue-producer.js";
import type { QueueStore } from "../../../src/host/queues/queue-store.js";
import {
  type ConsumerConfig,
  DEFAULT_MAX_BATCH_SIZE,
  DEFAULT_MAX_RETRIES,
} from "../../../src/host/queues/queues-config.js";
import { SqliteQueueStore } from "../../../src/host/queues/sqlite-queue-store.js";
import type { TestDatabase } from "../../helpers/postgres-server.js";

export const LEASE_MS = 30_000;

/** What a handler saw of one delivered batch. */
export type SeenBatch = {
  queue: string;
  messages: { id: string; body: unknown; attempts: number; timestamp: Date }[];
};

export type Handler = (batch: MessageBatch) => Promise<void> | void;

/** Opens a fresh store of the given kind; the returned function removes what it made. */
export type StoreMaker = () => Promise<{ store: QueueStore; cleanup: () => Promise<void> }>;

export function sqliteStores(): StoreMaker {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), "cairn-queues-"));
    const store = new SqliteQueueStore(join(dir, "queues.sqlite"));
    return {
      store,
      cleanup: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };
}

export function postgresStores(db: () => TestDatabase, schema?: () => string): StoreMaker {
  return async () => {
    const name = schema?.() ?? db().newSchema("queues");
    const store = await PostgresQueueStore.open(`${db().url}?schema=${name}`);
    return { store, cleanup: () => store.close() };
  };
}

/** Warnings and errors the consumer logged, to assert on. */
export type LogRecord = { level: string; msg: string; [field: string]: unknown };

export function memoryLogger(records: LogRecord[]) {
  const stream = {
    write(line: string) {
      const parsed = JSON.parse(line) as { level: number; msg: string };
      records.push({ ...parsed, level: pino.levels.labels[parsed.level] ?? String(parsed.level) });
    },
  };
  return pino({ level: "debug" }, stream);
}

export type Harness = {
  clock: Clock & { advance?(ms: number): void };
  producer: (queue: string, options?: { deliveryDelay?: number; contentType?: ContentType }) => Queue;
  consumer: (
    config: Partial<ConsumerConfig> & { queue: string },
    handler: Handler,
    owner?: string,
  ) => QueueConsumer;
  batches: SeenBatch[];
  logs: LogRecord[];
  /** Waits until every consumer made here is idle. */
  settled(): Promise<void>;
  close(): Promise<void>;
};

/** A producer/consumer set on `store`; consumers find each other for dead letter queues. */
export function harness(
  store: QueueStore,
  clock: Clock = new FakeClock(Date.UTC(2026, 0, 1)),
  options: { pollMs?: number } = {},
): Harness {
  const consumers = new Map<string, QueueConsumer>();
  const batches: SeenBatch[] = [];
  const logs: LogRecord[] = [];
  const log = memoryLogger(logs);
  const wake = (queue: string) => {
    for (const [key, consumer] of consumers) if (key.startsWith(`${queue}\u0000`)) consumer.wake();
  };
  return {
    clock,
    batches,
    logs,
    producer: (queue, options = {}) =>
      createQueueProducer({
        queue,
        store,
        clock,
        defaultContentType: options.contentType ?? "json",
        deliveryDelay: options.deliveryDelay ?? 0,
        sent: wake,
      }),
    consumer: (config, handler, owner = "test-owner") => {
      const consumer = new QueueConsumer({
        config: {
          maxBatchSize: DEFAULT_MAX_BATCH_SIZE,
          maxBatchTimeoutMs: 0,
          maxRetries: DEFAULT_MAX_RETRIES,
          deadLetterQueue: null,
          maxConcurrency: 1,
          retryDelay: 0,
          ...config,
        },
        store,
        clock,
        owner,
        leaseMs: LEASE_MS,
        pollMs: options.pollMs ?? null,
        handler: () => async (batch) => {
          batches.push({
            queue: batch.queue,
            messages: batch.messages.map((m) => ({
              id: m.id,
              body: m.body,
              attempts: m.attempts,
              timestamp: m.timestamp,
            })),
          });
          await handler(batch);
        },
        log,
        deadLettered: wake,
      });
      consumers.set(`${config.queue}\u0000${owner}`, consumer);
      consumer.start();
      return consumer;
    },
    async settled() {
      // Settling one consumer can wake another (a dead letter queue), so look until all are idle.
      for (let round = 0; round < 5; round++) {
        for (const consumer of consumers.values()) await consumer.settled();
      }
    },
    async close() {
      for (const consumer of consumers.values()) await consumer.close(1_000);
    },
  };
}
