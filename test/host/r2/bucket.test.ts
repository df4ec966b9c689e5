// The R2 bucket binding against real files: put of every value type, head, get, delete, HTTP and
// custom metadata, checksums, storage class, key and metadata limits, conditional reads and
// writes, ranged reads, the body's one-time use, persistence across a reopen, and the sweep of
// files a crash leaves.

import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitUntil } from "cairn/testing";
import { afterEach, describe, expect, it } from "vitest";
import type { R2ObjectBody } from "../../../src/host/r2/r2-object.js";
import { cleanUp, closeBucket, filesIn, openBucket } from "./open-bucket.js";

afterEach(cleanUp);

const md5 = (data: string | Uint8Array) => createHash("md5").update(data).digest("hex");
const sha256 = (data: string) => createHash("sha256").update(data).digest("hex");

function streamOf(...parts: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(new TextEncoder().encode(part));
      controller.close();
    },
  });
}

async function bodyText(value: unknown): Promise<string> {
  return (value as R2ObjectBody).text();
}

describe("put, head, get and delete", () => {
  it("stores every kind of value and reads it back", async () => {
    const { bucket } = await openBucket();
    const bytes = new TextEncoder().encode("array-buffer");
    const values: [string, unknown, string][] = [
      ["string", "hello", "hello"],
      ["buffer", bytes.buffer.slice(0), "array-buffer"],
      ["view", new Uint8Array([0x61, 0x62, 0x63]).subarray(1), "bc"],
      ["dataview", new DataView(new TextEncoder().encode("xyz").buffer, 1, 2), "yz"],
      ["blob", new Blob(["blob ", "parts"]), "blob parts"],
      ["stream", streamOf("str", "eam"), "stream"],
      ["null", null, ""],
    ];
    for (const [key, value, text] of values) {
      const put = await bucket.put(key, value);
      expect(put).toMatchObject({
        key,
        size: Buffer.byteLength(text),
        etag: md5(text),
        httpEtag: `"${md5(text)}"`,
      });
      expect(await bodyText(await bucket.get(key))).toBe(text);
    }
  });

  it("returns an R2Object with Cloudflare's fields", async () => {
    const { bucket } = await openBucket();
    const before = Date.now();
    const put = await bucket.put("a.txt", "hello");
    expect(put).not.toBeNull();
    expect(put!.version).toMatch(/^[0-9a-f]{32}$/);
    expect(put!.uploaded).toBeInstanceOf(Date);
    expect(put!.uploaded.getTime()).toBeGreaterThanOrEqual(before);
    expect(put!.storageClass).toBe("Standard");
    expect(put!.httpMetadata).toEqual({});
    expect(put!.customMetadata).toEqual({});
    expect(put!.checksums.toJSON()).toEqual({ md5: md5("hello") });
    expect(Buffer.from(put!.checksums.md5!).toString("hex")).toBe(md5("hello"));
    const head = await bucket.head("a.txt");
    expect(head).toMatchObject({ key: "a.txt", version: put!.version, size: 5, etag: md5("hello") });
    expect(head!.uploaded.getTime()).toBe(put!.uploaded.getTime());
    expect("body" in head!).toBe(false);
    expect(head!.range).toBeUndefined();
  });

  it("answers null for a key with no object", async () => {
    const { bucket } = await openBucket();
    expect(await bucket.head("missing")).toBeNull();
    expect(await bucket.get("missing")).toBeNull();
  });

  it("refuses a value of another type with a TypeError", async () => {
    const { bucket } = await openBucket();
    await expect(bucket.put("k", 42)).rejects.toThrow(
      "Failed to execute 'put' on 'R2Bucket': parameter 2 is not of type 'ReadableStream or ArrayBuffer or ArrayBufferView or string or Blob or null'.",
    );
    await expect(
      bucket.put(
        "k",
        streamOf("x").pipeThrough(new TransformStream({ transform: (_c, ctl) => ctl.enqueue("text") })),
      ),
    ).rejects.toThrow("must give bytes");
    expect(await bucket.head("k")).toBeNull();
  });

  it("replaces an object and deletes the old content file", async () => {
    const { bucket, dir } = await openBucket();
    const first = await bucket.put("k", "one");
    const second = await bucket.put("k", "two");
    expect(second!.version).not.toBe(first!.version);
    expect(await bodyText(await bucket.get("k"))).toBe("two");
    expect(filesIn(dir)).toEqual({ blobs: [expect.any(String)], tmp: [] });
  });

  it("deletes one key or many; a missing key is not an error", async () => {
    const { bucket, dir } = await openBucket();
    for (const key of ["a", "b", "c", "d"]) await bucket.put(key, key);
    await bucket.delete("a");
    await bucket.delete(["b", "c", "never-there"]);
    expect(await bucket.head("a")).toBeNull();
    expect(await bucket.head("b")).toBeNull();
    expect(await bucket.head("c")).toBeNull();
    expect(await bodyText(await bucket.get("d"))).toBe("d");
    expect(filesIn(dir).blobs).toHaveLength(1);
  });

  it("keeps objects when the bucket is closed and opened again", async () => {
    const opened = await openBucket();
    await opened.bucket.put("kept", "still here", { customMetadata: { a: "1" } });
    closeBucket(opened);
    const again = await openBucket(opened.dir);
    const object = await again.bucket.get("kept");
    expect(await bodyText(object)).toBe("still here");
    expect(object!.customMetadata).toEqual({ a: "1" });
  });
});

