// The object-host leases on a real PostgreSQL: a claim takes a free or expired lease (the token
// grows at each takeover), tells who holds a live one and where; renewals keep only leases still
// held with their token; and a registry whose lease was taken from it closes the object and sends
// its next call to the new holder instead of writing to the object itself.

import { waitUntil } from "cairn/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  advertisedAddress,
  checkForwardSettings,
} from "../../../src/host/durable-objects/forward-address.js";
import { LeaseKeeper, leaseMsFromEnv } from "../../../src/host/durable-objects/lease-keeper.js";
import { type LeaseClaim, LeaseTable } from "../../../src/host/durable-objects/lease-table.js";
import { ObjectRegistry } from "../../../src/host/durable-objects/object-registry.js";
import { StateIndex } from "../../../src/host/durable-objects/state-index.js";
import { DurableObject } from "../../../src/host/runtime/cloudflare-workers.js";
import { openTestDatabase, type TestDatabase } from "../../helpers/postgres-server.js";
import { cleanUp, silentLog, tempDir } from "./helpers.js";

let db: TestDatabase;
const tables: LeaseTable[] = [];
beforeAll(async () => {
  db = await openTestDatabase();
}, 120_000);
afterEach(async () => {
  await cleanUp();
  for (const table of tables.splice(0)) await table.close();
});
afterAll(async () => {
  await db?.close();
});

async function openTable(schema: string): Promise<LeaseTable> {
  const table = await LeaseTable.open(`${db.url}?schema=${schema}`);
  tables.push(table);
  return table;
}

/** Claims until the claim is the caller's (the lease it waits for expires on the server's clock). */
function claimWhenFree(claim: () => Promise<LeaseClaim | null>, what: string): Promise<LeaseClaim | null> {
  return waitUntil(claim, (c) => c?.mine === true, { timeoutMs: 10_000, intervalMs: 50, what });
}

describe("the lease table", () => {
  it("takes free and expired leases, bumping the token at each takeover, and names a live holder", async () => {
    const table = await openTable(db.newSchema("dolease"));
    expect(await table.claim("Counter", "x", "a", "http://a:1", 60_000)).toEqual({ mine: true, token: "1" });
    expect(await table.claim("Counter", "x", "b", "http://b:1", 60_000)).toEqual({
      mine: false,
      owner: "a",
      address: "http://a:1",
      token: "1",
    });
    // Claiming again extends the holder's own lease, with the same token.
    expect(await table.claim("Counter", "x", "a", "http://a:1", 300)).toEqual({ mine: true, token: "1" });
    expect(
      await claimWhenFree(() => table.claim("Counter", "x", "b", "http://b:1", 60_000), "b's takeover"),
    ).toEqual({
      mine: true,
      token: "2",
    });
    // The old holder's renewal and release touch nothing now.
    expect(await table.renew("a", [{ className: "Counter", objectId: "x", token: "1" }], 60_000)).toEqual([]);
    await table.release("a", [{ className: "Counter", objectId: "x", token: "1" }]);
    expect(await table.claim("Counter", "x", "a", "http://a:1", 60_000)).toMatchObject({
      mine: false,
      owner: "b",
    });
    expect(await table.renew("b", [{ className: "Counter", objectId: "x", token: "2" }], 60_000)).toEqual([
      { className: "Counter", objectId: "x", token: "2" },
    ]);
    // A released lease is free at once, and the row keeps its token.
    await table.release("b", [{ className: "Counter", objectId: "x", token: "2" }]);
    expect(await table.claim("Counter", "x", "a", "http://a:1", 60_000)).toEqual({ mine: true, token: "3" });
  });

  it("reports a lease lost at the renewal after another process took it over", async () => {
    const table = await openTable(db.newSchema("dolease"));
    const lost: string[] = [];
    const keeper = new LeaseKeeper({
      table,
      owner: "a",
      address: "http://a:1",
      leaseMs: 300,
      onLost: (className, objectId) => lost.push(`${className}/${objectId}`),
      log: silentLog,
    });
    expect(await keeper.claim("Counter", "y")).toEqual({ mine: true, token: "1" });
    expect(keeper.isCurrent("Counter", "y")).toBe(true);
    // Not renewed (as in a paused process): another process takes it over once it expires.
    await claimWhenFree(() => table.claim("Counter", "y", "b", "http://b:1", 60_000), "b's takeover");
    keeper.start();
    await waitUntil(
      () => lost,
      (l) => l.length > 0,
      { timeoutMs: 10_000, intervalMs: 20, what: "the lost lease to be reported" },
    );
    expect(lost).toEqual(["Counter/y"]);
    expect(keeper.isCurrent("Counter", "y")).toBe(false);
    await keeper.close();
  });
});

