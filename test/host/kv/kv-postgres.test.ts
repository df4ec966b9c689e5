// The KV binding's shared suite on a real PostgreSQL server, in a schema of its own; the table's
// creation by several stores at once, which must all succeed, in the URL's schema; and a server
// that cannot be reached, reported as the engine reports it.

import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KvNamespace } from "../../../src/host/kv/kv-namespace.js";
import { PostgresKvStore } from "../../../src/host/kv/postgres-kv-store.js";
import {
  freePort,
  openTestDatabase,
  startPostgresServer,
  type TestDatabase,
} from "../../helpers/postgres-server.js";
import { describeKvNamespace } from "./kv-namespace-suite.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
}, 120_000);
afterAll(async () => {
  await db?.close();
});

describeKvNamespace("PostgreSQL", () => PostgresKvStore.open(`${db.url}?schema=${db.newSchema("kv")}`));

describe("KV table on PostgreSQL", () => {
  it("is created once when many stores open on a new schema at the same moment", async () => {
    const url = `${db.url}?schema=${db.newSchema("kvrace")}`;
    const stores = await Promise.all(Array.from({ length: 6 }, () => PostgresKvStore.open(url)));
    try {
      await new KvNamespace(stores[0]!, "ns").put("k", "v");
      expect(await new KvNamespace(stores[5]!, "ns").get("k")).toBe("v");
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it("lives in the URL's schema", async () => {
    const schema = db.newSchema("kvschema");
    const store = await PostgresKvStore.open(`${db.url}?schema=${schema}`);
    try {
      await new KvNamespace(store, "ns").put("k", "v");
    } finally {
      await store.close();
    }
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT namespace, value FROM "${schema}".kv_entries`);
      expect(rows.map((r) => [r.namespace, Buffer.from(r.value).toString()])).toEqual([["ns", "v"]]);
    } finally {
      await client.end();
    }
  });
});

describe("KV store opening on an unreachable server", () => {
  it("fails as the engine does, with storage.unavailable naming the server", async () => {
    const port = await freePort();
    const error = (await PostgresKvStore.open(`postgres://u:secret@127.0.0.1:${port}/db`).catch(
      (e) => e,
    )) as {
      code: string;
      message: string;
    };
    expect(error.code).toBe("storage.unavailable");
    expect(error.message).toContain(`127.0.0.1:${port}/db`);
    expect(error.message).not.toContain("secret");
  });
});

describe("KV store whose server goes away", () => {
  it("rejects calls with storage.unavailable instead of a raw driver error", async () => {
    const server = await startPostgresServer();
    const store = await PostgresKvStore.open(server.url);
    try {
      const kv = new KvNamespace(store, "ns");
      await kv.put("k", "v");
      await server.stop();
      const error = (await kv.get("k").catch((e) => e)) as { code: string; message: string };
      expect(error.code).toBe("storage.unavailable");
      expect(error.message).toContain("KV get");
    } finally {
      await store.close();
      await server.destroy();
    }
  }, 120_000);
});
