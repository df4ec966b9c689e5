// The R2 bucket binding a Worker finds in `env`: head, get, put, delete, list and multipart
// uploads, with the Workers API's options, results and errors, stored in a BucketStore.

import { closeSync } from "node:fs";
import { BlobFiles } from "./blob-files.js";
import type { BucketStore } from "./bucket-store.js";
import { randomId } from "./bucket-store.js";
import { algorithmLabel, readExpectedChecksum } from "./checksums.js";
import { conditionHolds, readCondition } from "./conditional.js";
import { badDigest } from "./errors.js";
import { readHttpMetadata } from "./http-metadata.js";
import { listObjects, readListQuery } from "./list.js";
import { R2MultipartUpload } from "./multipart.js";
import type { ObjectRecord } from "./object-index.js";
import { checkKey, optionsObject, readLimitedCustomMetadata, readStorageClass } from "./options.js";
import { valueChunks } from "./put-value.js";
import { type MetadataShown, R2Object, R2ObjectBody } from "./r2-object.js";
import { readRange, resolveRange } from "./range.js";

/** What `list()` returns. */
export type R2Objects = {
  objects: R2Object[];
  truncated: boolean;
  cursor?: string;
  delimitedPrefixes: string[];
};

const INCLUDE_VALUES = ["httpMetadata", "customMetadata"];

/**
 * One R2 bucket binding.
 *
 * @example
 * const object = await env.BUCKET.put("notes/a.txt", "hello", { httpMetadata: { contentType: "text/plain" } });
 * const body = await env.BUCKET.get("notes/a.txt", { range: { offset: 1, length: 3 } });
 * await body?.text(); // "ell"
 */
export class R2Bucket {
  readonly #store: BucketStore;
  readonly #listHonoursInclude: boolean;

  /** `listHonoursInclude`: the compatibility date is 2022-08-04 or later, or r2_list_honor_include is set. */
  constructor(store: BucketStore, listHonoursInclude = true) {
    this.#store = store;
    this.#listHonoursInclude = listHonoursInclude;
  }

  /** The object's metadata, or null when there is none under `key`. */
  async head(key: string): Promise<R2Object | null> {
    const record = this.#store.index.getObject(checkKey(key, "head"));
    return record ? new R2Object(record) : null;
  }

  /**
   * The object with its content, null when there is none, or (when `onlyIf` fails) the object's
   * metadata without a body.
   */
  async get(key: string, options?: unknown): Promise<R2ObjectBody | R2Object | null> {
    const name = checkKey(key, "get");
    const fields = optionsObject(options, "get");
    const condition = readCondition(fields.onlyIf);
    const range = readRange(fields.range);
    const opened = this.#store.openObject(name);
    if (!opened) return null;
    const { record, fd } = opened;
    try {
      if (!conditionHolds(condition, record)) {
        closeSync(fd);
        return new R2Object(record);
      }
      const span = resolveRange(range, record.size) ?? { offset: 0, length: record.size };
      return new R2ObjectBody(record, BlobFiles.stream(fd, span.offset, span.length), span);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** Stores `value` under `key`; null when `onlyIf` fails (nothing is stored then). */
  async put(key: string, value: unknown, options?: unknown): Promise<R2Object | null> {
    let name: string;
    let record: Omit<ObjectRecord, "blob" | "size" | "etag" | "checksums">;
    let expected: ReturnType<typeof readExpectedChecksum>;
    let condition: ReturnType<typeof readCondition>;
    let chunks: AsyncIterable<Uint8Array>;
    try {
      name = checkKey(key, "put");
      const fields = optionsObject(options, "put");
      condition = readCondition(fields.onlyIf);
      expected = readExpectedChecksum(fields);
      record = {
        key: name,
        version: randomId(),
        uploaded: 0,
        httpMetadata: readHttpMetadata(fields.httpMetadata),
        customMetadata: readLimitedCustomMetadata(fields.customMetadata, "put"),
        storageClass: readStorageClass(fields.storageClass),
      };
      chunks = valueChunks(value, "put", 2, true);
    } catch (error) {
      if (value instanceof ReadableStream && !value.locked) await value.cancel(error).catch(() => {});
      throw error;
    }
    return this.#store.write(async () => {
      const written = await this.#store.writeContent(chunks, expected ? [expected.algorithm] : [], "put");
      const actual = expected ? (written.hashes[expected.algorithm] as string) : undefined;
      if (expected && actual !== expected.hex) {
        await this.#store.files.discardTemp(written.name);
        throw badDigest("put", algorithmLabel(expected.algorithm), expected.hex, actual as string);
      }
      const stored: ObjectRecord = {
        ...record,
        uploaded: Date.now(),
        size: written.size,
        etag: written.hashes.md5 as string,
        checksums: written.hashes,
        blob: written.name,
      };
      const committed = await this.#store.commitContent(written.name, () =>
        this.#store.index.putObject(stored, (current) => conditionHolds(condition, current)),
      );
      return committed ? new R2Object(stored) : null;
    });
  }

  /** Deletes the objects under one key or a list of keys; missing keys are not an error. */
  async delete(keys: string | string[]): Promise<void> {
    const list = (Array.isArray(keys) ? keys : [keys]).map((key) => checkKey(key, "delete"));
    await this.#store.write(async () => {
      const garbage = this.#store.index.deleteObjects(list);
      await this.#store.collect(garbage);
    });
  }

  /** A page of objects in key order; see R2ListOptions. */
  async list(options?: unknown): Promise<R2Objects> {
    const fields = optionsObject(options, "list");
    const query = readListQuery(fields);
    const shown = this.#shown(fields.include);
    const page = listObjects(this.#store.index, query);
    const result: R2Objects = {
      objects: page.objects.map((record) => new R2Object(record, undefined, shown)),
      truncated: page.truncated,
      delimitedPrefixes: page.delimitedPrefixes,
    };
    if (page.cursor !== undefined) result.cursor = page.cursor;
    return result;
  }

  /** Starts a multipart upload for `key`. */
  async createMultipartUpload(key: string, options?: unknown): Promise<R2MultipartUpload> {
    const name = checkKey(key, "createMultipartUpload");
    const fields = optionsObject(options, "createMultipartUpload");
    const uploadId = randomId();
    this.#store.index.createUpload(
      {
        uploadId,
        key: name,
        state: "pending",
        httpMetadata: readHttpMetadata(fields.httpMetadata),
        customMetadata: readLimitedCustomMetadata(fields.customMetadata, "createMultipartUpload"),
        storageClass: readStorageClass(fields.storageClass),
      },
      Date.now(),
    );
    return new R2MultipartUpload(name, uploadId, this.#store);
  }

  /** A handle on an existing upload; it is not checked until it is used, as on Cloudflare. */
  resumeMultipartUpload(key: string, uploadId: string): R2MultipartUpload {
    return new R2MultipartUpload(String(key), String(uploadId), this.#store);
  }

  #shown(include: unknown): MetadataShown {
    if (!this.#listHonoursInclude) return { http: true, custom: true };
    if (include === undefined) return { http: false, custom: false };
    if (!Array.isArray(include)) throw new TypeError("list: include must be an array of field names");
    for (const value of include) {
      if (!INCLUDE_VALUES.includes(value)) throw new RangeError(`Unsupported include value ${String(value)}`);
    }
    return { http: include.includes("httpMetadata"), custom: include.includes("customMetadata") };
  }
}
