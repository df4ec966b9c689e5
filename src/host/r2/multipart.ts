// Multipart uploads: an upload is a row in the index; each part is a content file of its own,
// committed like an object; completing writes the chosen parts, in part-number order, into one
// new content file and commits it as the object in the same transaction that ends the upload.
// Cloudflare's part rules are checked at completion: every part but the last at least 5 MiB and
// all of the same size, the last no larger.

import { createHash } from "node:crypto";
import type { BucketStore } from "./bucket-store.js";
import { randomId } from "./bucket-store.js";
import { R2Error } from "./errors.js";
import { MAX_PART_NUMBER, MIN_PART_BYTES } from "./limits.js";
import type { ObjectRecord, PartRecord, UploadRecord } from "./object-index.js";
import { valueChunks } from "./put-value.js";
import { R2Object } from "./r2-object.js";

/** What uploadPart returns and complete takes. */
export type R2UploadedPart = { partNumber: number; etag: string };

function checkPartNumber(value: unknown): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > MAX_PART_NUMBER) {
    throw new TypeError(
      `Part number must be between 1 and ${MAX_PART_NUMBER} (inclusive). Actual value was: ${String(value)}`,
    );
  }
  return number;
}

/** The parts `given` names, checked against the stored ones and against R2's size rules. */
function chooseParts(given: unknown, stored: PartRecord[]): PartRecord[] {
  if (!Array.isArray(given))
    throw new TypeError("complete: uploadedParts must be an array of { partNumber, etag }");
  const byNumber = new Map(stored.map((p) => [p.partNumber, p]));
  const chosen = new Map<number, PartRecord>();
  for (const part of given as unknown[]) {
    const fields = (part ?? {}) as Record<string, unknown>;
    const number = checkPartNumber(fields.partNumber);
    const found = byNumber.get(number);
    if (!found || found.etag !== fields.etag || chosen.has(number)) {
      throw new R2Error("completeMultipartUpload", "InvalidPart");
    }
    chosen.set(number, found);
  }
  const parts = [...chosen.values()].sort((a, b) => a.partNumber - b.partNumber);
  if (parts.length === 0) throw new R2Error("completeMultipartUpload", "BadUpload");
  const first = parts[0] as PartRecord;
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    if (!last && part.size < MIN_PART_BYTES) throw new R2Error("completeMultipartUpload", "EntityTooSmall");
    if ((!last && part.size !== first.size) || (last && part.size > first.size)) {
      throw new R2Error("completeMultipartUpload", "BadUpload");
    }
  });
  return parts;
}

/** The object etag of a multipart upload: MD5 of the parts' binary MD5s, then "-<part count>". */
export function multipartEtag(parts: PartRecord[]): string {
  const hash = createHash("md5");
  for (const part of parts) hash.update(Buffer.from(part.md5, "hex"));
  return `${hash.digest("hex")}-${parts.length}`;
}

/**
 * An upload under way. Holding one does not mean the upload still exists: another request may
 * have completed or aborted it, which the methods report as NoSuchUpload.
 */
export class R2MultipartUpload {
  readonly key: string;
  readonly uploadId: string;
  readonly #store: BucketStore;

  constructor(key: string, uploadId: string, store: BucketStore) {
    this.key = key;
    this.uploadId = uploadId;
    this.#store = store;
  }

  #pending(operation: "uploadPart" | "completeMultipartUpload"): UploadRecord {
    const upload = this.#store.index.getUpload(this.uploadId);
    if (!upload || upload.key !== this.key || upload.state !== "pending")
      throw new R2Error(operation, "NoSuchUpload");
    return upload;
  }

  /** Stores part `partNumber` (1–10000), replacing an earlier part with that number. */
  async uploadPart(partNumber: number, value: unknown): Promise<R2UploadedPart> {
    const number = checkPartNumber(partNumber);
    const chunks = valueChunks(value, "uploadPart", 2, false);
    return this.#store.write(async () => {
      this.#pending("uploadPart");
      const written = await this.#store.writeContent(chunks, [], "uploadPart");
      const md5 = written.hashes.md5 as string;
      const part: PartRecord = { partNumber: number, etag: md5, size: written.size, md5, blob: written.name };
      const committed = await this.#store.commitContent(written.name, () =>
        this.#store.index.putPart(this.uploadId, this.key, part),
      );
      if (!committed) throw new R2Error("uploadPart", "NoSuchUpload");
      return { partNumber: number, etag: part.etag };
    });
  }

  /** Joins the given parts into the object; parts not named are dropped. */
  async complete(uploadedParts: R2UploadedPart[]): Promise<R2Object> {
    return this.#store.write(async () => {
      const upload = this.#pending("completeMultipartUpload");
      const parts = chooseParts(uploadedParts, this.#store.index.parts(this.uploadId));
      // Another process may abort the upload (deleting its part files) while they are read.
      const name = await this.#store.files
        .concatenate(parts.map((p) => p.blob))
        .catch((error: NodeJS.ErrnoException) => {
          throw error.code === "ENOENT" ? new R2Error("completeMultipartUpload", "NoSuchUpload") : error;
        });
      const record: ObjectRecord = {
        key: this.key,
        version: randomId(),
        size: parts.reduce((sum, p) => sum + p.size, 0),
        etag: multipartEtag(parts),
        uploaded: Date.now(),
        httpMetadata: upload.httpMetadata,
        customMetadata: upload.customMetadata,
        checksums: {},
        storageClass: upload.storageClass,
        blob: name,
      };
      const committed = await this.#store.commitContent(name, () =>
        this.#store.index.finishUpload(this.uploadId, this.key, record),
      );
      if (!committed) throw new R2Error("completeMultipartUpload", "NoSuchUpload");
      return new R2Object(record);
    });
  }

  /** Ends the upload and deletes its parts; aborting an aborted upload does nothing. */
  async abort(): Promise<void> {
    return this.#store.write(async () => {
      const upload = this.#store.index.getUpload(this.uploadId);
      if (upload?.key === this.key && upload.state === "aborted") return;
      const outcome = this.#store.index.finishUpload(this.uploadId, this.key, null);
      if (!outcome.committed) throw new R2Error("abortMultipartUpload", "NoSuchUpload");
      await this.#store.collect(outcome.garbage);
    });
  }
}
