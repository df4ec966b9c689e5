// Multipart uploads against real files: create, upload parts (in any order, replacing a part),
// resume by upload id, complete into one object with Cloudflare's etag ("<md5 of the parts'
// md5s>-<count>"), abort; the part-number, part-size and unknown-upload errors; and that no part
// file is left once an upload ends.

import { createHash } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { R2ObjectBody } from "../../../src/host/r2/r2-object.js";
import { cleanUp, filesIn, openBucket } from "./open-bucket.js";

afterEach(cleanUp);

const MiB = 1024 * 1024;
const md5 = (data: Uint8Array) => createHash("md5").update(data).digest();

function expectedEtag(parts: Uint8Array[]): string {
  const hash = createHash("md5");
  for (const part of parts) hash.update(md5(part));
  return `${hash.digest("hex")}-${parts.length}`;
}

describe("multipart uploads", () => {
  it("joins parts into one object with the multipart etag and the upload's metadata", async () => {
    const { bucket, dir } = await openBucket();
    const upload = await bucket.createMultipartUpload("big.bin", {
      httpMetadata: { contentType: "application/octet-stream" },
      customMetadata: { parts: "3" },
    });
    expect(upload.key).toBe("big.bin");
    expect(upload.uploadId).toMatch(/^[0-9a-f]{32}$/);
    const one = Buffer.alloc(5 * MiB, 1);
    const two = Buffer.alloc(5 * MiB, 2);
    const three = Buffer.from("tail");
    // Parts may arrive in any order.
    const p3 = await upload.uploadPart(3, three);
    const p1 = await upload.uploadPart(1, one);
    const p2 = await upload.uploadPart(2, new Blob([two]));
    expect(p1).toEqual({ partNumber: 1, etag: md5(one).toString("hex") });
    const object = await upload.complete([p2, p1, p3]);
    expect(object).toMatchObject({
      key: "big.bin",
      size: one.length + two.length + three.length,
      etag: expectedEtag([one, two, three]),
      httpMetadata: { contentType: "application/octet-stream" },
      customMetadata: { parts: "3" },
    });
    expect(object.checksums.toJSON()).toEqual({});
    const read = (await bucket.get("big.bin")) as R2ObjectBody;
    const bytes = Buffer.from(await read.arrayBuffer());
    expect(bytes.equals(Buffer.concat([one, two, three]))).toBe(true);
    expect(filesIn(dir)).toEqual({ blobs: [expect.any(String)], tmp: [] });
  });

  it("resumes an upload by id, replaces a re-sent part and drops parts not completed", async () => {
    const { bucket, dir } = await openBucket();
    const created = await bucket.createMultipartUpload("r");
    await created.uploadPart(1, "first try");
    await created.uploadPart(2, "never used");
    const resumed = bucket.resumeMultipartUpload("r", created.uploadId);
    const part = await resumed.uploadPart(1, "second try");
    const object = await resumed.complete([part]);
    expect(object.size).toBe("second try".length);
    expect(await ((await bucket.get("r")) as R2ObjectBody).text()).toBe("second try");
    expect(filesIn(dir).blobs).toHaveLength(1);
  });

  it("aborts: the parts are deleted and the upload takes no more parts", async () => {
    const { bucket, dir } = await openBucket();
    const upload = await bucket.createMultipartUpload("a");
    await upload.uploadPart(1, "x");
    await upload.abort();
    await upload.abort();
    expect(filesIn(dir)).toEqual({ blobs: [], tmp: [] });
    await expect(upload.uploadPart(2, "y")).rejects.toThrow(
      "uploadPart: The specified multipart upload does not exist. (10024)",
    );
    await expect(upload.complete([])).rejects.toThrow(
      "completeMultipartUpload: The specified multipart upload does not exist. (10024)",
    );
    expect(await bucket.head("a")).toBeNull();
  });

  it("reports an unknown, completed or other key's upload as NoSuchUpload", async () => {
    const { bucket } = await openBucket();
    const unknown = bucket.resumeMultipartUpload("k", "no-such-id");
    await expect(unknown.uploadPart(1, "x")).rejects.toMatchObject({ name: "R2Error", code: 10024 });
    await expect(unknown.complete([{ partNumber: 1, etag: "e" }])).rejects.toMatchObject({ code: 10024 });
    await expect(unknown.abort()).rejects.toThrow(
      "abortMultipartUpload: The specified multipart upload does not exist. (10024)",
    );
    const real = await bucket.createMultipartUpload("k");
    await expect(
      bucket.resumeMultipartUpload("other", real.uploadId).uploadPart(1, "x"),
    ).rejects.toMatchObject({
      code: 10024,
    });
    const part = await real.uploadPart(1, "x");
    await real.complete([part]);
    await expect(real.complete([part])).rejects.toMatchObject({ code: 10024 });
    await expect(real.abort()).rejects.toMatchObject({ code: 10024 });
  });

  it("reports parts deleted under it (an abort elsewhere) as NoSuchUpload when completing", async () => {
    const { bucket, dir } = await openBucket();
    const upload = await bucket.createMultipartUpload("gone");
    const part = await upload.uploadPart(1, "x");
    for (const name of filesIn(dir).blobs) rmSync(join(dir, "blobs", name));
    await expect(upload.complete([part])).rejects.toThrow(
      "completeMultipartUpload: The specified multipart upload does not exist. (10024)",
    );
    expect(filesIn(dir).tmp).toEqual([]);
    expect(await bucket.head("gone")).toBeNull();
  });

  it("refuses part numbers outside 1..10000", async () => {
    const { bucket } = await openBucket();
    const upload = await bucket.createMultipartUpload("n");
    for (const bad of [0, 10001, 1.5, -3]) {
      await expect(upload.uploadPart(bad, "x")).rejects.toThrow(
        `Part number must be between 1 and 10000 (inclusive). Actual value was: ${bad}`,
      );
    }
    await expect(upload.complete([{ partNumber: 0, etag: "x" }])).rejects.toThrow(
      "Part number must be between 1 and 10000 (inclusive). Actual value was: 0",
    );
    await upload.uploadPart(10000, "last number");
    await expect(upload.uploadPart(1, null)).rejects.toThrow("is not of type");
  });

  it("refuses parts that were not uploaded or whose etag differs with InvalidPart", async () => {
    const { bucket } = await openBucket();
    const upload = await bucket.createMultipartUpload("p");
    const part = await upload.uploadPart(1, "x");
    await expect(upload.complete([{ partNumber: 2, etag: part.etag }])).rejects.toThrow(
      "completeMultipartUpload: One or more of the specified parts could not be found. (10025)",
    );
    await expect(upload.complete([{ partNumber: 1, etag: "wrong" }])).rejects.toMatchObject({ code: 10025 });
    await expect(upload.complete([part, part])).rejects.toMatchObject({ code: 10025 });
    await expect(upload.complete([])).rejects.toThrow(
      "completeMultipartUpload: There was a problem with the multipart upload. (10048)",
    );
    // A refused completion leaves the upload usable.
    expect((await upload.complete([part])).size).toBe(1);
  });

  it("holds parts to Cloudflare's sizes: at least 5 MiB but the last, all alike, the last no larger", async () => {
    const { bucket } = await openBucket();
    const small = await bucket.createMultipartUpload("small");
    const s1 = await small.uploadPart(1, Buffer.alloc(MiB));
    const s2 = await small.uploadPart(2, "end");
    await expect(small.complete([s1, s2])).rejects.toThrow(
      "completeMultipartUpload: Your proposed upload is smaller than the minimum allowed object size. (10011)",
    );
    const uneven = await bucket.createMultipartUpload("uneven");
    const u1 = await uneven.uploadPart(1, Buffer.alloc(5 * MiB));
    const u2 = await uneven.uploadPart(2, Buffer.alloc(5 * MiB + 1));
    const u3 = await uneven.uploadPart(3, "end");
    await expect(uneven.complete([u1, u2, u3])).rejects.toThrow(
      "completeMultipartUpload: There was a problem with the multipart upload. (10048)",
    );
    const bigLast = await bucket.createMultipartUpload("big-last");
    const b1 = await bigLast.uploadPart(1, Buffer.alloc(5 * MiB));
    const b2 = await bigLast.uploadPart(2, Buffer.alloc(5 * MiB + 1));
    await expect(bigLast.complete([b1, b2])).rejects.toMatchObject({ code: 10048 });
    expect(await bucket.head("small")).toBeNull();
  });

  it("refuses a bad key or oversized metadata when creating", async () => {
    const { bucket } = await openBucket();
    await expect(bucket.createMultipartUpload("k".repeat(1025))).rejects.toThrow(
      "createMultipartUpload: The specified object name is not valid. (10020)",
    );
    await expect(
      bucket.createMultipartUpload("k", { customMetadata: { m: "x".repeat(9000) } }),
    ).rejects.toThrow(
      "createMultipartUpload: Your metadata headers exceed the maximum allowed metadata size. (10012)",
    );
  });
});
