// Reads and checks the `queues` section of a wrangler config: the producer bindings a Worker sends
// with and the consumers that feed its `queue` handler. Every value outside Cloudflare's limits
// stops start-up with an error naming the key, the value and the limit, so that a project which
// would be refused on deploy is refused here too.

import { HostError } from "../host-error.js";
import { MAX_DELAY_SECONDS } from "./limits.js";

export type ProducerConfig = {
  binding: string;
  queue: string;
  /** Seconds every message sent through this binding waits before it can be delivered. */
  deliveryDelay: number;
};

export type ConsumerConfig = {
  queue: string;
  maxBatchSize: number;
  /** Milliseconds to wait for a batch to fill before delivering a smaller one. */
  maxBatchTimeoutMs: number;
  maxRetries: number;
  deadLetterQueue: string | null;
  maxConcurrency: number;
  /** Seconds a retried message waits unless the retry names its own delay. */
  retryDelay: number;
};

export type QueuesConfig = { producers: ProducerConfig[]; consumers: ConsumerConfig[] };

export const DEFAULT_MAX_BATCH_SIZE = 10;
export const MAX_BATCH_SIZE = 100;
export const DEFAULT_MAX_BATCH_TIMEOUT_S = 5;
export const MAX_BATCH_TIMEOUT_S = 60;
export const DEFAULT_MAX_RETRIES = 3;
export const MAX_RETRIES = 100;
/** Cloudflare's ceiling on concurrent consumer invocations of one queue. */
export const MAX_CONCURRENCY = 250;
/**
 * Cloudflare scales concurrency itself when `max_concurrency` is unset; one process has far less
 * room than Cloudflare's fleet, so Cairn runs at most this many batches of one queue at once.
 */
export const DEFAULT_MAX_CONCURRENCY = 10;

type Raw = Record<string, unknown>;

function isObject(value: unknown): value is Raw {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Checks the config's keys against their limits, naming the file and the entry at fault. */
class SectionReader {
  private readonly file: string;

  constructor(file: string) {
    this.file = file;
  }

  fail(key: string, message: string): never {
    throw new HostError("config.invalid", `${this.file}: ${key} ${message}`);
  }

  name(entry: Raw, key: string, where: string): string {
    const value = entry[key];
    if (typeof value !== "string" || value.trim() === "") {
      this.fail(`${where}.${key}`, `must be a non-empty string, got ${JSON.stringify(value)}`);
    }
    return value;
  }

  /** An optional number in [min, max] (whole unless `fractional`), or `fallback` when absent. */
  number(
    entry: Raw,
    key: string,
    where: string,
    limits: { min: number; max: number; fallback: number; fractional?: boolean },
  ): number {
    const value = entry[key];
    if (value === undefined || value === null) return limits.fallback;
    const whole = limits.fractional ? "a number" : "a whole number";
    if (
      typeof value !== "number" ||
      !Number.isFinite(value) ||
      (!limits.fractional && !Number.isInteger(value)) ||
      value < limits.min ||
      value > limits.max
    ) {
      this.fail(
        `${where}.${key}`,
        `must be ${whole} from ${limits.min} to ${limits.max}, got ${JSON.stringify(value)}`,
      );
    }
    return value;
  }

  list(section: Raw, key: string): Raw[] {
    const value = section[key];
    if (value === undefined) return [];
    if (!Array.isArray(value)) this.fail(`queues.${key}`, `must be an array, got ${JSON.stringify(value)}`);
    return value.map((entry, i) => {
      if (!isObject(entry))
        this.fail(`queues.${key}[${i}]`, `must be an object, got ${JSON.stringify(entry)}`);
      return entry;
    });
  }
}

function readProducer(reader: SectionReader, entry: Raw, where: string): ProducerConfig {
  return {
    binding: reader.name(entry, "binding", where),
    queue: reader.name(entry, "queue", where),
    deliveryDelay: reader.number(entry, "delivery_delay", where, {
      min: 0,
      max: MAX_DELAY_SECONDS,
      fallback: 0,
    }),
  };
}

function readConsumer(reader: SectionReader, entry: Raw, where: string): ConsumerConfig {
  const queue = reader.name(entry, "queue", where);
  if (entry.type !== undefined && entry.type !== "worker") {
    reader.fail(
      `${where}.type`,
      `${JSON.stringify(entry.type)} is not provided: Cairn delivers to the Worker's queue handler only (type "worker"), there are no pull consumers`,
    );
  }
  const deadLetterQueue =
    entry.dead_letter_queue === undefined || entry.dead_letter_queue === null
      ? null
      : reader.name(entry, "dead_letter_queue", where);
  if (deadLetterQueue === queue) {
    reader.fail(`${where}.dead_letter_queue`, `must name another queue than ${JSON.stringify(queue)} itself`);
  }
  const timeout = reader.number(entry, "max_batch_timeout", where, {
    min: 0,
    max: MAX_BATCH_TIMEOUT_S,
    fallback: DEFAULT_MAX_BATCH_TIMEOUT_S,
    fractional: true,
  });
  return {
    queue,
    maxBatchSize: reader.number(entry, "max_batch_size", where, {
      min: 1,
      max: MAX_BATCH_SIZE,
      fallback: DEFAULT_MAX_BATCH_SIZE,
    }),
    maxBatchTimeoutMs: Math.round(timeout * 1000),
    maxRetries: reader.number(entry, "max_retries", where, {
      min: 0,
      max: MAX_RETRIES,
      fallback: DEFAULT_MAX_RETRIES,
    }),
    deadLetterQueue,
    maxConcurrency: reader.number(entry, "max_concurrency", where, {
      min: 1,
      max: MAX_CONCURRENCY,
      fallback: DEFAULT_MAX_CONCURRENCY,
    }),
    retryDelay: reader.number(entry, "retry_delay", where, { min: 0, max: MAX_DELAY_SECONDS, fallback: 0 }),
  };
}

/** The `queues` section of `raw` checked, or null when the config has none. */
export function readQueuesConfig(raw: Record<string, unknown>, file: string): QueuesConfig | null {
  const section = raw.queues;
  if (section === undefined || section === null) return null;
  const reader = new SectionReader(file);
  if (!isObject(section)) return reader.fail("queues", `must be an object, got ${JSON.stringify(section)}`);
  const producers = reader
    .list(section, "producers")
    .map((entry, i) => readProducer(reader, entry, `queues.producers[${i}]`));
  const consumers = reader
    .list(section, "consumers")
    .map((entry, i) => readConsumer(reader, entry, `queues.consumers[${i}]`));
  const bindings = new Set<string>();
  producers.forEach((p, i) => {
    if (bindings.has(p.binding)) {
      reader.fail(`queues.producers[${i}].binding`, `${JSON.stringify(p.binding)} is bound twice`);
    }
    bindings.add(p.binding);
  });
  const consumed = new Set<string>();
  consumers.forEach((c, i) => {
    if (consumed.has(c.queue)) {
      reader.fail(
        `queues.consumers[${i}].queue`,
        `${JSON.stringify(c.queue)} has two consumers; a queue has one consumer Worker`,
      );
    }
    consumed.add(c.queue);
  });
  if (producers.length === 0 && consumers.length === 0) return null;
  return { producers, consumers };
}
