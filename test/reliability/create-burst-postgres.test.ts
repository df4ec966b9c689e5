// A burst of single creates on PostgreSQL, issued at once through the binding: the creates share
// statements instead of taking a pooled connection each, so the pool's queue does not grow with
// the burst and none of them fails as `storage.unavailable` for waiting past the pool's connection
// timeout while the database answers. The same, ten times larger and with the default pool, is
// `npm run soak -- --limits`.

import { Cairn, WorkflowEntrypoint, WorkflowsError } from "cairn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase } from "../helpers/postgres-server.js";

class Noop extends WorkflowEntrypoint {
  async run() {
    return null;
  }
}

const BURST = 5000;

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

/** A Cairn that only creates (nothing runs), on a small pool with a short wait for a connection. */
async function creator() {
  return Cairn.open({
    // Three connections for statements (the creates' two and one for publishing changes; a fourth
    // listens); a call waits at most a second for one.
    storage: { connectionString: db.url, connectionTimeoutMillis: 1000 },
    postgresPoolSize: 4,
    postgresSchema: db.newSchema("burst"),
    workflows: { NOOP: { name: "noop", class: Noop } },
    runInstances: false,
    metrics: false,
  });
}

describe("a burst of creates on PostgreSQL", () => {
  it("creates every instance without queueing the burst on the pool", async () => {
    const cairn = await creator();
    try {
      // The pool's connections are opened first: a connection being opened while the burst
      // holds the event loop would run out of the second on its own.
      await Promise.all(Array.from({ length: 3 }, () => cairn.inspect.instances("noop")));
      const creating = Array.from({ length: BURST }, (_, n) => cairn.env.NOOP.create({ params: { n } }));
      // Issued in this tick: what waits for a connection now is what the burst put on the pool.
      const waiting = cairn.engine.store.poolUse?.().waiting ?? -1;
      const settled = await Promise.allSettled(creating);
      const failed = settled.filter((s) => s.status === "rejected");
      expect(failed.map((f) => (f as PromiseRejectedResult).reason?.message).slice(0, 3)).toEqual([]);
      expect(waiting).toBeGreaterThanOrEqual(0);
      expect(waiting).toBeLessThanOrEqual(2);
      const ids = new Set(settled.map((s) => (s as PromiseFulfilledResult<{ id: string }>).value.id));
      expect(ids.size).toBe(BURST);
      expect((await cairn.inspect.workflow("noop")).counts).toEqual({ queued: BURST });
    } finally {
      await cairn.close();
    }
  }, 60_000);

  it("judges merged creates in the order they came: a repeated id is created once", async () => {
    const cairn = await creator();
    try {
      // The first calls each take a statement; the later ones wait and share the next one.
      const calls = [
        cairn.env.NOOP.create({ id: "a" }),
        cairn.env.NOOP.create({ id: "b" }),
        cairn.env.NOOP.create({ id: "twice", params: { first: true } }),
        cairn.env.NOOP.create({ id: "c" }),
        cairn.env.NOOP.create({ id: "twice", params: { first: false } }),
      ];
      const settled = await Promise.allSettled(calls);
      expect(settled.map((s) => s.status)).toEqual([
        "fulfilled",
        "fulfilled",
        "fulfilled",
        "fulfilled",
        "rejected",
      ]);
      const error = (settled[4] as PromiseRejectedResult).reason;
      expect(WorkflowsError.is(error) && error.code).toBe("instance.already_exists");
      const twice = await cairn.inspect.instance("noop", "twice");
      expect(twice.params).toEqual({ first: true });
    } finally {
      await cairn.close();
    }
  }, 60_000);
});
