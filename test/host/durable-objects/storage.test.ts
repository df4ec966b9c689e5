// ctx.storage on real SQLite files: the key-value API (single and batch forms, list options, key
// order), Cloudflare's limits and errors for each storage kind, transactions that commit or roll
// back, deleteAll, and that values survive closing and reopening the object's file.

import { afterEach, describe, expect, it } from "vitest";
import { MAX_BATCH_KEYS } from "../../../src/host/durable-objects/kv-store.js";
import { DurableObject } from "../../../src/host/runtime/cloudflare-workers.js";
import { cleanUp, openHost } from "./helpers.js";

afterEach(cleanUp);

class Plain extends DurableObject {}

function storageOf(kind: "sqlite" | "kv", dir?: string) {
  const host = openHost({ Plain }, { Plain: kind }, dir ? { dir } : {});
  const id = host.registry.namespace("Plain").idFromName("one");
  return { host, storage: host.registry.object("Plain", id).storage };
}

describe("the key-value API", () => {
  it("puts, gets and deletes single keys and batches, keeping structured values", async () => {
    const { storage } = storageOf("sqlite");
    const when = new Date("2026-01-02T03:04:05Z");
    await storage.put("a", { n: 1, when, tags: new Set(["x"]), bytes: new Uint8Array([1, 2]) });
    const a = (await storage.get("a")) as { n: number; when: Date; tags: Set<string>; bytes: Uint8Array };
    expect(a.n).toBe(1);
    expect(a.when).toEqual(when);
    expect(a.tags).toEqual(new Set(["x"]));
    expect([...a.bytes]).toEqual([1, 2]);
    expect(await storage.get("missing")).toBeUndefined();

    await storage.put({ c: 3, b: 2 });
    const many = await storage.get(["c", "missing", "b"]);
    expect(many).toBeInstanceOf(Map);
    expect([...many.entries()]).toEqual([
      ["b", 2],
      ["c", 3],
    ]);
    expect(await storage.delete("b")).toBe(true);
    expect(await storage.delete("b")).toBe(false);
    expect(await storage.delete(["a", "c", "nope"])).toBe(2);
    expect((await storage.list()).size).toBe(0);
  });

  it("lists in key byte order with start, startAfter, end, prefix, reverse and limit", async () => {
    const { storage } = storageOf("kv");
    await storage.put({ "b/2": 2, "a/1": 1, "b/1": 1, "b/3": 3, c: 0, é: "e-acute", Z: "upper" });
    const keys = async (options = {}) => [...(await storage.list(options)).keys()];
    expect(await keys()).toEqual(["Z", "a/1", "b/1", "b/2", "b/3", "c", "é"]);
    expect(await keys({ prefix: "b/" })).toEqual(["b/1", "b/2", "b/3"]);
    expect(await keys({ start: "b/2" })).toEqual(["b/2", "b/3", "c", "é"]);
    expect(await keys({ startAfter: "b/2" })).toEqual(["b/3", "c", "é"]);
    expect(await keys({ end: "b/2" })).toEqual(["Z", "a/1", "b/1"]);
    expect(await keys({ prefix: "b/", reverse: true, limit: 2 })).toEqual(["b/3", "b/2"]);
    expect(await keys({ start: "a", end: "c", limit: 2 })).toEqual(["a/1", "b/1"]);
  });

  it("refuses bad list options naming the option", async () => {
    const { storage } = storageOf("kv");
    await expect(storage.list({ start: "a", startAfter: "b" })).rejects.toThrow(TypeError);
    await expect(storage.list({ limit: 0 })).rejects.toThrow("limit must be a positive integer; got 0");
    await expect(storage.list({ prefix: 5 as unknown as string })).rejects.toThrow(
      "option prefix must be a string",
    );
  });

  it("applies Cloudflare's limits for key-value backed objects", async () => {
    const { storage } = storageOf("kv");
    await expect(storage.put("k".repeat(2049), 1)).rejects.toThrow(RangeError);
    await expect(storage.put("k".repeat(2049), 1)).rejects.toThrow("Keys cannot be larger than 2048 bytes.");
    await storage.put("k".repeat(2048), 1);
    await expect(storage.put("big", new Uint8Array(130 * 1024))).rejects.toThrow(
      "Values cannot be larger than 131072 bytes.",
    );
    // 128 KiB of bytes fits: serialization's few bytes of tagging are allowed, as on Cloudflare.
    await storage.put("max", new Uint8Array(128 * 1024));
    const keys = Array.from({ length: MAX_BATCH_KEYS + 1 }, (_, i) => `k${i}`);
    await expect(storage.get(keys)).rejects.toThrow("Maximum number of keys is 128");
    await expect(storage.delete(keys)).rejects.toThrow(RangeError);
    await expect(storage.put(Object.fromEntries(keys.map((k) => [k, 1])))).rejects.toThrow(RangeError);
    expect(await storage.get("k0")).toBeUndefined();
    await expect(storage.put("u", undefined)).rejects.toThrow(TypeError);
    await expect(storage.put("f", () => 1)).rejects.toThrow(/could not be cloned/);
  });

  it("allows larger values and batches in SQLite-backed objects, up to 2 MB a key and value", async () => {
    const { storage } = storageOf("sqlite");
    await storage.put("big", new Uint8Array(1024 * 1024));
    expect(((await storage.get("big")) as Uint8Array).byteLength).toBe(1024 * 1024);
    const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
    await storage.put(Object.fromEntries(keys.map((k) => [k, 1])));
    expect((await storage.get(keys)).size).toBe(200);
    await expect(storage.put("huge", new Uint8Array(2 * 1024 * 1024))).rejects.toThrow(
      "A key and its value together cannot be larger than 2097152 bytes.",
    );
  });

  it("keeps what was written across closing and reopening the file", async () => {
    const first = storageOf("sqlite");
    await first.storage.put("kept", { yes: true });
    await first.host.close();
    const second = storageOf("sqlite", first.host.dir);
    expect(await second.storage.get("kept")).toEqual({ yes: true });
  });
});

