// Conformance cases for the journal and the log: every StepRecord variant survives a round-trip,
// an upsert keeps the config of the first attempt, log entries keep their order and detail, and
// fenced writes with a stale epoch are refused without writing anything.

import { expect } from "vitest";
import type { StepRecord } from "../../../src/storage/types.js";
import {
  bytes,
  claim,
  create,
  expectStale,
  runningStep,
  type StoreCase,
  snapshot,
  sortSteps,
  start,
  T0,
  takenOver,
  text,
} from "./support.js";

const config = { retries: { limit: 3, delay: 1_000, backoff: "linear" }, timeout: 60_000 };

/** One record of each variant, with distinct values in every field. */
function everyVariant(): StepRecord[] {
  return [
    { ...runningStep("fetch", T0 + 1, config), attempts: 2 },
    {
      key: "do:charge:1",
      kind: "do",
      name: "charge",
      count: 1,
      startedAt: T0 + 2,
      config,
      status: "retrying",
      attempts: 3,
      wakeAt: T0 + 8_000,
      error: { name: "Error", message: "card declined" },
    },
    {
      key: "sleep:nap:2",
      kind: "sleep",
      name: "nap",
      count: 2,
      startedAt: T0 + 3,
      config: null,
      status: "waiting",
      wakeAt: T0 + 60_000,
      eventType: null,
    },
    {
      key: "waitForEvent:approval:1",
      kind: "waitForEvent",
      name: "approval",
      count: 1,
      startedAt: T0 + 4,
      config: { timeout: 5_000 },
      status: "waiting",
      wakeAt: T0 + 5_004,
      eventType: "approved",
    },
    {
      key: "do:ship:1",
      kind: "do",
      name: "ship",
      count: 1,
      startedAt: T0 + 5,
      config,
      status: "succeeded",
      attempts: 1,
      value: bytes("shipped"),
      endedAt: T0 + 6,
      event: null,
    },
    {
      key: "waitForEvent:reply:3",
      kind: "waitForEvent",
      name: "reply",
      count: 3,
      startedAt: T0 + 7,
      config: null,
      status: "succeeded",
      attempts: 1,
      value: bytes("yes"),
      endedAt: T0 + 9,
      event: { type: "reply", sentAt: T0 + 8 },
    },
    {
      key: "do:refund:1",
      kind: "do",
      name: "refund",
      count: 1,
      startedAt: T0 + 10,
      config,
      status: "failed",
      attempts: 4,
      error: { name: "NonRetryableError", message: "no refunds" },
      endedAt: T0 + 11,
    },
  ];
}

/** Bytes become strings so that records compare equal whatever Uint8Array subclass a driver returns. */
function comparable(records: StepRecord[]) {
  return sortSteps(records).map((r) => (r.status === "succeeded" ? { ...r, value: text(r.value) } : r));
}

