// The `queues` section of a wrangler config: defaults as Cloudflare's, and every value outside
// Cloudflare's limits refused with an error naming the key, the value and the limit.

import { describe, expect, it } from "vitest";
import { HostError } from "../host-error.js";
import { readQueuesConfig } from "./queues-config.js";

const FILE = "/p/wrangler.jsonc";

function refusal(queues: unknown): string {
  try {
    readQueuesConfig({ queues }, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(HostError);
    expect((error as HostError).code).toBe("config.invalid");
    return (error as Error).message;
  }
  throw new Error("expected the config to be refused");
}

describe("readQueuesConfig", () => {
  it("is null without a queues section or with empty lists", () => {
    expect(readQueuesConfig({}, FILE)).toBeNull();
    expect(readQueuesConfig({ queues: { producers: [], consumers: [] } }, FILE)).toBeNull();
  });

  it("fills in Cloudflare's defaults", () => {
    const config = readQueuesConfig(
      { queues: { producers: [{ binding: "Q", queue: "jobs" }], consumers: [{ queue: "jobs" }] } },
      FILE,
    );
    expect(config).toEqual({
      producers: [{ binding: "Q", queue: "jobs", deliveryDelay: 0 }],
      consumers: [
        {
          queue: "jobs",
          maxBatchSize: 10,
          maxBatchTimeoutMs: 5_000,
          maxRetries: 3,
          deadLetterQueue: null,
          maxConcurrency: 10,
          retryDelay: 0,
        },
      ],
    });
  });

  it("reads every key at its limit", () => {
    const config = readQueuesConfig(
      {
        queues: {
          producers: [{ binding: "Q", queue: "jobs", delivery_delay: 86_400 }],
          consumers: [
            {
              queue: "jobs",
              max_batch_size: 100,
              max_batch_timeout: 60,
              max_retries: 100,
              dead_letter_queue: "jobs-dlq",
              max_concurrency: 250,
              retry_delay: 86_400,
              type: "worker",
            },
            { queue: "jobs-dlq", max_batch_size: 1, max_batch_timeout: 0.5, max_retries: 0 },
          ],
        },
      },
      FILE,
    );
    expect(config?.producers[0]?.deliveryDelay).toBe(86_400);
    expect(config?.consumers[0]).toMatchObject({
      maxBatchSize: 100,
      maxBatchTimeoutMs: 60_000,
      maxRetries: 100,
      deadLetterQueue: "jobs-dlq",
      maxConcurrency: 250,
      retryDelay: 86_400,
    });
    expect(config?.consumers[1]).toMatchObject({ maxBatchSize: 1, maxBatchTimeoutMs: 500, maxRetries: 0 });
  });

  it("refuses values past Cloudflare's limits, naming key, value and limit", () => {
    const consumer = (extra: Record<string, unknown>) => ({ consumers: [{ queue: "q", ...extra }] });
    expect(refusal(consumer({ max_batch_size: 101 }))).toBe(
      `${FILE}: queues.consumers[0].max_batch_size must be a whole number from 1 to 100, got 101`,
    );
    expect(refusal(consumer({ max_batch_size: 0 }))).toContain("from 1 to 100, got 0");
    expect(refusal(consumer({ max_batch_size: 2.5 }))).toContain("must be a whole number");
    expect(refusal(consumer({ max_batch_timeout: 61 }))).toBe(
      `${FILE}: queues.consumers[0].max_batch_timeout must be a number from 0 to 60, got 61`,
    );
    expect(refusal(consumer({ max_batch_timeout: "5" }))).toContain('got "5"');
    expect(refusal(consumer({ max_retries: 101 }))).toContain(
      "max_retries must be a whole number from 0 to 100, got 101",
    );
    expect(refusal(consumer({ max_concurrency: 251 }))).toContain(
      "max_concurrency must be a whole number from 1 to 250, got 251",
    );
    expect(refusal(consumer({ retry_delay: 86_401 }))).toContain(
      "retry_delay must be a whole number from 0 to 86400, got 86401",
    );
    expect(refusal(consumer({ dead_letter_queue: "q" }))).toContain(
      'queues.consumers[0].dead_letter_queue must name another queue than "q" itself',
    );
    expect(refusal(consumer({ dead_letter_queue: "" }))).toContain("must be a non-empty string");
    expect(refusal(consumer({ type: "http_pull" }))).toContain(
      'queues.consumers[0].type "http_pull" is not provided',
    );
    expect(refusal({ producers: [{ binding: "Q", queue: "q", delivery_delay: -1 }] })).toBe(
      `${FILE}: queues.producers[0].delivery_delay must be a whole number from 0 to 86400, got -1`,
    );
  });

  it("refuses malformed sections and duplicates", () => {
    expect(refusal("jobs")).toBe(`${FILE}: queues must be an object, got "jobs"`);
    expect(refusal({ producers: {} })).toBe(`${FILE}: queues.producers must be an array, got {}`);
    expect(refusal({ consumers: ["q"] })).toBe(`${FILE}: queues.consumers[0] must be an object, got "q"`);
    expect(refusal({ producers: [{ queue: "q" }] })).toBe(
      `${FILE}: queues.producers[0].binding must be a non-empty string, got undefined`,
    );
    expect(refusal({ consumers: [{}] })).toContain("queues.consumers[0].queue must be a non-empty string");
    expect(
      refusal({
        producers: [
          { binding: "Q", queue: "a" },
          { binding: "Q", queue: "b" },
        ],
      }),
    ).toBe(`${FILE}: queues.producers[1].binding "Q" is bound twice`);
    expect(refusal({ consumers: [{ queue: "a" }, { queue: "a" }] })).toBe(
      `${FILE}: queues.consumers[1].queue "a" has two consumers; a queue has one consumer Worker`,
    );
  });
});