describe("keys and limits", () => {
  it("accepts a key of 1024 bytes and refuses a longer one with InvalidObjectName", async () => {
    const { bucket } = await openBucket();
    const longest = "é".repeat(512);
    await bucket.put(longest, "x");
    expect(await bucket.head(longest)).not.toBeNull();
    const tooLong = `${longest}a`;
    await expect(bucket.put(tooLong, "x")).rejects.toThrow(
      "put: The specified object name is not valid. (10020)",
    );
    await expect(bucket.get(tooLong)).rejects.toThrow("get: The specified object name is not valid. (10020)");
    await expect(bucket.head(tooLong)).rejects.toThrow(
      "head: The specified object name is not valid. (10020)",
    );
    await expect(bucket.delete([tooLong])).rejects.toThrow(
      "delete: The specified object name is not valid. (10020)",
    );
    const error = await bucket.put(tooLong, "x").catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "R2Error", code: 10020, action: "put", reason: "InvalidObjectName" });
  });

  it("stops a write past the upload size limit with EntityTooLarge and keeps no temp file", async () => {
    const { store, dir } = await openBucket();
    async function* chunks() {
      for (let i = 0; i < 4; i++) yield new Uint8Array(8);
    }
    await expect(store.writeContent(chunks(), [], "uploadPart", 24)).rejects.toThrow(
      "uploadPart: Your proposed upload exceeds the maximum allowed object size. (100100)",
    );
    expect(filesIn(dir)).toEqual({ blobs: [], tmp: [] });
    const fits = await store.writeContent(chunks(), [], "put", 32);
    expect(fits.size).toBe(32);
    await store.files.discardTemp(fits.name);
  });

  it("refuses custom metadata over 8192 bytes with MetadataTooLarge", async () => {
    const { bucket } = await openBucket();
    await bucket.put("fits", "x", { customMetadata: { k: "v".repeat(8191) } });
    await expect(bucket.put("big", "x", { customMetadata: { k: "v".repeat(8192) } })).rejects.toThrow(
      "put: Your metadata headers exceed the maximum allowed metadata size. (10012)",
    );
    expect(await bucket.head("big")).toBeNull();
  });

  it("refuses customer-provided encryption keys, which Cairn does not keep", async () => {
    const { bucket } = await openBucket();
    await bucket.put("k", "x");
    const key = "0".repeat(64);
    await expect(bucket.put("k", "x", { ssecKey: key })).rejects.toThrow(
      "put: ssecKey (server-side encryption",
    );
    await expect(bucket.get("k", { ssecKey: key })).rejects.toThrow("get: ssecKey");
    await expect(bucket.createMultipartUpload("k", { ssecKey: key })).rejects.toThrow(
      "createMultipartUpload: ssecKey",
    );
  });

  it("cancels a stream value whose options are refused", async () => {
    const { bucket } = await openBucket();
    let cancelled = false;
    const stream = new ReadableStream({
      cancel: () => {
        cancelled = true;
      },
    });
    await expect(bucket.put("k", stream, { storageClass: "Glacier" })).rejects.toThrow(
      'storageClass is "Glacier"; it must be one of Standard, InfrequentAccess',
    );
    expect(cancelled).toBe(true);
  });
});

