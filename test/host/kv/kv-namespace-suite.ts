// The KV binding's behaviour, written once and run against each store (a real SQLite file and a
// real PostgreSQL schema): values and read types, metadata, bulk reads, expiry under a clock the
// test moves, list order and cursors, namespaces sharing and not sharing data, and every bad input
// refused with Cloudflare's error.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KvError, KvTypeError } from "../../../src/host/kv/kv-errors.js";
import { KvNamespace } from "../../../src/host/kv/kv-namespace.js";
import type { KvStore } from "../../../src/host/kv/kv-store.js";

/** A clock the test moves by hand, in milliseconds. */
class ManualClock {
  now = Date.UTC(2030, 0, 1);
  advance(ms: number): void {
    this.now += ms;
  }
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the call to fail");
}

async function expectKvError(promise: Promise<unknown>, message: string, code: string): Promise<void> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(KvError);
  expect(error.name).toBe("Error");
  expect(error.message).toBe(message);
  expect((error as KvError).code).toBe(code);
}

async function expectTypeError(promise: Promise<unknown>, message: string): Promise<void> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(TypeError);
  expect(error).toBeInstanceOf(KvTypeError);
  expect(error.name).toBe("TypeError");
  expect(error.message).toBe(message);
}

async function streamText(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

export function describeKvNamespace(name: string, openStore: () => Promise<KvStore>): void {
  describe(`KV namespace on ${name}`, () => {
    let store: KvStore;
    const clock = new ManualClock();
    let counter = 0;
    /** A namespace of its own for each test, so tests do not see each other's keys. */
    const fresh = () => new KvNamespace(store, `ns-${name}-${++counter}`, () => clock.now);

    beforeAll(async () => {
      store = await openStore();
    }, 120_000);
    afterAll(async () => {
      await store?.close();
    });

    it("puts and gets a string; a missing key reads as null; delete removes and is idempotent", async () => {
      const kv = fresh();
      expect(await kv.get("missing")).toBeNull();
      await kv.put("greeting", "héllo");
      expect(await kv.get("greeting")).toBe("héllo");
      await kv.put("greeting", "again");
      expect(await kv.get("greeting")).toBe("again");
      await kv.delete("greeting");
      expect(await kv.get("greeting")).toBeNull();
      await kv.delete("greeting");
    });

    it("reads a value as text, json, arrayBuffer or stream, by name or in an options object", async () => {
      const kv = fresh();
      await kv.put("doc", JSON.stringify({ a: [1, 2] }));
      expect(await kv.get("doc", "json")).toEqual({ a: [1, 2] });
      expect(await kv.get("doc", { type: "json", cacheTtl: 60 })).toEqual({ a: [1, 2] });
      expect(await kv.get("doc", { type: "text" })).toBe('{"a":[1,2]}');
      const buffer = (await kv.get("doc", "arrayBuffer")) as ArrayBuffer;
      expect(buffer).toBeInstanceOf(ArrayBuffer);
      expect(new TextDecoder().decode(buffer)).toBe('{"a":[1,2]}');
      const stream = (await kv.get("doc", "stream")) as ReadableStream<Uint8Array>;
      expect(await streamText(stream)).toBe('{"a":[1,2]}');
      await kv.put("text", "not json");
      await expect(kv.get("text", "json")).rejects.toBeInstanceOf(SyntaxError);
    });

    it("stores ArrayBuffers, typed arrays, DataViews and streams as bytes; other primitives as text", async () => {
      const kv = fresh();
      await kv.put("buffer", new Uint8Array([0, 255, 7]).buffer);
      expect([...new Uint8Array((await kv.get("buffer", "arrayBuffer")) as ArrayBuffer)]).toEqual([
        0, 255, 7,
      ]);
      const backing = new Uint8Array([9, 8, 7, 6, 5]);
      await kv.put("view", backing.subarray(1, 3));
      expect([...new Uint8Array((await kv.get("view", "arrayBuffer")) as ArrayBuffer)]).toEqual([8, 7]);
      await kv.put("dataview", new DataView(backing.buffer, 3, 2));
      expect([...new Uint8Array((await kv.get("dataview", "arrayBuffer")) as ArrayBuffer)]).toEqual([6, 5]);
      await kv.put("stream", new Blob(["from ", "a stream"]).stream());
      expect(await kv.get("stream")).toBe("from a stream");
      await kv.put("number", 42 as unknown as string);
      expect(await kv.get("number")).toBe("42");
      await kv.put("empty", "");
      expect(await kv.get("empty")).toBe("");
    });

    it("keeps metadata with the value and reports it in getWithMetadata and list", async () => {
      const kv = fresh();
      await kv.put("with", "v", { metadata: { owner: "ana", n: 1 } });
      await kv.put("without", "w");
      expect(await kv.getWithMetadata("with")).toEqual({
        value: "v",
        metadata: { owner: "ana", n: 1 },
        cacheStatus: null,
      });
      expect(await kv.getWithMetadata("without", "json").catch((e: Error) => e.name)).toBe("SyntaxError");
      expect(await kv.getWithMetadata("without")).toEqual({ value: "w", metadata: null, cacheStatus: null });
      expect(await kv.getWithMetadata("nope")).toEqual({ value: null, metadata: null, cacheStatus: null });
      const { keys } = await kv.list();
      expect(keys).toEqual([{ name: "with", metadata: { owner: "ana", n: 1 } }, { name: "without" }]);
      await kv.put("with", "v2");
      expect((await kv.getWithMetadata("with")) as object).toMatchObject({ metadata: null });
    });

    it("reads many keys at once into a Map, in the order asked, null for missing ones", async () => {
      const kv = fresh();
      await kv.put("a", "1", { metadata: { m: "a" } });
      await kv.put("b", '{"x":2}');
      const texts = (await kv.get(["b", "missing", "a"])) as Map<string, unknown>;
      expect(texts).toBeInstanceOf(Map);
      expect([...texts]).toEqual([
        ["b", '{"x":2}'],
        ["missing", null],
        ["a", "1"],
      ]);
      expect([...((await kv.get(["a", "b"], "json")) as Map<string, unknown>)]).toEqual([
        ["a", 1],
        ["b", { x: 2 }],
      ]);
      const withMeta = (await kv.getWithMetadata(["a", "missing"], { type: "text" })) as Map<string, unknown>;
      expect([...withMeta]).toEqual([
        ["a", { value: "1", metadata: { m: "a" } }],
        ["missing", null],
      ]);
    });

    it("refuses bad bulk reads with Cloudflare's errors", async () => {
      const kv = fresh();
      await kv.put("text", "plain");
      await expectKvError(
        kv.get([]),
        "KV GET_BULK failed: 400 You must request a minimum of 1 key",
        "kv.invalid_bulk",
      );
      const many = Array.from({ length: 101 }, (_, i) => `k${i}`);
      await expectKvError(
        kv.get(many),
        "KV GET_BULK failed: 400 You can request a maximum of 100 keys",
        "kv.invalid_bulk",
      );
      expect(((await kv.get(many.slice(0, 100))) as Map<string, unknown>).size).toBe(100);
      await expectKvError(
        kv.get(["ok", ".."]),
        "KV GET_BULK failed: 400 Key name .. is not legal",
        "kv.invalid_key",
      );
      await expectKvError(kv.get([""]), "KV GET_BULK failed: 400 Key name  is not legal", "kv.invalid_key");
      await expectKvError(
        kv.get(["x".repeat(513)]),
        "KV GET_BULK failed: 414 Encoded length of 513 is too long",
        "kv.key_too_long",
      );
      await expectKvError(
        kv.get(["text"], "stream"),
        'KV GET_BULK failed: 400 "stream" is not a valid type. Use "json" or "text"',
        "kv.invalid_type",
      );
      await expectKvError(
        kv.get(["text"], "arrayBuffer"),
        'KV GET_BULK failed: 400 "arrayBuffer" is not a valid type. Use "json" or "text"',
        "kv.invalid_type",
      );
      await expectKvError(
        kv.get(["text"], "json"),
        "KV GET_BULK failed: 400 At least one of the requested keys corresponds to a non-json value",
        "kv.not_json",
      );
    });

    it("refuses bad keys with Cloudflare's errors, for get, put and delete", async () => {
      const kv = fresh();
      for (const call of [
        (k: string) => kv.get(k),
        (k: string) => kv.getWithMetadata(k),
        (k: string) => kv.put(k, "v"),
        (k: string) => kv.delete(k),
      ]) {
        await expectTypeError(call(""), "Key name cannot be empty.");
        await expectTypeError(call("."), '"." is not allowed as a key name.');
        await expectTypeError(call(".."), '".." is not allowed as a key name.');
      }
      const long = "é".repeat(257); // 514 bytes in UTF-8
      const tooLong = "UTF-8 encoded length of 514 exceeds key length limit of 512.";
      await expectKvError(kv.get(long), `KV GET failed: 414 ${tooLong}`, "kv.key_too_long");
      await expectKvError(kv.put(long, "v"), `KV PUT failed: 414 ${tooLong}`, "kv.key_too_long");
      await expectKvError(kv.delete(long), `KV DELETE failed: 414 ${tooLong}`, "kv.key_too_long");
      const longest = "k".repeat(512);
      await kv.put(longest, "fits");
      expect(await kv.get(longest)).toBe("fits");
    });

    it("refuses a bad read type once the key exists, and a cacheTtl under 30 seconds", async () => {
      const kv = fresh();
      expect(await kv.get("missing", "bogus")).toBeNull();
      await kv.put("here", "v");
      await expectTypeError(
        kv.get("here", "bogus"),
        'Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".',
      );
      await expectKvError(
        kv.get("here", { cacheTtl: 29 }),
        "KV GET failed: 400 Invalid cache_ttl of 29. Cache TTL must be at least 30.",
        "kv.invalid_cache_ttl",
      );
      expect(await kv.get("here", { cacheTtl: 30 })).toBe("v");
      await expectKvError(
        kv.get(["here"], { type: "text", cacheTtl: 10 }),
        "KV GET_BULK failed: 400 Invalid cache_ttl of 10. Cache TTL must be at least 30.",
        "kv.invalid_cache_ttl",
      );
    });

    it("refuses values that are not strings, buffers or streams, and values over 25 MiB", async () => {
      const kv = fresh();
      const notAValue =
        "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.";
      await expectTypeError(kv.put("k", { an: "object" }), notAValue);
      await expectTypeError(kv.put("k", [1, 2]), notAValue);
      const limit = 25 * 1024 * 1024;
      await expectKvError(
        kv.put("k", new Uint8Array(limit + 1)),
        `KV PUT failed: 413 Value length of ${limit + 1} exceeds limit of ${limit}.`,
        "kv.value_too_large",
      );
      const chunk = new Uint8Array(1024 * 1024);
      let sent = 0;
      const endless = new ReadableStream<Uint8Array>({
        pull(controller) {
          sent += 1;
          controller.enqueue(chunk);
        },
      });
      const error = await rejection(kv.put("k", endless));
      expect(error.message).toMatch(/^KV PUT failed: 413 Value length of \d+ exceeds limit of 26214400\.$/);
      expect(sent).toBeLessThan(40);
      expect(await kv.get("k")).toBeNull();
    });

    it("refuses metadata over 1024 bytes and bad expirations with Cloudflare's errors", async () => {
      const kv = fresh();
      const nowSeconds = Math.floor(clock.now / 1000);
      await kv.put("meta", "v", { metadata: "x".repeat(1022) }); // 1024 bytes with the quotes
      await expectKvError(
        kv.put("meta", "v", { metadata: "x".repeat(1023) }),
        "KV PUT failed: 413 Metadata length of 1025 exceeds limit of 1024.",
        "kv.metadata_too_large",
      );
      await expectKvError(
        kv.put("k", "v", { expirationTtl: 59 }),
        "KV PUT failed: 400 Invalid expiration_ttl of 59. Expiration TTL must be at least 60.",
        "kv.invalid_expiration_ttl",
      );
      await expectKvError(
        kv.put("k", "v", { expirationTtl: 0 }),
        "KV PUT failed: 400 Invalid expiration_ttl of 0. Please specify integer greater than 0.",
        "kv.invalid_expiration_ttl",
      );
      await expectKvError(
        kv.put("k", "v", { expirationTtl: "soon" }),
        "KV PUT failed: 400 Invalid expiration_ttl of soon. Please specify integer greater than 0.",
        "kv.invalid_expiration_ttl",
      );
      await expectKvError(
        kv.put("k", "v", { expiration: nowSeconds }),
        `KV PUT failed: 400 Invalid expiration of ${nowSeconds}. Please specify integer greater than the current number of seconds since the UNIX epoch.`,
        "kv.invalid_expiration",
      );
      await expectKvError(
        kv.put("k", "v", { expiration: nowSeconds + 59 }),
        `KV PUT failed: 400 Invalid expiration of ${nowSeconds + 59}. Expiration times must be at least 60 seconds in the future.`,
        "kv.invalid_expiration",
      );
      expect(await kv.get("k")).toBeNull();
    });

    it("expires keys at their expiration: never returned again, and purged from the store", async () => {
      const kv = fresh();
      const namespace = `ns-${name}-${counter}`;
      const nowSeconds = Math.floor(clock.now / 1000);
      await kv.put("ttl", "a", { expirationTtl: 60, metadata: { kind: "ttl" } });
      await kv.put("at", "b", { expiration: nowSeconds + 120 });
      await kv.put("both", "c", { expiration: nowSeconds + 1000, expirationTtl: 60 });
      await kv.put("forever", "d");
      const listed = await kv.list();
      expect(listed.keys).toEqual([
        { name: "at", expiration: nowSeconds + 120 },
        { name: "both", expiration: nowSeconds + 60 },
        { name: "forever" },
        { name: "ttl", expiration: nowSeconds + 60, metadata: { kind: "ttl" } },
      ]);

      clock.advance(59_999);
      expect(await kv.get("ttl")).toBe("a");
      clock.advance(1);
      expect(await kv.get("ttl")).toBeNull();
      expect(await kv.getWithMetadata("both")).toEqual({ value: null, metadata: null, cacheStatus: null });
      expect([...((await kv.get(["ttl", "at"])) as Map<string, unknown>)]).toEqual([
        ["ttl", null],
        ["at", "b"],
      ]);
      expect((await kv.list()).keys.map((k) => k.name)).toEqual(["at", "forever"]);

      clock.advance(60_000);
      expect((await kv.list()).keys.map((k) => k.name)).toEqual(["forever"]);
      // The expired rows are gone from the store itself, not only hidden.
      const raw = await store.list(namespace, { prefix: "", after: null, limit: 10 }, 0);
      expect(raw.map((k) => k.name)).toEqual(["forever"]);

      await kv.put("ttl", "again");
      expect(await kv.get("ttl")).toBe("again");
    });

    it("lists keys in byte order, by prefix, in pages joined by cursors", async () => {
      const kv = fresh();
      const names = ["b", "a", "é", "Z", "a/2", "a/10", "a/1", "~", "\u{1F600}"];
      for (const n of names) await kv.put(n, n);
      const all = await kv.list();
      const byteOrder = [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      expect(all.keys.map((k) => k.name)).toEqual(byteOrder);
      expect(all).toEqual({ keys: all.keys, list_complete: true, cacheStatus: null });
      expect("cursor" in all).toBe(false);

      expect((await kv.list({ prefix: "a/" })).keys.map((k) => k.name)).toEqual(["a/1", "a/10", "a/2"]);
      expect((await kv.list({ prefix: "nothing" })).keys).toEqual([]);

      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      for (;;) {
        const page = await kv.list({ limit: 2, ...(cursor ? { cursor } : {}) });
        pages += 1;
        seen.push(...page.keys.map((k) => k.name));
        if (page.list_complete) {
          expect(page.cursor).toBeUndefined();
          break;
        }
        expect(page.keys).toHaveLength(2);
        expect(typeof page.cursor).toBe("string");
        cursor = page.cursor;
      }
      expect(seen).toEqual(byteOrder);
      expect(pages).toBe(5);

      const first = await kv.list({ prefix: "a", limit: 2 });
      expect(first.keys.map((k) => k.name)).toEqual(["a", "a/1"]);
      const second = await kv.list({ prefix: "a", limit: 2, cursor: first.cursor });
      expect(second.keys.map((k) => k.name)).toEqual(["a/10", "a/2"]);
      expect(second.list_complete).toBe(true);
    });

    it("treats a limit of 0 or less as the default of 1000 and returns at most 1000 keys", async () => {
      const kv = fresh();
      for (let i = 0; i < 1001; i++) await kv.put(`k${String(i).padStart(4, "0")}`, "");
      const zero = await kv.list({ limit: 0 });
      expect(zero.keys).toHaveLength(1000);
      expect(zero.list_complete).toBe(false);
      const rest = await kv.list({ cursor: zero.cursor });
      expect(rest.keys.map((k) => k.name)).toEqual(["k1000"]);
      expect((await kv.list({ limit: -5 })).keys).toHaveLength(1000);
    });

    it("refuses a limit over 1000, a prefix over 512 bytes and a cursor it did not make", async () => {
      const kv = fresh();
      await kv.put("a", "1");
      await kv.put("b", "2");
      await expectKvError(
        kv.list({ limit: 1001 }),
        "KV GET failed: 400 Invalid key_count_limit of 1001. Please specify integer less than 1000.",
        "kv.invalid_limit",
      );
      await expectTypeError(kv.list({ limit: "many" }), "list() limit must be a number; got many");
      await expectKvError(
        kv.list({ prefix: "p".repeat(513) }),
        "KV GET failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.",
        "kv.key_too_long",
      );
      const { cursor } = await kv.list({ limit: 1 });
      expect(cursor).toBeDefined();
      for (const bad of [`${cursor}x`, "garbage", "."]) {
        await expectKvError(
          kv.list({ cursor: bad }),
          "KV GET failed: 400 Invalid cursor",
          "kv.invalid_cursor",
        );
      }
      const other = fresh();
      await expectKvError(other.list({ cursor }), "KV GET failed: 400 Invalid cursor", "kv.invalid_cursor");
    });

    it("shares data between bindings of one namespace id and keeps namespaces apart", async () => {
      const id = `shared-${name}`;
      const one = new KvNamespace(store, id, () => clock.now);
      const two = new KvNamespace(store, id, () => clock.now);
      const other = new KvNamespace(store, `${id}-other`, () => clock.now);
      await one.put("key", "from one");
      expect(await two.get("key")).toBe("from one");
      expect(await other.get("key")).toBeNull();
      expect((await other.list()).keys).toEqual([]);
    });
  });
}
