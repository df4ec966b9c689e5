// Queues against real stores: the same cases on a SQLite file and on a schema of a real
// PostgreSQL. Sending (and every limit a send can break), content types, batching by size and by
// timeout, ack/retry precedence, retries into a dead letter queue, delays, and a lease that runs
// out after its process is gone. Time is a fake clock; "not delivered yet" is asserted once the
// consumer is idle, never after a sleep.

import { waitUntil } from "cairn/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FakeClock } from "../../../src/engine/clock.js";
import type { MessageBatch } from "../../../src/host/queues/message-batch.js";
import { QueueSendError, QueueTypeError } from "../../../src/host/queues/queue-errors.js";
import type { QueueStore } from "../../../src/host/queues/queue-store.js";
import { openTestDatabase, type TestDatabase } from "../../helpers/postgres-server.js";
import {
  type Harness,
  harness,
  LEASE_MS,
  postgresStores,
  type StoreMaker,
  sqliteStores,
} from "./queue-harness.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
}, 120_000);
afterAll(async () => {
  await db?.close();
});

const kinds: [string, StoreMaker][] = [
  ["SQLite", sqliteStores()],
  ["PostgreSQL", postgresStores(() => db)],
];

function waitForBatches(h: Harness, count: number) {
  return waitUntil(
    async () => h.batches.length,
    (n) => n >= count,
    { timeoutMs: 10_000, what: `${count} batch(es) to be delivered` },
  );
}

