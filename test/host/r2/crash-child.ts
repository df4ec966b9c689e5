// The child process of the R2 crash test. "loop": puts objects to a few keys without end, telling
// the parent (over IPC) each put that returned, until the parent SIGKILLs it. The other modes
// stop the write path at one chosen instant and SIGKILL themselves there, leaving on disk exactly
// what a crash at that instant leaves: "mid-write" (temp file half written), "installed" (content
// renamed into place, index not yet committed), "committed" (index committed, the replaced file
// not yet deleted). "hold-then-loop": the first put stops half written until the parent says
// "go", then the loop runs.
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

/** A stream that gives one chunk, tells the parent it is holding, and ends when the parent says "go". */
function held(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let step = 0;
  return new ReadableStream({
    async pull(controller) {
      step += 1;
      if (step === 1) controller.enqueue(bytes.subarray(0, 16 * 1024));
      else if (step === 2) {
        // The first chunk is in the temp file once the writer asks for the second.
        const go = new Promise((resolve) => process.once("message", resolve));
        process.send?.({ holding: true });
        await go;
        controller.enqueue(bytes.subarray(16 * 1024));
      } else controller.close();
    },
  });
}

if (mode === "loop" || mode === "hold-then-loop") {
  let i = Number(firstArg);
  if (mode === "hold-then-loop") {
    await bucket.put(keyFor(i), held(contentFor(i)), { customMetadata: { i: String(i) } });
    process.send?.({ committed: i });
    i += 1;
  }
  for (; ; i++) {
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