describe("metadata", () => {
  it("stores HTTP metadata given as an object and writes it onto headers", async () => {
    const { bucket } = await openBucket();
    const expiry = new Date("2030-01-02T03:04:05Z");
    const httpMetadata = {
      contentType: "text/plain",
      contentLanguage: "en",
      contentDisposition: "attachment",
      contentEncoding: "identity",
      cacheControl: "max-age=60",
      cacheExpiry: expiry,
    };
    const put = await bucket.put("m", "x", {
      httpMetadata,
      customMetadata: { owner: "ann", n: 3 as unknown as string },
    });
    expect(put!.httpMetadata).toEqual(httpMetadata);
    expect(put!.customMetadata).toEqual({ owner: "ann", n: "3" });
    const object = await bucket.head("m");
    expect(object!.httpMetadata).toEqual(httpMetadata);
    const headers = new Headers();
    object!.writeHttpMetadata(headers);
    expect(Object.fromEntries(headers)).toEqual({
      "content-type": "text/plain",
      "content-language": "en",
      "content-disposition": "attachment",
      "content-encoding": "identity",
      "cache-control": "max-age=60",
      expires: expiry.toUTCString(),
    });
  });

  it("takes HTTP metadata from Headers such as a request's", async () => {
    const { bucket } = await openBucket();
    const headers = new Headers({
      "content-type": "image/png",
      "cache-control": "no-store",
      expires: "Wed, 01 Jan 2031 00:00:00 GMT",
      "x-other": "ignored",
    });
    await bucket.put("h", "x", { httpMetadata: headers });
    const object = await bucket.get("h");
    expect(object!.httpMetadata).toEqual({
      contentType: "image/png",
      cacheControl: "no-store",
      cacheExpiry: new Date("2031-01-01T00:00:00Z"),
    });
    const blob = await (object as R2ObjectBody).blob();
    expect(blob.type).toBe("image/png");
  });

  it("refuses metadata of the wrong shape", async () => {
    const { bucket } = await openBucket();
    await expect(bucket.put("k", "x", { httpMetadata: "text/plain" })).rejects.toThrow(
      "httpMetadata must be an object or a Headers",
    );
    await expect(bucket.put("k", "x", { customMetadata: ["a"] })).rejects.toThrow(
      "customMetadata must be an object of strings",
    );
    await expect(bucket.put("k", "x", { httpMetadata: { cacheExpiry: "soon" } })).rejects.toThrow(
      "not a valid date",
    );
  });

  it("keeps the storage class given", async () => {
    const { bucket } = await openBucket();
    const put = await bucket.put("ia", "x", { storageClass: "InfrequentAccess" });
    expect(put!.storageClass).toBe("InfrequentAccess");
    expect((await bucket.head("ia"))!.storageClass).toBe("InfrequentAccess");
  });
});

describe("checksums", () => {
  it("verifies and stores a SHA-256 given as hex or bytes", async () => {
    const { bucket } = await openBucket();
    const put = await bucket.put("s", "hello", { sha256: sha256("hello") });
    expect(put!.checksums.toJSON()).toEqual({ md5: md5("hello"), sha256: sha256("hello") });
    const bytes = Buffer.from(sha256("bytes"), "hex");
    const again = await bucket.put("b", "bytes", { sha256: bytes });
    expect(again!.checksums.toJSON().sha256).toBe(sha256("bytes"));
    expect((await bucket.head("s"))!.checksums.toJSON().sha256).toBe(sha256("hello"));
  });

  it("verifies every algorithm", async () => {
    const { bucket } = await openBucket();
    for (const algorithm of ["md5", "sha1", "sha256", "sha384", "sha512"]) {
      const hex = createHash(algorithm).update("data").digest("hex");
      const put = await bucket.put(algorithm, "data", { [algorithm]: hex });
      expect(put!.checksums.toJSON()).toMatchObject({ [algorithm]: hex });
    }
  });

  it("refuses content that does not match with BadDigest and stores nothing", async () => {
    const { bucket, dir } = await openBucket();
    const error = await bucket.put("bad", "hello", { sha256: sha256("other") }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "R2Error", code: 10037 });
    expect((error as Error).message).toBe(
      `put: The SHA-256 checksum you specified did not match what we received.\nYou provided a SHA-256 checksum with value: ${sha256("other")}\nActual SHA-256 was: ${sha256("hello")} (10037)`,
    );
    expect(await bucket.head("bad")).toBeNull();
    expect(filesIn(dir)).toEqual({ blobs: [], tmp: [] });
  });

  it("refuses malformed checksum options as the Workers runtime does", async () => {
    const { bucket } = await openBucket();
    await expect(bucket.put("k", "x", { md5: md5("x"), sha1: "0".repeat(40) })).rejects.toThrow(
      "You cannot specify multiple hashing algorithms.",
    );
    await expect(bucket.put("k", "x", { md5: "abc" })).rejects.toThrow("MD5 is 32 hex characters, not 3");
    await expect(bucket.put("k", "x", { sha1: new Uint8Array(3) })).rejects.toThrow(
      "SHA-1 is 20 bytes, not 3",
    );
    await expect(bucket.put("k", "x", { sha256: "z".repeat(64) })).rejects.toThrow(
      "Provided SHA-256 wasn't a valid hex string",
    );
  });
});