class Counter extends DurableObject {
  async increment(): Promise<number> {
    const value = ((await this.ctx.storage.get<number>("n")) ?? 0) + 1;
    await this.ctx.storage.put("n", value);
    return value;
  }
}

describe("a registry whose lease is taken from it", () => {
  it("closes the object and forwards its next call to the new holder instead of running it", async () => {
    const table = await openTable(db.newSchema("dolease"));
    const tableName = (table as unknown as { table: string }).table;
    const dir = tempDir();
    const index = new StateIndex(dir);
    let registry: ObjectRegistry | null = null;
    const lost: string[] = [];
    const leases = new LeaseKeeper({
      table,
      owner: "a",
      address: "http://127.0.0.1:9",
      leaseMs: 600,
      onLost: (className, objectId) => {
        lost.push(objectId);
        registry?.lost(className, objectId);
      },
      log: silentLog,
    });
    registry = new ObjectRegistry({
      dir,
      index,
      classes: new Map([["Counter", "sqlite"]]),
      module: () => ({ fetch: null, scheduled: null, queue: null, classes: {}, exports: { Counter } }),
      env: () => ({}),
      waitUntil: () => {},
      log: silentLog,
      hosting: { leases, token: "t" },
    });
    try {
      const stub = registry.namespace("Counter").getByName("z") as unknown as {
        increment(): Promise<number>;
      };
      expect(await stub.increment()).toBe(1);
      leases.start();
      // Another owner takes the row over under the holder's feet (as after a long pause).
      await db.query(
        `UPDATE ${tableName} SET owner = 'intruder', address = 'http://127.0.0.1:1', token = token + 1, expires_at = expires_at + 60000`,
      );
      await waitUntil(
        () => lost,
        (l) => l.length > 0,
        { timeoutMs: 10_000, intervalMs: 20, what: "the renewal to find the lease lost" },
      );
      const next = await stub.increment().then(
        (value) => ({ value }),
        (error: { code?: string }) => ({ code: error.code }),
      );
      expect(next).toEqual({ code: "durable_object.forward_failed" });
    } finally {
      await registry?.close();
      index.close();
    }
    // The object's file was closed: a registry without leases opens it and finds one increment.
    const again = new StateIndex(dir);
    const plain = new ObjectRegistry({
      dir,
      index: again,
      classes: new Map([["Counter", "sqlite"]]),
      module: () => ({ fetch: null, scheduled: null, queue: null, classes: {}, exports: { Counter } }),
      env: () => ({}),
      waitUntil: () => {},
      log: silentLog,
    });
    const id = plain.namespace("Counter").idFromName("z");
    expect(await plain.object("Counter", id).storage.get("n")).toBe(1);
    await plain.close();
    again.close();
  });
});

describe("forwarding settings", () => {
  it("needs --advertise for a wildcard address and a token beyond loopback", () => {
    expect(() => checkForwardSettings("0.0.0.0", undefined, "t")).toThrow(/--advertise/);
    expect(() => checkForwardSettings("10.0.0.5", undefined, undefined)).toThrow(
      expect.objectContaining({ code: "api.token_required" }),
    );
    expect(() => checkForwardSettings("127.0.0.1", "http://x/", "t")).toThrow(/no scheme, port or path/);
    expect(() => checkForwardSettings("0.0.0.0", "node-2.internal", "t")).not.toThrow();
    expect(advertisedAddress("0.0.0.0", 4000, "node-2.internal")).toBe("http://node-2.internal:4000");
    expect(advertisedAddress("::1", 4000, undefined)).toBe("http://[::1]:4000");
  });

  it("takes the lease length from CAIRN_DO_LEASE_MS, refusing a bad one", () => {
    expect(leaseMsFromEnv(undefined)).toBe(15_000);
    expect(leaseMsFromEnv("1500")).toBe(1500);
    expect(() => leaseMsFromEnv("fast")).toThrow(/CAIRN_DO_LEASE_MS/);
    expect(() => leaseMsFromEnv("10")).toThrow(/at least 300/);
    expect(() => leaseMsFromEnv("10")).toThrow(expect.objectContaining({ code: "config.invalid" }));
  });
});
