// The fault proxy the network tests drive (test/helpers/tcp-fault-proxy.ts) does what it says,
// checked with the `pg` driver against a real PostgreSQL: it forwards, delays without
// reordering, holds bytes while paused, cuts every connection or refuses new ones, and cuts one
// statement before or after the server runs it.

import { waitUntil } from "cairn/testing";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase } from "../helpers/postgres-server.js";
import { TcpFaultProxy } from "../helpers/tcp-fault-proxy.js";

let db: TestDatabase;
let proxy: TcpFaultProxy;
const clients: pg.Client[] = [];

beforeAll(async () => {
  db = await openTestDatabase();
  proxy = await TcpFaultProxy.start({ port: Number(new URL(db.url).port) });
});
afterAll(async () => {
  await proxy?.close();
  await db?.close();
});
afterEach(() => {
  proxy.delay(0);
  proxy.resume();
  proxy.refuse(false);
  proxy.clearCuts();
});

async function client(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: proxy.url(db.url) });
  c.on("error", () => {});
  clients.push(c);
  await c.connect();
  return c;
}

const settled = (p: Promise<unknown>) => {
  const state = { done: false };
  p.then(
    () => (state.done = true),
    () => (state.done = true),
  );
  return state;
};

describe("the TCP fault proxy", () => {
  it("forwards queries and counts connections and bytes", async () => {
    const before = { ...proxy.stats };
    const c = await client();
    expect((await c.query("SELECT 1 + 1 AS n")).rows).toEqual([{ n: 2 }]);
    expect(proxy.stats.accepted).toBe(before.accepted + 1);
    expect(proxy.stats.bytesUp).toBeGreaterThan(before.bytesUp);
    expect(proxy.stats.bytesDown).toBeGreaterThan(before.bytesDown);
    await c.end();
  });

  it("delays every chunk both ways and keeps their order", async () => {
    const c = await client();
    proxy.delay(100);
    const started = Date.now();
    // A reply of many chunks: one delivered out of order would garble the protocol or the rows.
    const { rows } = await c.query("SELECT i FROM generate_series(1, 50000) AS i");
    // A lower bound only: the round trip is delayed on the way there and on the way back.
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(rows.length).toBe(50_000);
    expect(rows.every((r, n) => r.i === n + 1)).toBe(true);
    await c.end();
  });

  it("holds bytes while paused and forwards them on resume", async () => {
    const c = await client();
    const bytes = proxy.stats.bytesUp;
    proxy.pause();
    const query = c.query("SELECT 'after the pause' AS s");
    const state = settled(query);
    await waitUntil(
      () => proxy.stats.bytesUp,
      (n) => n > bytes,
      { timeoutMs: 5_000, what: "the query to reach the proxy" },
    );
    // Held in the proxy: the server has not seen the statement.
    const [row] = await db.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE '%after the pause%' AND pid <> pg_backend_pid()",
    );
    expect(Number(row!.n)).toBe(0);
    expect(state.done).toBe(false);
    proxy.resume();
    expect((await query).rows).toEqual([{ s: "after the pause" }]);
    await c.end();
  });

  it("cuts every open connection and still accepts new ones", async () => {
    const a = await client();
    const b = await client();
    const ended = [a, b].map((c) => new Promise((resolve) => c.once("end", resolve)));
    expect(proxy.cutAll()).toBeGreaterThanOrEqual(2);
    await Promise.all(ended);
    await expect(a.query("SELECT 1")).rejects.toThrow();
    const c = await client();
    expect((await c.query("SELECT 2 AS n")).rows).toEqual([{ n: 2 }]);
    await c.end();
  });

  it("refuses new connections while told to", async () => {
    proxy.refuse(true);
    await expect(client()).rejects.toThrow();
    expect(proxy.stats.refused).toBeGreaterThan(0);
    proxy.refuse(false);
    const c = await client();
    expect((await c.query("SELECT 3 AS n")).rows).toEqual([{ n: 3 }]);
    await c.end();
  });

  it("cuts a COMMIT before the server gets it: the transaction is rolled back", async () => {
    const setup = await client();
    await setup.query("CREATE TABLE IF NOT EXISTS public.proxy_probe (tag text)");
    await setup.end();
    proxy.cutWhen({
      match: (sql, tx) => sql === "COMMIT" && tx.some((s) => s.includes("proxy_probe")),
      when: "before",
    });
    const c = await client();
    await c.query("BEGIN");
    await c.query("INSERT INTO public.proxy_probe VALUES ('before')");
    await expect(c.query("COMMIT")).rejects.toThrow();
    expect(proxy.armedCuts).toBe(0);
    await waitUntil(
      () =>
        db.query(
          "SELECT 1 FROM pg_stat_activity WHERE query LIKE '%proxy_probe VALUES%' AND pid <> pg_backend_pid()",
        ),
      (rows) => rows.length === 0,
      { timeoutMs: 5_000, what: "the cut backend to go" },
    );
    expect(await db.query("SELECT tag FROM public.proxy_probe WHERE tag = 'before'")).toEqual([]);
  });

  it("cuts a COMMIT after the server ran it: committed, and the client never hears so", async () => {
    proxy.cutWhen({
      match: (sql, tx) => sql === "COMMIT" && tx.some((s) => s.includes("proxy_probe")),
      when: "after",
    });
    const c = await client();
    await c.query("BEGIN");
    await c.query("INSERT INTO public.proxy_probe VALUES ($1)", ["after"]);
    await expect(c.query("COMMIT")).rejects.toThrow();
    expect(await db.query("SELECT tag FROM public.proxy_probe WHERE tag = 'after'")).toEqual([
      { tag: "after" },
    ]);
    await db.query("DROP TABLE public.proxy_probe");
  });

  it("aims at a prepared statement by its text, bound by name", async () => {
    const c = await client();
    const named = { name: "probe_select", text: "SELECT $1::text AS s", values: ["one"] };
    expect((await c.query(named)).rows).toEqual([{ s: "one" }]);
    proxy.cutWhen({ match: (sql) => sql.includes("$1::text AS s"), when: "before" });
    await expect(c.query({ ...named, values: ["two"] })).rejects.toThrow();
    expect(proxy.armedCuts).toBe(0);
  });
});
