// Several stores on one PostgreSQL, as several processes would hold them: migrations applied
// once when they all start at once, claims that never hand one instance to two of them, the
// signals (LISTEN/NOTIFY) each sends the others and never itself, schemas that keep deployments
// apart, the lease renewal that catches a lost signal, and a listener that reconnects.

import { waitUntil } from "cairn/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SERVER_NOW_MS } from "../../src/storage/postgres/lease-time.js";
import { migrations } from "../../src/storage/postgres/migrations.js";
import { PostgresStore } from "../../src/storage/postgres/postgres-store.js";
import type { StoreSignal } from "../../src/storage/types.js";
import { newInstance, T0, WF } from "../conformance/cases/support.js";
import { openTestDatabase, startPostgresServer, type TestDatabase } from "../helpers/postgres-server.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function open(schema: string, url = db.url): Promise<PostgresStore> {
  const store = await PostgresStore.open({ connection: url, schema, poolSize: 3 });
  cleanups.push(() => store.close());
  return store;
}

/** Collects the signals a store delivers to its subscriber. */
function record(store: PostgresStore): StoreSignal[] {
  const seen: StoreSignal[] = [];
  cleanups.push(async () => store.subscribe(() => {})());
  store.subscribe((s) => seen.push(s));
  return seen;
}

const claimAll = (store: PostgresStore, owner: string, total: number) =>
  store.claim({ owner, now: T0, leaseMs: 60_000, slots: { [WF]: total }, total });