describe("conditional operations", () => {
  it("returns the object without a body when a get condition fails", async () => {
    const { bucket } = await openBucket();
    const put = await bucket.put("c", "content");
    const etag = put!.etag;
    expect(await bodyText(await bucket.get("c", { onlyIf: { etagMatches: etag } }))).toBe("content");
    const failed = await bucket.get("c", { onlyIf: { etagMatches: "other" } });
    expect(failed).toMatchObject({ key: "c", etag, size: 7 });
    expect("body" in failed!).toBe(false);
    expect("body" in (await bucket.get("c", { onlyIf: { etagDoesNotMatch: etag } }))!).toBe(false);
    expect("body" in (await bucket.get("c", { onlyIf: { etagDoesNotMatch: "other" } }))!).toBe(true);
    expect("body" in (await bucket.get("c", { onlyIf: { etagMatches: "*" } }))!).toBe(true);
  });

  it("compares upload times for uploadedBefore and uploadedAfter", async () => {
    const { bucket } = await openBucket();
    const put = await bucket.put("t", "x");
    const at = put!.uploaded.getTime();
    const has = async (onlyIf: object) => "body" in (await bucket.get("t", { onlyIf }))!;
    expect(await has({ uploadedBefore: new Date(at + 1) })).toBe(true);
    expect(await has({ uploadedBefore: new Date(at) })).toBe(false);
    expect(await has({ uploadedAfter: new Date(at - 1) })).toBe(true);
    expect(await has({ uploadedAfter: new Date(at) })).toBe(false);
    // An etag that matches takes precedence over the date, as HTTP has it.
    expect(await has({ etagMatches: put!.etag, uploadedBefore: new Date(0) })).toBe(true);
  });

  it("reads conditions from request Headers", async () => {
    const { bucket } = await openBucket();
    const put = await bucket.put("h", "x");
    const has = async (headers: Record<string, string>) =>
      "body" in (await bucket.get("h", { onlyIf: new Headers(headers) }))!;
    expect(await has({ "if-none-match": put!.httpEtag })).toBe(false);
    expect(await has({ "if-none-match": `W/${put!.httpEtag}` })).toBe(false);
    expect(await has({ "if-none-match": '"a", "b"' })).toBe(true);
    expect(await has({ "if-match": `"other", ${put!.httpEtag}` })).toBe(true);
    expect(await has({ "if-match": `W/${put!.httpEtag}` })).toBe(false);
    expect(await has({ "if-match": "*" })).toBe(true);
    const second = Math.floor(put!.uploaded.getTime() / 1000) * 1000;
    expect(await has({ "if-modified-since": new Date(second).toUTCString() })).toBe(false);
    expect(await has({ "if-modified-since": new Date(second - 1000).toUTCString() })).toBe(true);
    expect(await has({ "if-unmodified-since": new Date(second).toUTCString() })).toBe(true);
    expect(await has({ "if-unmodified-since": new Date(second - 1000).toUTCString() })).toBe(false);
  });

  it("refuses malformed conditions", async () => {
    const { bucket } = await openBucket();
    await bucket.put("k", "x");
    await expect(bucket.get("k", { onlyIf: { etagMatches: '"quoted"' } })).rejects.toThrow(
      'Conditional ETag should not be wrapped in quotes ("quoted").',
    );
    await expect(bucket.get("k", { onlyIf: new Headers({ "if-match": '"open' }) })).rejects.toThrow(
      "Unclosed double quote for Etag",
    );
    await expect(bucket.get("k", { onlyIf: { uploadedAfter: "yesterday" } })).rejects.toThrow(
      "onlyIf.uploadedAfter must be a valid Date",
    );
  });

  it("stores nothing and returns null when a put condition fails", async () => {
    const { bucket, dir } = await openBucket();
    expect(await bucket.put("new", "x", { onlyIf: { etagMatches: "anything" } })).toBeNull();
    expect(await bucket.head("new")).toBeNull();
    const created = await bucket.put("once", "first", { onlyIf: new Headers({ "if-none-match": "*" }) });
    expect(created).not.toBeNull();
    expect(await bucket.put("once", "second", { onlyIf: new Headers({ "if-none-match": "*" }) })).toBeNull();
    expect(await bodyText(await bucket.get("once"))).toBe("first");
    const swapped = await bucket.put("once", "third", { onlyIf: { etagMatches: created!.etag } });
    expect(swapped!.etag).toBe(md5("third"));
    expect(filesIn(dir)).toEqual({ blobs: [expect.any(String)], tmp: [] });
  });
});