describe.each(kinds)("queues on %s", (_kind, makeStore) => {
  let store: QueueStore;
  let cleanup: () => Promise<void>;
  let h: Harness;
  let clock: FakeClock;

  const setUp = async () => {
    ({ store, cleanup } = await makeStore());
    clock = new FakeClock(Date.UTC(2026, 0, 1));
    h = harness(store, clock);
  };
  afterEach(async () => {
    await h?.close();
    await cleanup?.();
  });

  it("stores a sent message durably and delivers it with id, timestamp, body and attempts", async () => {
    await setUp();
    const queue = h.producer("orders");
    await queue.send({ order: 1 });
    const [stored] = await store.list("orders");
    expect(stored).toMatchObject({ queue: "orders", contentType: "json", attempts: 0 });
    expect(stored?.id).toMatch(/^[0-9a-f]{32}$/);

    h.consumer({ queue: "orders" }, (batch) => batch.ackAll());
    await waitForBatches(h, 1);
    await h.settled();
    expect(h.batches[0]).toEqual({
      queue: "orders",
      messages: [{ id: stored!.id, body: { order: 1 }, attempts: 1, timestamp: new Date(clock.now()) }],
    });
    expect(await store.list("orders")).toEqual([]);
  });

  it("sendBatch stores every message with its own content type and delay", async () => {
    await setUp();
    const queue = h.producer("mixed");
    await queue.sendBatch([
      { body: "plain", contentType: "text" },
      { body: new Uint8Array([1, 2, 3]), contentType: "bytes" },
      { body: { later: true }, delaySeconds: 30 },
    ]);
    const stored = await store.list("mixed");
    expect(stored.map((m) => [m.contentType, m.visibleAt - clock.now()])).toEqual([
      ["text", 0],
      ["bytes", 0],
      ["json", 30_000],
    ]);
  });

  it("round-trips each content type, a Date and a Map through v8", async () => {
    await setUp();
    const queue = h.producer("types");
    const when = new Date("2026-02-03T04:05:06.007Z");
    await queue.send("hello", { contentType: "text" });
    await queue.send(new Uint8Array([7, 8, 9]), { contentType: "bytes" });
    await queue.send({ a: [1, "b", null] }, { contentType: "JSON" });
    await queue.send({ when, map: new Map([["k", new Set([1, 2])]]) }, { contentType: "v8" });
    h.consumer({ queue: "types" }, (batch) => batch.ackAll());
    await waitForBatches(h, 1);
    const bodies = h.batches[0]!.messages.map((m) => m.body);
    expect(bodies[0]).toBe("hello");
    expect(bodies[1]).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(bodies[1] as ArrayBuffer)]).toEqual([7, 8, 9]);
    expect(bodies[2]).toEqual({ a: [1, "b", null] });
    const v8 = bodies[3] as { when: Date; map: Map<string, Set<number>> };
    expect(v8.when).toBeInstanceOf(Date);
    expect(v8.when.toISOString()).toBe(when.toISOString());
    expect(v8.map).toBeInstanceOf(Map);
    expect(v8.map.get("k")).toEqual(new Set([1, 2]));
  });

  it("answers each bad send with Cloudflare's error, storing nothing", async () => {
    await setUp();
    const queue = h.producer("limits");
    const big = "x".repeat(128_001);
    const cases: [Promise<void>, new (...args: any[]) => Error, string, RegExp][] = [
      [queue.send(undefined), QueueTypeError, "queue.body_undefined", /^Message body cannot be undefined$/],
      [
        queue.send("x", { contentType: "xml" }),
        QueueTypeError,
        "queue.content_type_unsupported",
        /^Unsupported queue message content type: xml/,
      ],
      [
        queue.send(42, { contentType: "text" }),
        QueueTypeError,
        "queue.body_not_serializable",
        /^Content Type "text" requires a value of type string, but received: number$/,
      ],
      [
        queue.send("abc", { contentType: "bytes" }),
        QueueTypeError,
        "queue.body_not_serializable",
        /^Content Type "bytes" requires a value of type ArrayBufferView, but received: string$/,
      ],
      [queue.send({ n: 1n }), QueueTypeError, "queue.body_not_serializable", /content type "json".*BigInt/],
      [queue.send(() => 1), QueueTypeError, "queue.body_not_serializable", /a function has no JSON form/],
      [
        queue.send({ f: () => 1 }, { contentType: "v8" }),
        QueueTypeError,
        "queue.body_not_serializable",
        /content type "v8"/,
      ],
      [
        queue.send(big, { contentType: "text" }),
        QueueSendError,
        "queue.message_too_large",
        /^Queue send failed: a message of 128001 bytes is over the limit of 128000 bytes - MessageSizeOutOfBounds \(10204\)$/,
      ],
      [
        queue.send("x", { delaySeconds: 86_401 }),
        QueueSendError,
        "queue.delay_invalid",
        /^Queue send failed: delaySeconds must be a whole number of seconds from 0 to 86400, got 86401 - MessageMetadataInvalid \(10203\)$/,
      ],
      [queue.send("x", { delaySeconds: -1 }), QueueSendError, "queue.delay_invalid", /got -1/],
      [queue.send("x", { delaySeconds: 1.5 }), QueueSendError, "queue.delay_invalid", /got 1.5/],
      [
        queue.sendBatch([]),
        QueueTypeError,
        "queue.batch_empty",
        /^sendBatch\(\) requires at least one message$/,
      ],
      [
        queue.sendBatch(Array.from({ length: 101 }, (_, i) => ({ body: i }))),
        QueueSendError,
        "queue.batch_too_many_messages",
        /^Queue sendBatch failed: a batch of 101 messages is over the limit of 100 messages - BatchCountOutOfBounds \(10206\)$/,
      ],
      [
        queue.sendBatch(Array.from({ length: 3 }, () => ({ body: "y".repeat(90_000), contentType: "text" }))),
        QueueSendError,
        "queue.batch_too_large",
        /^Queue sendBatch failed: a batch of 270000 bytes is over the limit of 256000 bytes - BatchSizeOutOfBounds \(10205\)$/,
      ],
      [
        queue.sendBatch([{ body: big, contentType: "text" }]),
        QueueSendError,
        "queue.message_too_large",
        /^Queue sendBatch failed: a message of 128001 bytes/,
      ],
      [
        queue.sendBatch([{ body: 1 }], { delaySeconds: 100_000 }),
        QueueSendError,
        "queue.delay_invalid",
        /^Queue sendBatch failed: delaySeconds .* got 100000/,
      ],
      [
        queue.sendBatch([{ body: 1 }, { body: undefined }]),
        QueueTypeError,
        "queue.body_undefined",
        /undefined/,
      ],
    ];
    for (const [attempt, type, code, message] of cases) {
      const error = await attempt.then(
        () => null,
        (e: unknown) => e as Error & { code: string },
      );
      expect(error, String(message)).toBeInstanceOf(type);
      expect(error?.code).toBe(code);
      expect(error?.message).toMatch(message);
    }
    expect(errorNames()).toEqual(["Error", "TypeError"]);
    expect(await store.list("limits")).toEqual([]);

    // At the limits exactly, sends pass.
    await queue.send("x".repeat(128_000), { contentType: "text", delaySeconds: 86_400 });
    await queue.sendBatch(
      Array.from({ length: 100 }, () => ({ body: "z".repeat(2_560), contentType: "text" })),
    );
    expect((await store.list("limits")).length).toBe(101);
  });

  it("delivers a full batch at once and a partial one only when max_batch_timeout has passed", async () => {
    await setUp();
    const queue = h.producer("sized");
    h.consumer({ queue: "sized", maxBatchSize: 3, maxBatchTimeoutMs: 5_000 }, (b) => b.ackAll());
    await queue.sendBatch([{ body: 1 }, { body: 2 }]);
    await h.settled();
    expect(h.batches).toEqual([]);

    await queue.sendBatch([{ body: 3 }, { body: 4 }]);
    await waitForBatches(h, 1);
    await h.settled();
    expect(h.batches.map((b) => b.messages.map((m) => m.body))).toEqual([[1, 2, 3]]);

    clock.advance(4_999);
    await h.settled();
    expect(h.batches).toHaveLength(1);
    clock.advance(1);
    await waitForBatches(h, 2);
    expect(h.batches[1]!.messages.map((m) => m.body)).toEqual([4]);
  });

  it("an explicit ack or retry wins over retryAll, ackAll and a thrown handler", async () => {
    await setUp();
    const queue = h.producer("precedence");
    const consume = async (handler: (ids: string[], b: MessageBatch) => void) => {
      await queue.sendBatch([{ body: "a" }, { body: "b" }, { body: "c" }]);
      const before = h.batches.length;
      const consumer = h.consumer({ queue: "precedence", retryDelay: 7 }, (batch) =>
        handler(
          batch.messages.map((m) => m.id),
          batch,
        ),
      );
      await waitForBatches(h, before + 1);
      await consumer.settled();
      await consumer.close(1_000);
      const left = await store.list("precedence");
      const ids = h.batches[before]!.messages.map((m) => m.id);
      const fate = ids.map((id) => {
        const row = left.find((m) => m.id === id);
        return row ? `retry+${(row.visibleAt - clock.now()) / 1000}` : "ack";
      });
      // Clear what is left so the next case starts empty.
      await store.settle(
        "test-owner",
        {
          acked: left.map((m) => ({ id: m.id, attempts: m.attempts })),
          retried: [],
          deadLettered: [],
          dropped: [],
        },
        clock.now(),
      );
      return fate;
    };

    // A throw retries every message not acked; an explicit retry keeps its own delay.
    expect(
      await consume((_ids, b) => {
        b.messages[0]!.ack();
        b.messages[1]!.retry({ delaySeconds: 60 });
        throw new Error("boom");
      }),
    ).toEqual(["ack", "retry+60", "retry+7"]);

    // retryAll after ack leaves the ack; retry without a delay takes retryAll's.
    expect(
      await consume((_ids, b) => {
        b.messages[0]!.ack();
        b.retryAll({ delaySeconds: 20 });
        b.messages[1]!.retry();
        b.messages[2]!.ack(); // after retryAll: no effect
      }),
    ).toEqual(["ack", "retry+20", "retry+20"]);

    // ackAll leaves an earlier retry; a later retry and retryAll have no effect.
    expect(
      await consume((_ids, b) => {
        b.messages[0]!.retry({ delaySeconds: 5 });
        b.ackAll();
        b.messages[1]!.retry();
        b.retryAll();
      }),
    ).toEqual(["retry+5", "ack", "ack"]);

    // No call and no throw: everything is acknowledged.
    expect(await consume(() => {})).toEqual(["ack", "ack", "ack"]);
    const warnings = h.logs.filter((l) => l.level === "warn").map((l) => l.msg);
    expect(warnings).toEqual([
      expect.stringMatching(/ack\(\) on message .* after retryAll\(\) was already called/),
      expect.stringMatching(/retry\(\) on message .* after ackAll\(\) was already called/),
      "Received a call to retryAll() after ackAll() was already called; the retryAll has no effect.",
    ]);
  });

  it("retries a failing message max_retries times with attempts counted, then moves it to the dead letter queue", async () => {
    await setUp();
    const queue = h.producer("work");
    await queue.send({ job: "poison" });
    h.consumer({ queue: "work", maxRetries: 2, deadLetterQueue: "work-dlq" }, () => {
      throw new Error("always fails");
    });
    const dead: unknown[] = [];
    h.consumer({ queue: "work-dlq" }, (batch) => {
      for (const m of batch.messages) dead.push({ body: m.body, attempts: m.attempts, id: m.id });
    });
    await waitUntil(
      async () => dead.length,
      (n) => n === 1,
      { timeoutMs: 10_000, what: "the message in the dead letter queue" },
    );
    await h.settled();
    const work = h.batches.filter((b) => b.queue === "work").map((b) => b.messages[0]!.attempts);
    expect(work).toEqual([1, 2, 3]);
    const firstId = h.batches[0]!.messages[0]!.id;
    expect(dead).toEqual([{ body: { job: "poison" }, attempts: 1, id: firstId }]);
    expect(await store.list("work")).toEqual([]);
    expect(await store.list("work-dlq")).toEqual([]);
    expect(h.logs.find((l) => l.level === "warn")?.msg).toBe(
      'message moved to dead letter queue "work-dlq" after 3 attempts',
    );
  });

  it("drops a message past max_retries with a warning when there is no dead letter queue", async () => {
    await setUp();
    await h.producer("nodlq").send("x");
    h.consumer({ queue: "nodlq", maxRetries: 0 }, (batch) => batch.retryAll());
    await waitForBatches(h, 1);
    await h.settled();
    expect(await store.list("nodlq")).toEqual([]);
    expect(h.batches).toHaveLength(1);
    const warning = h.logs.find((l) => l.level === "warn");
    expect(warning).toMatchObject({
      queue: "nodlq",
      msg: "message dropped after 1 attempt: no dead letter queue",
    });
  });

  it("honours send delays, the producer's delivery_delay and retry delays", async () => {
    await setUp();
    const delayed = h.producer("delayed", { deliveryDelay: 10 });
    await delayed.send("default-delay");
    await delayed.send("own-delay", { delaySeconds: 3 });
    await delayed.send("no-delay", { delaySeconds: 0 });
    let retried = false;
    h.consumer({ queue: "delayed", maxBatchSize: 1 }, (batch) => {
      const m = batch.messages[0]!;
      if (m.body === "no-delay" && !retried) {
        retried = true;
        m.retry({ delaySeconds: 20 });
      }
    });
    await waitForBatches(h, 1);
    await h.settled();
    const order = () => h.batches.map((b) => `${b.messages[0]!.body}#${b.messages[0]!.attempts}`);
    expect(order()).toEqual(["no-delay#1"]);
    clock.advance(3_000);
    await waitForBatches(h, 2);
    clock.advance(7_000);
    await waitForBatches(h, 3);
    await h.settled();
    expect(order()).toEqual(["no-delay#1", "own-delay#1", "default-delay#1"]);
    clock.advance(9_999);
    await h.settled();
    expect(h.batches).toHaveLength(3);
    clock.advance(1);
    await waitForBatches(h, 4);
    expect(order()[3]).toBe("no-delay#2");
  });

  it("runs at most max_concurrency batches at once", async () => {
    await setUp();
    let running = 0;
    let most = 0;
    const gates: (() => void)[] = [];
    h.consumer({ queue: "wide", maxBatchSize: 1, maxConcurrency: 2 }, async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => gates.push(resolve));
      running -= 1;
    });
    await h.producer("wide").sendBatch([{ body: 1 }, { body: 2 }, { body: 3 }]);
    await waitUntil(
      async () => gates.length,
      (n) => n === 2,
      { what: "two batches running" },
    );
    expect(running).toBe(2);
    gates.shift()!();
    await waitUntil(
      async () => h.batches.length,
      (n) => n === 3,
      { what: "the third batch" },
    );
    for (const open of gates.splice(0)) open();
    await h.settled();
    expect(most).toBe(2);
    expect(await store.list("wide")).toEqual([]);
  });

  it("delivers a batch again, attempts counted, once the lease of a vanished consumer runs out", async () => {
    await setUp();
    await h.producer("leased").sendBatch([{ body: "a" }, { body: "b" }]);
    // The first consumer takes the batch and never finishes: its process is gone. It has a clock
    // of its own that never moves, so it never renews the lease.
    const gone = harness(store, new FakeClock(clock.now()));
    gone.consumer({ queue: "leased" }, () => new Promise<void>(() => {}), "dead-process");
    await waitForBatches(gone, 1);
    const leased = await store.list("leased");
    expect(leased.map((m) => m.leaseOwner)).toEqual(["dead-process", "dead-process"]);

    const second = harness(store, clock);
    second.consumer({ queue: "leased" }, () => {}, "live-process");
    await second.settled();
    expect(second.batches).toEqual([]);
    clock.advance(LEASE_MS);
    await waitForBatches(second, 1);
    await second.settled();
    expect(second.batches[0]!.messages.map((m) => [m.body, m.attempts])).toEqual([
      ["a", 2],
      ["b", 2],
    ]);
    expect(await store.list("leased")).toEqual([]);
    await second.close();
  });

  it("gives up on a message whose deliveries were all cut short, without delivering it again", async () => {
    await setUp();
    await h.producer("crashy").send("poison");
    const gone = harness(store, new FakeClock(clock.now()));
    gone.consumer({ queue: "crashy", maxRetries: 0 }, () => new Promise<void>(() => {}), "dead-process");
    await waitForBatches(gone, 1);
    h.consumer({ queue: "crashy", maxRetries: 0, deadLetterQueue: "crashy-dlq" }, () => {}, "live-process");
    clock.advance(LEASE_MS);
    await waitUntil(
      () => store.list("crashy-dlq"),
      (rows) => rows.length === 1,
      { what: "the message in the dead letter queue" },
    );
    await h.settled();
    expect(h.batches).toEqual([]);
    expect((await store.list("crashy-dlq"))[0]).toMatchObject({ attempts: 0, leaseOwner: null });
  });
});

