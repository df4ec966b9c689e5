// ctx.storage.sql on a real SQLite file: cursors (toArray, one with Cloudflare's errors, raw,
// iteration, columnNames, rowsRead/rowsWritten), bindings, the hidden `_cf_` tables and the
// refusal of SQL transactions, databaseSize, and that key-value backed classes have no sql.

import { afterEach, describe, expect, it } from "vitest";
import { DurableObject } from "../../../src/host/runtime/cloudflare-workers.js";
import { cleanUp, openHost } from "./helpers.js";

afterEach(cleanUp);

class Plain extends DurableObject {}

function sqlStorage(kind: "sqlite" | "kv" = "sqlite") {
  const host = openHost({ Plain }, { Plain: kind });
  return host.registry.object("Plain", host.registry.namespace("Plain").idFromName("s")).storage;
}

describe("sql.exec", () => {
  it("runs statements and returns cursors with Cloudflare's shape", () => {
    const { sql } = sqlStorage();
    const created = sql.exec("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, photo BLOB)");
    expect(created.toArray()).toEqual([]);
    const inserted = sql.exec(
      "INSERT INTO people (id, name, photo) VALUES (?, ?, ?), (?, ?, NULL)",
      1,
      "Ada",
      new Uint8Array([7, 8]),
      2,
      "Grace",
    );
    expect(inserted.rowsWritten).toBe(2);
    const cursor = sql.exec("SELECT id, name, photo FROM people ORDER BY id");
    expect(cursor.columnNames).toEqual(["id", "name", "photo"]);
    const rows = cursor.toArray();
    expect(rows).toHaveLength(2);
    expect(rows[0]!.name).toBe("Ada");
    expect(rows[0]!.photo).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(rows[0]!.photo as ArrayBuffer)]).toEqual([7, 8]);
    expect(rows[1]).toEqual({ id: 2, name: "Grace", photo: null });
    expect(cursor.rowsRead).toBe(2);
    // A cursor is read once.
    expect(cursor.toArray()).toEqual([]);

    expect([...sql.exec("SELECT name FROM people ORDER BY id").raw()]).toEqual([["Ada"], ["Grace"]]);
    const names: unknown[] = [];
    for (const row of sql.exec("SELECT name FROM people ORDER BY id")) names.push(row.name);
    expect(names).toEqual(["Ada", "Grace"]);
    expect(sql.exec("UPDATE people SET name = upper(name) RETURNING id").rowsWritten).toBe(2);
  });

  it("one() returns the single row and throws Cloudflare's errors for none or several", () => {
    const { sql } = sqlStorage();
    sql.exec("CREATE TABLE t (n INTEGER)");
    sql.exec("INSERT INTO t VALUES (1), (2)");
    expect(sql.exec("SELECT n FROM t WHERE n = ?", 2).one()).toEqual({ n: 2 });
    expect(() => sql.exec("SELECT n FROM t WHERE n > 5").one()).toThrow(
      "Expected exactly one result from SQL query, but got no results.",
    );
    expect(() => sql.exec("SELECT n FROM t").one()).toThrow(
      "Expected exactly one result from SQL query, but got multiple results.",
    );
  });

  it("runs several statements at once when they take no bindings", () => {
    const { sql } = sqlStorage();
    sql.exec("CREATE TABLE a (n INTEGER); CREATE TABLE b (n INTEGER); INSERT INTO a VALUES (1);");
    expect(sql.exec("SELECT n FROM a").one()).toEqual({ n: 1 });
    expect(() => sql.exec("INSERT INTO a VALUES (?); INSERT INTO b VALUES (?)", 1, 2)).toThrow(
      "bindings only for a single statement",
    );
  });

  it("keeps the key-value tables out of reach and refuses SQL transactions", async () => {
    const storage = sqlStorage();
    await storage.put("secret", 1);
    expect(() => storage.sql.exec("SELECT * FROM _cf_kv")).toThrow(
      "access to _cf_kv is prohibited: SQLITE_AUTH",
    );
    expect(() => storage.sql.exec("DROP TABLE _CF_KV")).toThrow(/SQLITE_AUTH/);
    expect(() => storage.sql.exec("BEGIN TRANSACTION")).toThrow("please use the state.storage.transaction()");
    expect(() => storage.sql.exec("SAVEPOINT x")).toThrow(/transaction\(\)/);
    expect(await storage.get("secret")).toBe(1);
    // As on Cloudflare, the hidden tables show in a listing; only their contents are off limits.
    const tables = storage.sql
      .exec("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .toArray();
    expect(tables).toEqual([{ name: "_cf_kv" }, { name: "_cf_meta" }]);
  });

  it("refuses bindings of other types, naming the binding", () => {
    const { sql } = sqlStorage();
    sql.exec("CREATE TABLE t (v)");
    expect(() => sql.exec("INSERT INTO t VALUES (?)", true)).toThrow("SQL binding 1 is boolean");
    expect(() => sql.exec("INSERT INTO t VALUES (?)", undefined)).toThrow(TypeError);
    expect(() => sql.exec("SELEC nonsense")).toThrow(/syntax error/);
  });

  it("reports the database size", () => {
    const { sql } = sqlStorage();
    const before = sql.databaseSize;
    sql.exec("CREATE TABLE t (v TEXT)");
    sql.exec("INSERT INTO t VALUES (?)", "x".repeat(100_000));
    expect(before).toBeGreaterThan(0);
    expect(sql.databaseSize).toBeGreaterThan(before);
  });

  it("is not available to key-value backed classes, with Cloudflare's error", () => {
    const storage = sqlStorage("kv");
    expect(() => storage.sql).toThrow("SQL is not enabled for this Durable Object class.");
  });
});