describe("transactions", () => {
  it("commits a transaction and rolls one back when its closure throws", async () => {
    const { storage } = storageOf("sqlite");
    await storage.transaction(async (txn) => {
      await txn.put("a", 1);
      await txn.put("b", 2);
    });
    await expect(
      storage.transaction(async (txn) => {
        await txn.put("a", 100);
        await txn.delete("b");
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    expect([...(await storage.list()).entries()]).toEqual([
      ["a", 1],
      ["b", 2],
    ]);
  });

  it("rolls back on txn.rollback() and returns the closure's value", async () => {
    const { storage } = storageOf("kv");
    const result = await storage.transaction(async (txn) => {
      await txn.put("a", 1);
      txn.rollback();
      return "done";
    });
    expect(result).toBe("done");
    expect(await storage.get("a")).toBeUndefined();
  });

  it("nests transactions; the inner one rolls back alone", async () => {
    const { storage } = storageOf("sqlite");
    await storage.transaction(async (outer) => {
      await outer.put("outer", 1);
      await storage.transaction(async (inner) => {
        await inner.put("inner", 1);
        inner.rollback();
      });
    });
    expect([...(await storage.list()).keys()]).toEqual(["outer"]);
  });

  it("runs top-level transactions started together one after another", async () => {
    const { storage } = storageOf("sqlite");
    const failing = storage.transaction(async (txn) => {
      await txn.put("first", 1);
      await new Promise((resolve) => setImmediate(resolve));
      throw new Error("first fails");
    });
    const passing = storage.transaction(async (txn) => {
      await txn.put("second", 2);
    });
    await expect(failing).rejects.toThrow("first fails");
    await passing;
    expect([...(await storage.list()).keys()]).toEqual(["second"]);
  });

  it("transactionSync commits, rolls back on throw, and is SQLite-only", async () => {
    const { storage } = storageOf("sqlite");
    storage.transactionSync(() => storage.sql.exec("CREATE TABLE t (n INTEGER)"));
    expect(() =>
      storage.transactionSync(() => {
        storage.sql.exec("INSERT INTO t VALUES (1)");
        throw new Error("no");
      }),
    ).toThrow("no");
    expect(storage.sql.exec("SELECT count(*) AS n FROM t").one()).toEqual({ n: 0 });
    const kv = storageOf("kv");
    expect(() => kv.storage.transactionSync(() => 1)).toThrow("only available in SQLite-backed");
  });

  it("deleteAll drops keys and SQL tables but keeps the hidden tables working", async () => {
    const { storage } = storageOf("sqlite");
    await storage.put("a", 1);
    storage.sql.exec("CREATE TABLE t (n INTEGER)");
    await storage.deleteAll();
    expect((await storage.list()).size).toBe(0);
    expect(() => storage.sql.exec("SELECT * FROM t")).toThrow(/no such table/);
    await storage.put("again", 1);
    expect(await storage.get("again")).toBe(1);
  });

  it("offers the synchronous kv API on SQLite-backed objects only", async () => {
    const { storage } = storageOf("sqlite");
    storage.kv.put("x", 1);
    expect(storage.kv.get("x")).toBe(1);
    expect([...storage.kv.list()]).toEqual([["x", 1]]);
    expect(storage.kv.delete("x")).toBe(true);
    expect(() => storageOf("kv").storage.kv).toThrow("only available in SQLite-backed");
  });
});