describe("ranged reads", () => {
  const content = "0123456789";

  it("reads offset and length, offset alone, length alone and a suffix", async () => {
    const { bucket } = await openBucket();
    await bucket.put("r", content);
    const read = async (range: unknown) => {
      const object = (await bucket.get("r", { range })) as R2ObjectBody;
      return { text: await object.text(), range: object.range };
    };
    expect(await read({ offset: 2, length: 3 })).toEqual({ text: "234", range: { offset: 2, length: 3 } });
    expect(await read({ offset: 7 })).toEqual({ text: "789", range: { offset: 7, length: 3 } });
    expect(await read({ length: 2 })).toEqual({ text: "01", range: { offset: 0, length: 2 } });
    expect(await read({ suffix: 4 })).toEqual({ text: "6789", range: { offset: 6, length: 4 } });
    expect(await read({ suffix: 40 })).toEqual({ text: content, range: { offset: 0, length: 10 } });
    expect(await read({ offset: 8, length: 100 })).toEqual({ text: "89", range: { offset: 8, length: 2 } });
    expect(await read(undefined)).toEqual({ text: content, range: { offset: 0, length: 10 } });
  });

  it("reads a Range header", async () => {
    const { bucket } = await openBucket();
    await bucket.put("r", content);
    const read = async (value: string) =>
      ((await bucket.get("r", { range: new Headers({ range: value }) })) as R2ObjectBody).text();
    expect(await read("bytes=2-4")).toBe("234");
    expect(await read("bytes=-3")).toBe("789");
    expect(await read("bytes=5-")).toBe("56789");
    expect(await read("not a range")).toBe(content);
    await expect(read("bytes=0-1,4-5")).rejects.toThrow(
      "get: The requested range is not satisfiable (10039)",
    );
    await expect(read("bytes=20-30")).rejects.toThrow("get: The requested range is not satisfiable (10039)");
  });

  it("refuses bad ranges with Cloudflare's errors", async () => {
    const { bucket } = await openBucket();
    await bucket.put("r", content);
    await expect(bucket.get("r", { range: { offset: 10 } })).rejects.toMatchObject({
      name: "R2Error",
      code: 10039,
    });
    await expect(bucket.get("r", { range: { offset: -1 } })).rejects.toThrow(
      "Invalid range. Starting offset (-1) must be greater than or equal to 0.",
    );
    await expect(bucket.get("r", { range: { offset: 1.5 } })).rejects.toThrow(
      "Invalid range. Starting offset (1.5) must be an integer, not floating point.",
    );
    await expect(bucket.get("r", { range: { length: -2 } })).rejects.toThrow(
      "Invalid range. Length (-2) must be greater than or equal to 0.",
    );
    await expect(bucket.get("r", { range: { suffix: 2, offset: 1 } })).rejects.toThrow(
      "Suffix is incompatible with offset.",
    );
    await expect(bucket.get("r", { range: { suffix: 2, length: 1 } })).rejects.toThrow(
      "Suffix is incompatible with length.",
    );
    await expect(bucket.get("r", { range: { suffix: -1 } })).rejects.toThrow(
      "Invalid suffix. Suffix (-1) must be greater than or equal to 0.",
    );
  });
});