export function journalCases(test: StoreCase): void {
  test("loadJournal returns every record variant as written", async (store) => {
    const { fence } = await start(store, "j");
    const records = everyVariant();
    for (const record of records) await store.recordStep(fence, record, [], T0 + 20);
    expect(comparable(await store.loadJournal(fence.seq))).toEqual(comparable(records));
  });

  test("loadJournal of an instance without steps, or of an unknown seq, is empty", async (store) => {
    const { fence } = await start(store, "j");
    expect(await store.loadJournal(fence.seq)).toEqual([]);
    expect(await store.loadJournal(fence.seq + 1_000)).toEqual([]);
  });

  test("journals of two instances are separate", async (store) => {
    await create(store, "one");
    await create(store, "two");
    const claims = await claim(store, T0);
    const [one, two] = ["one", "two"].map((id) => claims.find((c) => c.instance.id === id)!.instance);
    await store.recordStep({ seq: one!.seq, epoch: one!.epoch }, runningStep("a", T0), [], T0);
    await store.recordStep({ seq: two!.seq, epoch: two!.epoch }, runningStep("b", T0), [], T0);
    expect((await store.loadJournal(one!.seq)).map((r) => r.key)).toEqual(["do:a:1"]);
    expect((await store.loadJournal(two!.seq)).map((r) => r.key)).toEqual(["do:b:1"]);
  });

  test("recordStep replaces the record of a key but keeps the config of the first write", async (store) => {
    const { fence } = await start(store, "j");
    await store.recordStep(fence, runningStep("pay", T0, config), [], T0);
    const changed = { ...config, timeout: 1 };
    await store.recordStep(
      fence,
      {
        ...runningStep("pay", T0, changed),
        status: "retrying",
        attempts: 1,
        wakeAt: T0 + 500,
        error: { name: "Error", message: "try again" },
      },
      [],
      T0 + 1,
    );
    await store.recordStep(
      fence,
      {
        ...runningStep("pay", T0, null),
        status: "succeeded",
        attempts: 2,
        value: bytes("paid"),
        endedAt: T0 + 600,
        event: null,
      },
      [],
      T0 + 600,
    );
    const journal = await store.loadJournal(fence.seq);
    expect(comparable(journal)).toEqual([
      {
        key: "do:pay:1",
        kind: "do",
        name: "pay",
        count: 1,
        startedAt: T0,
        config,
        status: "succeeded",
        attempts: 2,
        value: "paid",
        endedAt: T0 + 600,
        event: null,
      },
    ]);
  });

  test("recordStep appends its log entries in order with their detail", async (store) => {
    const { fence } = await start(store, "j");
    await store.recordStep(
      fence,
      runningStep("pay", T0),
      [
        { type: "STEP_START", stepKey: "do:pay:1" },
        { type: "ATTEMPT_START", stepKey: "do:pay:1", attempt: 1, data: { note: "first", n: [1, 2] } },
      ],
      T0 + 7,
    );
    const log = (await store.readLog(fence.seq)).filter((e) => e.stepKey !== null);
    expect(log).toEqual([
      {
        seq: expect.any(Number),
        at: T0 + 7,
        type: "STEP_START",
        stepKey: "do:pay:1",
        attempt: null,
        data: null,
      },
      {
        seq: expect.any(Number),
        at: T0 + 7,
        type: "ATTEMPT_START",
        stepKey: "do:pay:1",
        attempt: 1,
        data: { note: "first", n: [1, 2] },
      },
    ]);
    expect(log[1]!.seq).toBeGreaterThan(log[0]!.seq);
  });

  test("a log entry with its own time keeps it; the others take the call's now", async (store) => {
    const { fence } = await start(store, "j");
    const record: StepRecord = {
      ...runningStep("pay", T0),
      status: "succeeded",
      attempts: 1,
      value: bytes("ok"),
      endedAt: T0 + 9,
      event: null,
    };
    await store.recordStep(
      fence,
      record,
      [
        { type: "STEP_START", stepKey: "do:pay:1", at: T0 + 1 },
        { type: "ATTEMPT_START", stepKey: "do:pay:1", attempt: 1, at: T0 + 1 },
        { type: "ATTEMPT_SUCCESS", stepKey: "do:pay:1", attempt: 1 },
        { type: "STEP_SUCCESS", stepKey: "do:pay:1", attempt: 1, data: { ok: true } },
      ],
      T0 + 9,
    );
    await store.appendLog(fence, [{ type: "SLEEP_START", stepKey: "sleep:s:1", at: T0 + 10 }], T0 + 11);
    const log = (await store.readLog(fence.seq)).filter((e) => e.stepKey !== null);
    expect(log.map((e) => [e.type, e.at, e.attempt, e.data])).toEqual([
      ["STEP_START", T0 + 1, null, null],
      ["ATTEMPT_START", T0 + 1, 1, null],
      ["ATTEMPT_SUCCESS", T0 + 9, 1, null],
      ["STEP_SUCCESS", T0 + 9, 1, { ok: true }],
      ["SLEEP_START", T0 + 10, null, null],
    ]);
  });

  test("step records of many instances written at once each land, or are refused, on their own fence", async (store) => {
    const fences = [];
    for (let i = 0; i < 5; i++) fences.push((await start(store, `many-${i}`, T0, { leaseMs: 60_000 })).fence);
    const stale = { seq: fences[2]!.seq, epoch: fences[2]!.epoch + 1 };
    const writes = fences.map((fence, i) =>
      store.recordStep(
        i === 2 ? stale : fence,
        {
          ...runningStep(`s${i}`, T0 + i),
          status: "succeeded",
          attempts: 1,
          value: bytes(`v${i}`),
          endedAt: T0 + 10,
          event: null,
        },
        [
          { type: "STEP_START", stepKey: `do:s${i}:1`, at: T0 + i },
          { type: "STEP_SUCCESS", stepKey: `do:s${i}:1`, attempt: 1 },
        ],
        T0 + 10,
      ),
    );
    const results = await Promise.allSettled(writes);
    expect(results.map((r) => r.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
      "fulfilled",
    ]);
    for (let i = 0; i < 5; i++) {
      const journal = await store.loadJournal(fences[i]!.seq);
      const log = (await store.readLog(fences[i]!.seq)).filter((e) => e.stepKey !== null);
      if (i === 2) {
        expect(journal).toEqual([]);
        expect(log).toEqual([]);
        continue;
      }
      expect(journal.map((r) => [r.key, r.status, text((r as { value: Uint8Array }).value)])).toEqual([
        [`do:s${i}:1`, "succeeded", `v${i}`],
      ]);
      expect(log.map((e) => [e.type, e.at])).toEqual([
        ["STEP_START", T0 + i],
        ["STEP_SUCCESS", T0 + 10],
      ]);
    }
  });

  test("appendLog appends after what is there, in order", async (store) => {
    const { fence } = await start(store, "j");
    await store.appendLog(
      fence,
      [{ type: "SLEEP_START", stepKey: "sleep:s:1", data: { wakeAt: 5 } }],
      T0 + 1,
    );
    await store.appendLog(fence, [{ type: "SLEEP_COMPLETE", stepKey: "sleep:s:1" }], T0 + 2);
    const log = await store.readLog(fence.seq);
    expect(log.map((e) => [e.type, e.at])).toEqual([
      ["WORKFLOW_QUEUED", T0],
      ["WORKFLOW_START", T0],
      ["SLEEP_START", T0 + 1],
      ["SLEEP_COMPLETE", T0 + 2],
    ]);
    expect(log[2]!.data).toEqual({ wakeAt: 5 });
    const seqs = log.map((e) => e.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  test("recordStep with a stale epoch is refused and writes nothing", async (store) => {
    const { stale, current, now } = await takenOver(store, "j");
    await store.recordStep(current, runningStep("kept", T0, config), [{ type: "STEP_START" }], now);
    const before = await snapshot(store, "j");
    await expectStale(
      store.recordStep(stale, runningStep("lost", T0), [{ type: "STEP_START", stepKey: "do:lost:1" }], now),
    );
    await expectStale(
      store.recordStep(
        stale,
        {
          ...runningStep("kept", T0, null),
          status: "failed",
          attempts: 1,
          error: { name: "E", message: "x" },
          endedAt: now,
        },
        [],
        now,
      ),
    );
    expect(await snapshot(store, "j")).toEqual(before);
  });

  test("appendLog with a stale epoch is refused and writes nothing", async (store) => {
    const { stale, now } = await takenOver(store, "j");
    const before = await snapshot(store, "j");
    await expectStale(store.appendLog(stale, [{ type: "SLEEP_START" }], now));
    expect(await snapshot(store, "j")).toEqual(before);
  });

  test("a fence whose epoch was never issued is stale", async (store) => {
    const { fence } = await start(store, "j");
    const before = await snapshot(store, "j");
    await expectStale(
      store.appendLog({ seq: fence.seq, epoch: fence.epoch + 1 }, [{ type: "STEP_START" }], T0),
    );
    await expectStale(
      store.recordStep({ seq: fence.seq + 999, epoch: fence.epoch }, runningStep("x", T0), [], T0),
    );
    expect(await snapshot(store, "j")).toEqual(before);
  });
}
