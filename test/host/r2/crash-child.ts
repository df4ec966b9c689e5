// The child process of the R2 crash test. "loop": puts objects to a few keys without end, telling
// the parent (over IPC) each put that returned, until the parent SIGKILLs it. The other modes
// stop the write path at one chosen instant and SIGKILL themselves there, leaving on disk exactly
// what a crash at that instant leaves: "mid-write" (temp file half written), "installed" (content
// renamed into place, index not yet committed), "committed" (index committed, the replaced file
// not yet deleted).
// Usage: node --import tsx --conditions=source crash-child.ts <bucketDir> <mode> <first i>

import { R2Bucket } from "../../../src/host/r2/bucket.js";
import { BucketStore, randomId } from "../../../src/host/r2/bucket-store.js";
import { valueChunks } from "../../../src/host/r2/put-value.js";
import { contentFor, keyFor } from "./crash-content.js";

const [dir, mode, firstArg] = process.argv.slice(2);
if (!dir || !mode || !firstArg) throw new Error("usage: crash-child.ts <bucketDir> <mode> <first i>");

const store = await BucketStore.open(dir);
const bucket = new R2Bucket(store);

/** The bytes in 16 KiB chunks; `dieAt`: SIGKILL this process when asked for the chunk at that offset. */
function chunked(bytes: Uint8Array, dieAt?: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      // The writer asks for a chunk only once it has written the one before.
      if (dieAt !== undefined && at >= dieAt) die();
      if (at >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.subarray(at, at + 16 * 1024));
      at += 16 * 1024;
    },
  });
}

function die(): never {
  process.kill(process.pid, "SIGKILL");
  throw new Error("unreachable");
}

if (mode === "loop") {
  for (let i = Number(firstArg); ; i++) {
    await bucket.put(keyFor(i), chunked(contentFor(i)), { customMetadata: { i: String(i) } });
    process.send?.({ committed: i });
  }
}

const i = Number(firstArg);
const key = keyFor(i);
if (mode === "mid-write") {
  await bucket.put(key, chunked(contentFor(i), 32 * 1024), { customMetadata: { i: String(i) } });
} else {
  const written = await store.writeContent(valueChunks(chunked(contentFor(i)), "put", 2, false), [], "put");
  await store.files.install(written.name);
  if (mode === "installed") die();
  store.index.putObject(
    {
      key,
      version: randomId(),
      size: written.size,
      etag: written.hashes.md5 as string,
      uploaded: Date.now(),
      httpMetadata: {},
      customMetadata: { i: String(i) },
      checksums: written.hashes,
      storageClass: "Standard",
      blob: written.name,
    },
    () => true,
  );
  if (mode === "committed") die();
  throw new Error(`unknown mode ${mode}`);
}
