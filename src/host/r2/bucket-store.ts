// One bucket's durable state: the SQLite index and the content files in `<stateDir>/r2/<bucket>/`.
// Writes follow one order (content to a temp file, fsync, rename into place, then commit the row),
// so a process killed at any instant leaves the old object or the new one, never a torn one;
// what a crash leaves behind is swept when the bucket is next opened. A bucket folder is opened
// once per process and shared by every binding to it.

import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { BlobFiles } from "./blob-files.js";
import type { ChecksumAlgorithm, ChecksumHex } from "./checksums.js";
import { StreamHasher } from "./checksums.js";
import { R2Error, type R2Operation } from "./errors.js";
import { MAX_UPLOAD_BYTES } from "./limits.js";
import { ObjectIndex, type ObjectRecord, type WriteOutcome } from "./object-index.js";

/** A written, synced content file not yet named by the index. */
export type WrittenContent = { name: string; size: number; hashes: ChecksumHex };

/** An object's row and an open fd on its content file. */
export type OpenedObject = { record: ObjectRecord; fd: number };

/** Buckets open in this process, by folder, with how many users hold each. */
const openBuckets = new Map<string, { store: BucketStore; users: number }>();

/** A random hex identifier (object versions, upload ids). */
export function randomId(): string {
  return randomBytes(16).toString("hex");
}

/** A bucket folder opened: its index, its content files, and the write order between them. */
export class BucketStore {
  readonly dir: string;
  readonly files: BlobFiles;
  /** Files an earlier process left (a crash) that the open removed. */
  leftoversRemoved = 0;
  readonly #index: ObjectIndex;
  /** Writes under way; a released store closes its index when the last one ends. */
  #writes = 0;
  #released = false;
  #closed = false;

  private constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
    this.files = new BlobFiles(dir);
    this.#index = new ObjectIndex(join(dir, "index.sqlite"));
  }

  /** The index; using a closed bucket (a binding from before an engine restart) is an error. */
  get index(): ObjectIndex {
    if (this.#closed)
      throw new Error(`the R2 bucket in ${this.dir} is closed (the engine was stopped or restarted)`);
    return this.#index;
  }

  /**
   * Runs a write (put, part, completion, abort, delete) to its end even if the bucket is released
   * meanwhile: a request in flight when `cairn dev` restarts the engine still commits.
   */
  async write<T>(work: () => Promise<T>): Promise<T> {
    void this.index;
    this.#writes += 1;
    try {
      return await work();
    } finally {
      this.#writes -= 1;
      if (this.#released && this.#writes === 0) this.#close();
    }
  }

  /** Opens the bucket in `dir` (shared within this process), sweeping a crash's leftovers first. */
  static async open(dir: string): Promise<BucketStore> {
    const shared = openBuckets.get(dir);
    if (shared) {
      shared.users += 1;
      return shared.store;
    }
    const store = new BucketStore(dir);
    openBuckets.set(dir, { store, users: 1 });
    try {
      const swept = await store.files.sweep(store.index.referencedBlobs(), store.index.garbage());
      store.index.forgetGarbage(swept.garbage);
      store.leftoversRemoved = swept.leftovers;
    } catch (error) {
      store.release();
      throw error;
    }
    return store;
  }

  /** Gives up this user's hold; the last one closes the index. */
  release(): void {
    const shared = openBuckets.get(this.dir);
    if (!shared || shared.store !== this) return;
    shared.users -= 1;
    if (shared.users > 0) return;
    openBuckets.delete(this.dir);
    this.#released = true;
    if (this.#writes === 0) this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#index.close();
  }

  /** The object under `key` with its content file opened, or undefined. */
  openObject(key: string): OpenedObject | undefined {
    // Another process may replace the object and delete its file between the two reads.
    for (let attempt = 0; attempt < 5; attempt++) {
      const record = this.index.getObject(key);
      if (!record) return undefined;
      const fd = this.files.openSync(record.blob);
      if (fd !== undefined) return { record, fd };
    }
    throw new R2Error("get", "InternalError");
  }

  /**
   * Writes content to a synced temp file, hashing it (MD5 and `algorithms`) and holding it to
   * `maxBytes` (R2's single-upload limit unless a test asks for less).
   */
  async writeContent(
    chunks: AsyncIterable<Uint8Array>,
    algorithms: ChecksumAlgorithm[],
    operation: R2Operation,
    maxBytes = MAX_UPLOAD_BYTES,
  ): Promise<WrittenContent> {
    const hasher = new StreamHasher(["md5", ...algorithms]);
    let size = 0;
    const name = await this.files.writeTemp(chunks, (chunk) => {
      size += chunk.byteLength;
      if (size > maxBytes) throw new R2Error(operation, "EntityTooLarge");
      hasher.update(chunk);
    });
    return { name, size, hashes: hasher.digest() };
  }

  /**
   * Installs written content and commits `commit` (which names it); when the commit is refused
   * the content is dropped. Files the commit made garbage are deleted afterwards.
   */
  async commitContent(name: string, commit: () => WriteOutcome): Promise<boolean> {
    let outcome: WriteOutcome;
    try {
      await this.files.install(name);
      try {
        outcome = commit();
      } catch (error) {
        await this.files.remove([name]);
        throw error;
      }
    } finally {
      this.files.settled(name);
    }
    if (!outcome.committed) {
      await this.files.remove([name]);
      return false;
    }
    await this.collect(outcome.garbage);
    return true;
  }

  /** Deletes files the index has recorded as garbage, then forgets them. */
  async collect(garbage: string[]): Promise<void> {
    if (garbage.length === 0) return;
    await this.files.remove(garbage);
    this.index.forgetGarbage(garbage);
  }
}
