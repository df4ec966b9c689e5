// What the bucket's methods return: R2Object (an object's metadata) and R2ObjectBody (the same
// with its content as a stream read from the content file), shaped as the Workers API shapes them.

import { R2Checksums } from "./checksums.js";
import {
  type R2HTTPMetadata,
  type StoredHttpMetadata,
  toHttpMetadata,
  writeHeaders,
} from "./http-metadata.js";
import type { ObjectRecord } from "./object-index.js";
import type { ByteSpan } from "./range.js";

/** Which metadata a listed object carries (list's `include`); head, get and put carry both. */
export type MetadataShown = { http: boolean; custom: boolean };

const BOTH: MetadataShown = { http: true, custom: true };

/**
 * An object's metadata. `httpMetadata` / `customMetadata` are undefined only on listed objects
 * whose list did not `include` them.
 */
export class R2Object {
  readonly key: string;
  readonly version: string;
  readonly size: number;
  readonly etag: string;
  readonly httpEtag: string;
  readonly uploaded: Date;
  readonly httpMetadata: R2HTTPMetadata | undefined;
  readonly customMetadata: Record<string, string> | undefined;
  readonly range: ByteSpan | undefined;
  readonly checksums: R2Checksums;
  readonly storageClass: string;
  readonly #stored: StoredHttpMetadata | undefined;

  constructor(record: ObjectRecord, range?: ByteSpan, shown: MetadataShown = BOTH) {
    this.key = record.key;
    this.version = record.version;
    this.size = record.size;
    this.etag = record.etag;
    this.httpEtag = `"${record.etag}"`;
    this.uploaded = new Date(record.uploaded);
    this.#stored = shown.http ? record.httpMetadata : undefined;
    this.httpMetadata = shown.http ? toHttpMetadata(record.httpMetadata) : undefined;
    this.customMetadata = shown.custom ? { ...record.customMetadata } : undefined;
    this.range = range;
    this.checksums = new R2Checksums(record.checksums);
    this.storageClass = record.storageClass;
  }

  /** Sets the object's HTTP metadata as headers (content-type, cache-control, expires, …). */
  writeHttpMetadata(headers: Headers): void {
    if (this.#stored === undefined) {
      throw new TypeError(
        `HTTP metadata unknown for key \`${this.key}\`. Did you forget to add 'httpMetadata' to \`include\` when listing?`,
      );
    }
    writeHeaders(this.#stored, headers);
  }
}

const BODY_USED =
  "Body has already been used. It can only be used once. Use tee() first if you need to read it twice.";

/** An object's metadata and content; the content can be read once. */
export class R2ObjectBody extends R2Object {
  readonly #response: Response;

  constructor(record: ObjectRecord, body: ReadableStream<Uint8Array>, range: ByteSpan) {
    super(record, range);
    this.#response = new Response(body);
  }

  get body(): ReadableStream<Uint8Array> {
    return this.#response.body as ReadableStream<Uint8Array>;
  }

  get bodyUsed(): boolean {
    return this.#response.bodyUsed;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    if (this.bodyUsed) throw new TypeError(BODY_USED);
    return this.#response.arrayBuffer();
  }

  async text(): Promise<string> {
    if (this.bodyUsed) throw new TypeError(BODY_USED);
    return this.#response.text();
  }

  async json<T = unknown>(): Promise<T> {
    return JSON.parse(await this.text()) as T;
  }

  async blob(): Promise<Blob> {
    const bytes = await this.arrayBuffer();
    return new Blob([bytes], this.httpMetadata?.contentType ? { type: this.httpMetadata.contentType } : {});
  }
}