describe("stores sharing one PostgreSQL", () => {
  it("applies the migrations once when eight stores open a fresh schema at the same moment", async () => {
    const schema = db.newSchema("migrate");
    const stores = await Promise.all(Array.from({ length: 8 }, () => open(schema)));
    const rows = await db.query<{ version: number }>(`SELECT version FROM "${schema}".schema_migrations`);
    expect(rows.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
    // And they all work on the same tables.
    await stores[0]!.createInstances([newInstance("one")], T0);
    expect((await stores[7]!.getInstance(WF, "one"))?.status).toBe("queued");
  });

  it("hands each queued instance to exactly one of several stores claiming at once", async () => {
    const schema = db.newSchema("claims");
    const stores = await Promise.all([open(schema), open(schema), open(schema), open(schema)]);
    const items = Array.from({ length: 200 }, (_, i) => newInstance(`i${i}`));
    for (let i = 0; i < items.length; i += 50) await stores[0]!.createInstances(items.slice(i, i + 50), T0);
    const taken: string[][] = stores.map(() => []);
    // Each store claims in rounds of 15 until nothing is left, all four at the same time.
    await Promise.all(
      stores.map(async (store, k) => {
        for (;;) {
          const claims = await claimAll(store, `owner-${k}`, 15);
          if (claims.length === 0) return;
          taken[k]!.push(...claims.map((c) => c.instance.id));
        }
      }),
    );
    const all = taken.flat();
    expect(all).toHaveLength(200);
    expect(new Set(all).size).toBe(200);
    expect(taken.filter((t) => t.length > 0).length).toBeGreaterThan(1);
  });

  it("tells the other stores about creations, events and control operations, and not itself", async () => {
    const schema = db.newSchema("signals");
    const [a, b] = [await open(schema), await open(schema)];
    const fromA = record(a);
    const fromB = record(b);
    // The listener connects in the background; its first delivery is a wake of its own.
    await waitUntil(
      () => fromB.length,
      (n) => n > 0,
      { what: "b's listener" },
    );
    await waitUntil(
      () => fromA.length,
      (n) => n > 0,
      { what: "a's listener" },
    );
    fromA.length = 0;
    fromB.length = 0;

    await a.createInstances([newInstance("x")], T0);
    await waitUntil(
      () => fromB,
      (s) => s.some((x) => x.kind === "wake"),
      { what: "a wake on b" },
    );
    await a.sendEvent(WF, "x", { type: "approval", payload: new Uint8Array([1]) }, T0);
    await a.requestPause(WF, "x", T0);
    await a.terminate(WF, "x", T0);
    const expected: StoreSignal[] = [
      { kind: "event", workflow: WF, id: "x", type: "approval" },
      { kind: "control", workflow: WF, id: "x" },
    ];
    await waitUntil(
      () => fromB,
      (s) => expected.every((e) => s.some((x) => JSON.stringify(x) === JSON.stringify(e))),
      { what: "b to hear of the event and the control operations" },
    );
    // b's own change reaches a, proving a listens; a never heard its own.
    await b.createInstances([newInstance("y")], T0);
    await waitUntil(
      () => fromA.length,
      (n) => n > 0,
      { what: "a to hear of b's creation" },
    );
    expect(fromA).toEqual([{ kind: "wake" }]);
  });

  it("keeps deployments in different schemas apart: instances and signals", async () => {
    const [left, right] = [await open(db.newSchema("left")), await open(db.newSchema("right"))];
    const leftAgain = await open(left.schema);
    const heardOnRight = record(right);
    const heardOnLeft = record(leftAgain);
    await waitUntil(
      () => heardOnRight.length + heardOnLeft.length,
      (n) => n >= 2,
      { what: "listeners" },
    );
    heardOnRight.length = 0;
    heardOnLeft.length = 0;

    await left.createInstances([newInstance("only-left")], T0);
    await waitUntil(
      () => heardOnLeft.length,
      (n) => n > 0,
      { what: "the left deployment's signal" },
    );
    expect(await right.getInstance(WF, "only-left")).toBeUndefined();
    expect(await right.claim({ owner: "r", now: T0, leaseMs: 1_000, slots: { [WF]: 5 }, total: 5 })).toEqual(
      [],
    );
    // Same id in the other schema is a different instance; right hears only its own deployment.
    const rightAgain = await open(right.schema);
    expect((await rightAgain.createInstances([newInstance("only-left")], T0))[0]?.created).toBe(true);
    await waitUntil(
      () => heardOnRight.length,
      (n) => n > 0,
      { what: "the right deployment's signal" },
    );
    expect(heardOnRight).toEqual([{ kind: "wake" }]);
  });

  it("lease renewal tells the runner's process when its instance was taken or asked to pause", async () => {
    const schema = db.newSchema("renew");
    const store = await open(schema);
    const other = await open(schema);
    const heard = record(store);
    await store.createInstances([newInstance("kept"), newInstance("lost"), newInstance("pausing")], T0);
    const claims = await claimAll(store, "runner", 3);
    const fence = (id: string) => {
      const c = claims.find((x) => x.instance.id === id)!;
      return { seq: c.instance.seq, epoch: c.instance.epoch };
    };
    // Changes made elsewhere whose signals this process missed.
    await other.terminate(WF, "lost", T0 + 1);
    await other.requestPause(WF, "pausing", T0 + 1);
    heard.length = 0;
    const serverNow = async () =>
      Number((await db.query<{ t: string }>(`SELECT ${SERVER_NOW_MS} AS t`))[0]!.t);
    const before = await serverNow();
    await store.renewLeases("runner", [fence("kept"), fence("lost"), fence("pausing")], T0, 90_000);
    const after = await serverNow();
    expect(heard).toEqual(
      expect.arrayContaining([
        { kind: "control", workflow: WF, id: "lost" },
        { kind: "control", workflow: WF, id: "pausing" },
      ]),
    );
    expect(heard).not.toContainEqual({ kind: "control", workflow: WF, id: "kept" });
    // The renewed lease runs 90 s from the server's time when it was renewed, whatever `now` said.
    const expiresAt = (await store.getInstance(WF, "kept"))?.leaseExpiresAt ?? 0;
    expect(expiresAt).toBeGreaterThanOrEqual(before + 90_000);
    expect(expiresAt).toBeLessThanOrEqual(after + 90_000);
  });

  it("reconnects its listener after the server restarts, and signals flow again", async () => {
    const server = await startPostgresServer();
    cleanups.push(() => server.destroy());
    const [a, b] = [await open("restart", server.url), await open("restart", server.url)];
    const heard = record(b);
    await waitUntil(
      () => heard.length,
      (n) => n > 0,
      { what: "the first connection" },
    );
    await server.stop();
    heard.length = 0;
    await server.start();
    // Back: the listener delivers a wake for what it may have missed...
    await waitUntil(
      () => heard,
      (s) => s.some((x) => x.kind === "wake"),
      {
        timeoutMs: 20_000,
        what: "the wake after reconnecting",
      },
    );
    // ...and hears the others again (the sender's pool reconnects by itself too).
    await waitUntil(
      () =>
        a.createInstances([newInstance(`z${Math.random()}`)], T0).then(
          () => true,
          () => false,
        ),
      (ok) => ok,
      { timeoutMs: 20_000, intervalMs: 100, what: "a to write again" },
    );
    heard.length = 0;
    await a.sendEvent(
      WF,
      (await a.listInstances({ workflow: WF, limit: 1 })).items[0]!.id,
      {
        type: "t",
        payload: new Uint8Array(),
      },
      T0,
    );
    await waitUntil(
      () => heard,
      (s) => s.some((x) => x.kind === "event"),
      { what: "an event signal" },
    );
  });
});