/** The `name`s of the two error classes, as Cloudflare's (Error and TypeError). */
function errorNames(): string[] {
  return [
    new QueueSendError("queue.message_too_large", "send", "x").name,
    new QueueTypeError("queue.batch_empty", "x").name,
  ];
}

describe("queues shared by processes on one PostgreSQL", () => {
  it("creates the table once when several processes open the store together", async () => {
    const schema = db.newSchema("shared");
    const opened = await Promise.all(
      [1, 2, 3, 4].map(() =>
        postgresStores(
          () => db,
          () => schema,
        )(),
      ),
    );
    await opened[0]!.store.insert([
      { id: "m1", queue: "q", body: Buffer.from("1"), contentType: "json", sentAt: 1, visibleAt: 1 },
    ]);
    expect((await opened[3]!.store.list("q")).map((m) => m.id)).toEqual(["m1"]);
    for (const { cleanup } of opened) await cleanup();
  });

  it("two consumers never hold the same message at once, and every message is delivered once", async () => {
    const schema = db.newSchema("two");
    const a = await postgresStores(
      () => db,
      () => schema,
    )();
    const b = await postgresStores(
      () => db,
      () => schema,
    )();
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const first = harness(a.store, clock, { pollMs: 5 });
    const second = harness(b.store, clock, { pollMs: 5 });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      await first.producer("shared").sendBatch(Array.from({ length: 5 }, (_, j) => ({ body: i * 5 + j })));
    }
    for (const m of await a.store.list("shared")) ids.push(m.id);

    const inFlight = new Set<string>();
    const overlapping: string[] = [];
    const deliveries = new Map<string, number>();
    const running = new Set<string>();
    let bothRunning!: () => void;
    const both = new Promise<void>((resolve) => {
      bothRunning = resolve;
    });
    // Each batch is held until both consumers have a batch in flight, so the two really compete.
    const handler = (name: string) => async (batch: MessageBatch) => {
      for (const m of batch.messages) {
        if (inFlight.has(m.id)) overlapping.push(m.id);
        inFlight.add(m.id);
        deliveries.set(m.id, (deliveries.get(m.id) ?? 0) + 1);
      }
      running.add(name);
      if (running.size === 2) bothRunning();
      await both;
      for (const m of batch.messages) inFlight.delete(m.id);
    };
    const config = { queue: "shared", maxBatchSize: 5, maxConcurrency: 3 };
    first.consumer(config, handler("first"), "process-1");
    second.consumer(config, handler("second"), "process-2");
    await waitUntil(
      async () => [...deliveries.values()].reduce((sum, n) => sum + n, 0),
      (n) => n >= 60,
      { timeoutMs: 20_000, what: "60 deliveries" },
    );
    await first.settled();
    await second.settled();
    expect(overlapping).toEqual([]);
    expect(running).toEqual(new Set(["first", "second"]));
    expect([...deliveries.keys()].sort()).toEqual([...ids].sort());
    expect([...deliveries.values()].every((n) => n === 1)).toBe(true);
    expect(await a.store.list("shared")).toEqual([]);
    await first.close();
    await second.close();
    await a.cleanup();
    await b.cleanup();
  });
});
