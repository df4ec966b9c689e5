// list() against real files: key order, prefix, limit, paging by cursor, startAfter, delimiter
// with delimitedPrefixes across pages, which metadata `include` brings (and the behaviour before
// the 2022-08-04 compatibility date), and Cloudflare's errors for bad options.

import { afterEach, describe, expect, it } from "vitest";
import type { R2Bucket } from "../../../src/host/r2/bucket.js";
import { cleanUp, openBucket } from "./open-bucket.js";

afterEach(cleanUp);

async function fill(bucket: R2Bucket, keys: string[]): Promise<void> {
  for (const key of keys) {
    await bucket.put(key, key, { httpMetadata: { contentType: "text/plain" }, customMetadata: { of: key } });
  }
}

/** Every page of a listing, following cursors. */
async function allPages(bucket: R2Bucket, options: Record<string, unknown>) {
  const pages: { keys: string[]; prefixes: string[]; truncated: boolean }[] = [];
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ ...options, cursor });
    pages.push({
      keys: page.objects.map((o) => o.key),
      prefixes: page.delimitedPrefixes,
      truncated: page.truncated,
    });
    cursor = page.truncated ? page.cursor : undefined;
    if (!page.truncated) expect(page.cursor).toBeUndefined();
  } while (cursor);
  return pages;
}

describe("list", () => {
  it("lists in UTF-8 byte order with the objects' fields", async () => {
    const { bucket } = await openBucket();
    await fill(bucket, ["b", "a", "é", "Z", "a/b"]);
    const page = await bucket.list();
    expect(page.objects.map((o) => o.key)).toEqual(["Z", "a", "a/b", "b", "é"]);
    expect(page.truncated).toBe(false);
    expect(page.delimitedPrefixes).toEqual([]);
    expect(page.objects[1]).toMatchObject({ key: "a", size: 1, httpEtag: `"${page.objects[1]!.etag}"` });
  });

  it("filters by prefix and starts after startAfter", async () => {
    const { bucket } = await openBucket();
    await fill(bucket, ["img/1", "img/2", "img/3", "imgx", "txt/1"]);
    const keys = async (options: object) => (await bucket.list(options)).objects.map((o) => o.key);
    expect(await keys({ prefix: "img/" })).toEqual(["img/1", "img/2", "img/3"]);
    expect(await keys({ prefix: "img/", startAfter: "img/1" })).toEqual(["img/2", "img/3"]);
    expect(await keys({ startAfter: "imgx" })).toEqual(["txt/1"]);
    expect(await keys({ prefix: "img/", startAfter: "a" })).toEqual(["img/1", "img/2", "img/3"]);
    expect(await keys({ prefix: "nothing" })).toEqual([]);
  });

  it("pages by limit and cursor through every key once", async () => {
    const { bucket } = await openBucket();
    const keys = Array.from({ length: 7 }, (_, i) => `k${i}`);
    await fill(bucket, keys);
    const pages = await allPages(bucket, { limit: 3 });
    expect(pages.map((p) => p.keys)).toEqual([["k0", "k1", "k2"], ["k3", "k4", "k5"], ["k6"]]);
    expect(pages.map((p) => p.truncated)).toEqual([true, true, false]);
    const exact = await allPages(bucket, { limit: 7 });
    expect(exact).toEqual([{ keys, prefixes: [], truncated: false }]);
  });

  it("returns at most 1000 entries by default", async () => {
    const { bucket } = await openBucket();
    for (let i = 0; i < 1001; i++) await bucket.put(`k${String(i).padStart(4, "0")}`, null);
    const page = await bucket.list();
    expect(page.objects).toHaveLength(1000);
    expect(page.truncated).toBe(true);
    const rest = await bucket.list({ cursor: page.cursor });
    expect(rest.objects.map((o) => o.key)).toEqual(["k1000"]);
  });

  it("rolls keys up to the delimiter into delimitedPrefixes, across pages", async () => {
    const { bucket } = await openBucket();
    await fill(bucket, ["a/1", "a/2", "a/3", "b", "c/x/1", "c/y", "d"]);
    const page = await bucket.list({ delimiter: "/" });
    expect(page.objects.map((o) => o.key)).toEqual(["b", "d"]);
    expect(page.delimitedPrefixes).toEqual(["a/", "c/"]);
    const nested = await bucket.list({ delimiter: "/", prefix: "c/" });
    expect(nested.objects.map((o) => o.key)).toEqual(["c/y"]);
    expect(nested.delimitedPrefixes).toEqual(["c/x/"]);
    const pages = await allPages(bucket, { delimiter: "/", limit: 1 });
    expect(pages.map((p) => [...p.prefixes, ...p.keys])).toEqual([["a/"], ["b"], ["c/"], ["d"]]);
  });

  it("includes HTTP and custom metadata only when asked", async () => {
    const { bucket } = await openBucket();
    await fill(bucket, ["m"]);
    const [plain] = (await bucket.list()).objects;
    expect(plain!.httpMetadata).toBeUndefined();
    expect(plain!.customMetadata).toBeUndefined();
    expect(() => plain!.writeHttpMetadata(new Headers())).toThrow(
      "HTTP metadata unknown for key `m`. Did you forget to add 'httpMetadata' to `include` when listing?",
    );
    const [http] = (await bucket.list({ include: ["httpMetadata"] })).objects;
    expect(http!.httpMetadata).toEqual({ contentType: "text/plain" });
    expect(http!.customMetadata).toBeUndefined();
    const [both] = (await bucket.list({ include: ["httpMetadata", "customMetadata"] })).objects;
    expect(both!.customMetadata).toEqual({ of: "m" });
    const headers = new Headers();
    both!.writeHttpMetadata(headers);
    expect(headers.get("content-type")).toBe("text/plain");
  });

  it("includes both kinds of metadata whatever is asked before the 2022-08-04 compatibility date", async () => {
    const { bucket } = await openBucket(undefined, false);
    await fill(bucket, ["m"]);
    const [object] = (await bucket.list({ include: [] })).objects;
    expect(object!.httpMetadata).toEqual({ contentType: "text/plain" });
    expect(object!.customMetadata).toEqual({ of: "m" });
  });

  it("refuses bad options with Cloudflare's errors", async () => {
    const { bucket } = await openBucket();
    for (const limit of [0, 1001, 2.5, "many"]) {
      await expect(bucket.list({ limit })).rejects.toThrow(
        "list: MaxKeys params must be positive integer <= 1000. (10022)",
      );
    }
    await expect(bucket.list({ include: ["everything"] })).rejects.toThrow(
      "Unsupported include value everything",
    );
    await expect(bucket.list({ cursor: "not-a-cursor" })).rejects.toThrow(
      "is not one a previous list returned",
    );
  });
});
