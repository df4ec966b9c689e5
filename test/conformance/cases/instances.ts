// Conformance cases for creating and reading instances: duplicate-id rules (an id is created once
// per workflow), the creation log entry, and that getInstance returns the fields of every status
// variant.

import { expect } from "vitest";
import {
  bytes,
  claim,
  create,
  ERROR_RETENTION_MS,
  expectStatus,
  fenceOf,
  finished,
  hibernate,
  mustGet,
  newInstance,
  OTHER_WF,
  OWNER_A,
  type StoreCase,
  SUCCESS_RETENTION_MS,
  start,
  T0,
  text,
  WF,
} from "./support.js";

export function instanceCases(test: StoreCase): void {
  test("createInstances creates queued instances with distinct, increasing seqs", async (store) => {
    const results = await store.createInstances([newInstance("a"), newInstance("b")], T0);
    expect(results).toEqual([
      { id: "a", created: true, seq: expect.any(Number) },
      { id: "b", created: true, seq: expect.any(Number) },
    ]);
    const [a, b] = results as { seq: number }[];
    expect(b!.seq).toBeGreaterThan(a!.seq);

    const record = await mustGet(store, "a");
    expect(record).toMatchObject({
      seq: a!.seq,
      workflow: WF,
      id: "a",
      status: "queued",
      trigger: "api",
      createdAt: T0,
      startedAt: null,
      updatedAt: T0,
      leaseOwner: null,
      leaseExpiresAt: null,
      successRetentionMs: SUCCESS_RETENTION_MS,
      errorRetentionMs: ERROR_RETENTION_MS,
    });
    expect(text(record.params)).toBe("params of a");
  });

  test("a duplicate id in the same workflow is not created and keeps the first params", async (store) => {
    await create(store, "dup");
    const again = await store.createInstances([newInstance("dup", { params: bytes("second") })], T0 + 5);
    expect(again).toEqual([{ id: "dup", created: false }]);
    const record = await mustGet(store, "dup");
    expect(text(record.params)).toBe("params of dup");
    expect(record.createdAt).toBe(T0);
  });

  test("a duplicate id inside one batch is created once", async (store) => {
    const results = await store.createInstances(
      [newInstance("x"), newInstance("y"), newInstance("x", { params: bytes("later") })],
      T0,
    );
    expect(results.map((r) => [r.id, r.created])).toEqual([
      ["x", true],
      ["y", true],
      ["x", false],
    ]);
    expect(text((await mustGet(store, "x")).params)).toBe("params of x");
  });

  test("the same id in another workflow is a separate instance", async (store) => {
    const first = await create(store, "shared");
    const second = await create(store, "shared", T0, { workflow: OTHER_WF, params: bytes("other") });
    expect(second).not.toBe(first);
    expect(text((await mustGet(store, "shared", WF)).params)).toBe("params of shared");
    expect(text((await mustGet(store, "shared", OTHER_WF)).params)).toBe("other");
  });

  test("creating logs WORKFLOW_QUEUED once, and a refused duplicate logs nothing", async (store) => {
    const seq = await create(store, "logged");
    await store.createInstances([newInstance("logged")], T0 + 10);
    const log = await store.readLog(seq);
    expect(log).toEqual([
      { seq: expect.any(Number), at: T0, type: "WORKFLOW_QUEUED", stepKey: null, attempt: null, data: null },
    ]);
  });

  test("trigger and per-instance retention are stored as given", async (store) => {
    await create(store, "cron", T0, { trigger: "cron", successRetentionMs: 5, errorRetentionMs: 7 });
    expect(await mustGet(store, "cron")).toMatchObject({
      trigger: "cron",
      successRetentionMs: 5,
      errorRetentionMs: 7,
    });
  });

  test("params of 200 KB round-trip byte for byte", async (store) => {
    const params = new Uint8Array(200 * 1024).map((_, i) => (i * 31) % 256);
    await create(store, "big", T0, { params });
    const record = await mustGet(store, "big");
    expect(record.params.byteLength).toBe(params.byteLength);
    expect(Buffer.from(record.params).equals(Buffer.from(params))).toBe(true);
  });

  test("getInstance returns undefined for an unknown id or workflow", async (store) => {
    await create(store, "known");
    expect(await store.getInstance(WF, "unknown")).toBeUndefined();
    expect(await store.getInstance(OTHER_WF, "known")).toBeUndefined();
  });

  test("getInstance of a running instance shows its lease", async (store) => {
    await create(store, "run");
    const before = await mustGet(store, "run");
    const claims = await claim(store, T0 + 2, { leaseMs: 1_000 });
    expect(claims.map((x) => x.instance.id)).toEqual(["run"]);
    const record = await mustGet(store, "run");
    expectStatus(record, "running");
    expect(record).toMatchObject({ startedAt: T0 + 2, leaseOwner: OWNER_A, leaseExpiresAt: T0 + 1_002 });
    expect(record.epoch).toBeGreaterThan(before.epoch);
  });

  test("getInstance of a waiting instance shows wakeAt and waitTypes", async (store) => {
    await hibernate(store, "w", T0, { wakeAt: T0 + 5_000, waitTypes: ["approval", "cancel"] });
    const record = await mustGet(store, "w");
    expectStatus(record, "waiting");
    expect(record.wakeAt).toBe(T0 + 5_000);
    expect([...record.waitTypes].sort()).toEqual(["approval", "cancel"]);
    expect(record.leaseOwner).toBeNull();
  });

  test("getInstance of an instance waiting for an event without deadline has wakeAt null", async (store) => {
    await hibernate(store, "w", T0, { wakeAt: null, waitTypes: ["approval"] });
    const record = await mustGet(store, "w");
    expectStatus(record, "waiting");
    expect(record.wakeAt).toBeNull();
    expect(record.waitTypes).toEqual(["approval"]);
  });

  test("getInstance of a paused instance shows pausedAt", async (store) => {
    await create(store, "p");
    await store.requestPause(WF, "p", T0 + 30);
    const record = await mustGet(store, "p");
    expectStatus(record, "paused");
    expect(record.pausedAt).toBe(T0 + 30);
  });

  test("getInstance of a complete instance shows output, endedAt and expiresAt", async (store) => {
    await finished(store, "c", T0, { status: "complete", output: bytes("the output") });
    const record = await mustGet(store, "c");
    expectStatus(record, "complete");
    expect(text(record.output)).toBe("the output");
    expect(record.endedAt).toBe(T0);
    expect(record.expiresAt).toBe(T0 + SUCCESS_RETENTION_MS);
    expect(record.leaseOwner).toBeNull();
  });

  test("getInstance of an errored instance shows the error", async (store) => {
    await finished(store, "e", T0, { status: "errored", error: { name: "TypeError", message: "boom" } });
    const record = await mustGet(store, "e");
    expectStatus(record, "errored");
    expect(record.error).toEqual({ name: "TypeError", message: "boom" });
    expect(record.endedAt).toBe(T0);
    expect(record.expiresAt).toBe(T0 + ERROR_RETENTION_MS);
  });

  test("getInstance of a terminated instance shows endedAt and expiresAt", async (store) => {
    await create(store, "t");
    await store.terminate(WF, "t", T0 + 40);
    const record = await mustGet(store, "t");
    expectStatus(record, "terminated");
    expect(record.endedAt).toBe(T0 + 40);
    expect(record.expiresAt).toBeGreaterThan(T0 + 40);
  });

  test("getInstance of an instance asked to pause while running shows waitingForPause", async (store) => {
    const { fence } = await start(store, "wfp");
    await store.requestPause(WF, "wfp", T0 + 1);
    const record = await mustGet(store, "wfp");
    expectStatus(record, "waitingForPause");
    // The runner keeps its lease until the pause settles.
    expect(fenceOf(record)).toEqual(fence);
    expect(record.leaseOwner).toBe(OWNER_A);
  });
}
