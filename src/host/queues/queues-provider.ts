// Queues as a part of a Workers project: a producer binding in `env` for each
// `queues.producers` entry, and a consumer feeding the Worker's `queue` handler for each
// `queues.consumers` entry. Messages live in the engine's store, so they outlive the process;
// consumers start once the engine is open and stop, letting running batches finish, on close.

import { basename } from "node:path";
import { SystemClock } from "../../engine/clock.js";
import { createExecutionContext } from "../execution-context.js";
import { HostError } from "../host-error.js";
import { leaseMsSetting } from "../lease-setting.js";
import type { BindingProvider, ProviderContext, ProviderFactory } from "../project-bindings.js";
import { defaultContentType } from "./message-encoding.js";
import { type OpenedQueueStore, openQueueStore } from "./open-queue-store.js";
import { QueueConsumer, type QueueHandler } from "./queue-consumer.js";
import { createQueueProducer } from "./queue-producer.js";
import { readQueuesConfig } from "./queues-config.js";

/**
 * How long a delivered batch stays leased without renewal. A process killed mid-batch stops
 * renewing; on PostgreSQL its messages are delivered again this long after, at the latest. (On
 * SQLite, one process owns the file, and a restart releases every lease at once.)
 */
export const LEASE_MS = 30_000;
/** The lease length in use: LEASE_MS, or CAIRN_QUEUE_LEASE_MS (for tests only). */
const leaseMs = () => leaseMsSetting("CAIRN_QUEUE_LEASE_MS", process.env.CAIRN_QUEUE_LEASE_MS, LEASE_MS);
/** How often a consumer on PostgreSQL looks for messages sent by other processes. */
export const POSTGRES_POLL_MS = 1_000;
/** How long close() lets running batches finish before it stops waiting for them. */
export const CLOSE_GRACE_MS = 10_000;

/** Makes the Queues part of a project, or returns null when its config has no `queues`. */
export const queuesProvider: ProviderFactory = async (context) => {
  const config = readQueuesConfig(context.config.raw, context.config.path);
  if (!config) return null;
  if (config.consumers.length > 0 && !context.module().queue) {
    const queues = config.consumers.map((c) => c.queue).join(", ");
    throw new HostError(
      "module.invalid",
      `${context.config.path}: queues.consumers consumes ${queues}, but ${context.config.main ? basename(context.config.main) : "the Worker (it has no main)"} exports no queue handler (add queue(batch, env, ctx) to its default export)`,
    );
  }
  const opened = await openQueueStore(context.storageUrl, context.stateDir);
  const clock = new SystemClock();
  const consumers = new Map<string, QueueConsumer>();
  const wake = (queue: string) => consumers.get(queue)?.wake();
  const handler = (): QueueHandler | null => {
    const queue = context.module().queue;
    if (!queue) return null;
    return (batch) => queue(batch, context.env(), createExecutionContext(context.tracker));
  };
  for (const consumer of config.consumers) {
    consumers.set(
      consumer.queue,
      new QueueConsumer({
        config: consumer,
        store: opened.store,
        clock,
        owner: context.owner,
        leaseMs: leaseMs(),
        pollMs: opened.kind === "postgres" ? POSTGRES_POLL_MS : null,
        handler,
        log: context.log,
        deadLettered: wake,
      }),
    );
  }
  const contentType = defaultContentType(context.config.compatibility);
  const bindings = Object.fromEntries(
    config.producers.map((p) => [
      p.binding,
      createQueueProducer({
        queue: p.queue,
        store: opened.store,
        clock,
        defaultContentType: contentType,
        deliveryDelay: p.deliveryDelay,
        sent: wake,
      }),
    ]),
  );
  return new QueuesProvider(bindings, consumers, opened, clock, context);
};

class QueuesProvider implements BindingProvider {
  readonly bindings: Record<string, unknown>;
  private readonly consumers: Map<string, QueueConsumer>;
  private readonly opened: OpenedQueueStore;
  private readonly clock: SystemClock;
  private readonly context: ProviderContext;

  constructor(
    bindings: Record<string, unknown>,
    consumers: Map<string, QueueConsumer>,
    opened: OpenedQueueStore,
    clock: SystemClock,
    context: ProviderContext,
  ) {
    this.bindings = bindings;
    this.consumers = consumers;
    this.opened = opened;
    this.clock = clock;
    this.context = context;
  }

  async start(): Promise<void> {
    // The engine is open, so this process holds the state folder: leases in the SQLite file
    // were taken by a process that is gone, and their messages can go out again now.
    if (this.opened.kind === "sqlite") this.opened.store.releaseAll(this.clock.now());
    for (const consumer of this.consumers.values()) consumer.start();
    if (this.consumers.size > 0) {
      this.context.log.info({ queues: [...this.consumers.keys()] }, "queue consumers started");
    }
  }

  /** Stops claiming batches before the engine closes, letting running ones finish. */
  async stop(): Promise<void> {
    await Promise.all([...this.consumers.values()].map((c) => c.close(CLOSE_GRACE_MS)));
  }

  async close(): Promise<void> {
    await this.stop();
    await this.opened.store.close();
  }
}
