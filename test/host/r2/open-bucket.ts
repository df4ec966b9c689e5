// Test helper: an R2 bucket binding over real files in a fresh temporary folder, and a way to
// look at the folder (content files, temporary files) the way the crash-safety checks need.

import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { R2Bucket } from "../../../src/host/r2/bucket.js";
import { BucketStore } from "../../../src/host/r2/bucket-store.js";

const made: string[] = [];
const opened: BucketStore[] = [];

export type OpenedBucket = { bucket: R2Bucket; store: BucketStore; dir: string };

/** A new temporary folder for a bucket (removed by `cleanUp`). */
export function newBucketDir(): string {
  const root = mkdtempSync(join(tmpdir(), "cairn-r2-"));
  made.push(root);
  return join(root, "bucket");
}

/** Opens the bucket in `dir` (a new folder when omitted). */
export async function openBucket(dir = newBucketDir(), listHonoursInclude = true): Promise<OpenedBucket> {
  const store = await BucketStore.open(dir);
  opened.push(store);
  return { bucket: new R2Bucket(store, listHonoursInclude), store, dir };
}

/** Releases a bucket opened with `openBucket` (so that the next open sweeps). */
export function closeBucket(opened_: OpenedBucket): void {
  const at = opened.indexOf(opened_.store);
  if (at >= 0) opened.splice(at, 1);
  opened_.store.release();
}

/** The files in the bucket's content folder and its temp folder. */
export function filesIn(dir: string): { blobs: string[]; tmp: string[] } {
  return { blobs: readdirSync(join(dir, "blobs")), tmp: readdirSync(join(dir, "tmp")) };
}

export function cleanUp(): void {
  for (const store of opened.splice(0)) store.release();
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