describe("the body", () => {
  it("can be read once, through any of its readers", async () => {
    const { bucket } = await openBucket();
    await bucket.put("j", JSON.stringify({ a: [1, 2] }));
    const object = (await bucket.get("j")) as R2ObjectBody;
    expect(object.bodyUsed).toBe(false);
    expect(await object.json()).toEqual({ a: [1, 2] });
    expect(object.bodyUsed).toBe(true);
    await expect(object.text()).rejects.toThrow(
      "Body has already been used. It can only be used once. Use tee() first if you need to read it twice.",
    );
    const again = (await bucket.get("j")) as R2ObjectBody;
    const chunks: Uint8Array[] = [];
    for await (const chunk of again.body as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString()).toBe('{"a":[1,2]}');
    await expect(again.arrayBuffer()).rejects.toThrow("Body has already been used.");
  });

  it("streams a large object in pieces", async () => {
    const { bucket } = await openBucket();
    const big = Buffer.alloc(1024 * 1024 + 17, 7);
    await bucket.put("big", big);
    const object = (await bucket.get("big")) as R2ObjectBody;
    const bytes = new Uint8Array(await object.arrayBuffer());
    expect(bytes.length).toBe(big.length);
    expect(md5(bytes)).toBe(md5(big));
  });

  it("keeps the content it was opened on when the object is replaced before reading", async () => {
    const { bucket } = await openBucket();
    await bucket.put("v", "old content");
    const object = (await bucket.get("v")) as R2ObjectBody;
    await bucket.put("v", "new content");
    expect(await object.text()).toBe("old content");
  });
});

describe("closing and reopening in one process (an engine restart under cairn dev)", () => {
  it("lets a put under way finish and commit; the reopened bucket sees it and its sweep spares the temp file", async () => {
    const first = await openBucket();
    let resume!: () => void;
    const paused = new Promise<void>((resolve) => {
      resume = resolve;
    });
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        pulls += 1;
        if (pulls === 1) controller.enqueue(new TextEncoder().encode("written before, "));
        else if (pulls === 2) {
          await paused;
          controller.enqueue(new TextEncoder().encode("finished after the restart"));
        } else controller.close();
      },
    });
    const putting = first.bucket.put("in-flight", stream);
    await waitUntil(
      () => filesIn(first.dir).tmp.length,
      (n) => n === 1,
      { timeoutMs: 10_000, what: "the put to start writing" },
    );
    closeBucket(first);
    const second = await openBucket(first.dir);
    expect(filesIn(first.dir).tmp).toHaveLength(1);
    resume();
    expect((await putting)!.size).toBe("written before, finished after the restart".length);
    expect(await bodyText(await second.bucket.get("in-flight"))).toBe(
      "written before, finished after the restart",
    );
    // The old binding is closed for new work once its last write ended.
    await expect(first.bucket.head("in-flight")).rejects.toThrow(
      "is closed (the engine was stopped or restarted)",
    );
  });
});

describe("leftovers of a crash", () => {
  it("removes temp files and unindexed content files of dead writers at open; keeps a live writer's", async () => {
    const opened = await openBucket();
    await opened.bucket.put("kept", "x");
    closeBucket(opened);
    const deadPid = 2 ** 22 + 12345; // above Linux's pid_max default, so no live process has it
    const live = process.ppid;
    writeFileSync(join(opened.dir, "tmp", `${deadPid}-aaaa`), "half written");
    writeFileSync(join(opened.dir, "blobs", `${deadPid}-bbbb`), "renamed, never committed");
    writeFileSync(join(opened.dir, "blobs", `${live}-cccc`), "another process is about to commit");
    const again = await openBucket(opened.dir);
    expect(again.store.leftoversRemoved).toBe(2);
    const { blobs, tmp } = filesIn(opened.dir);
    expect(tmp).toEqual([]);
    expect(blobs).toContain(`${live}-cccc`);
    expect(blobs).not.toContain(`${deadPid}-bbbb`);
    expect(blobs).toHaveLength(2);
    expect(await bodyText(await again.bucket.get("kept"))).toBe("x");
  });
});
