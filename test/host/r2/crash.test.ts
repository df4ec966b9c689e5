// R2 survives kill -9: a real child process writing objects is SIGKILLed, and the bucket opened
// afterwards holds, under every key, either the object of a put that returned or of one that was
// under way, whole (its bytes are exactly that put's), never a torn one; the temp files and
// unreferenced content files the kill left are gone. Besides kills at random instants during a
// stream of puts, the child kills itself at each step of the write path in turn.

import { type ChildProcess, fork } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { waitUntil } from "cairn/testing";
import { afterEach, describe, expect, it } from "vitest";
import type { R2ObjectBody } from "../../../src/host/r2/r2-object.js";
import { contentFor, KEYS, keyFor } from "./crash-content.js";
import { cleanUp, closeBucket, filesIn, newBucketDir, openBucket } from "./open-bucket.js";

afterEach(cleanUp);

const child = fileURLToPath(new URL("./crash-child.ts", import.meta.url));
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const md5 = (data: Uint8Array) => createHash("md5").update(data).digest("hex");

type Run = {
  process: ChildProcess;
  exited: Promise<NodeJS.Signals | null>;
  committed: number[];
  /** The child said it holds a put half written ("hold-then-loop"). */
  holding: boolean;
  stderr: () => string;
};

function runChild(dir: string, mode: string, first: number): Run {
  const process_ = fork(child, [dir, mode, String(first)], {
    execArgv: ["--import", tsxLoader, "--conditions=source"],
    stdio: ["ignore", "inherit", "pipe", "ipc"],
  });
  let stderr = "";
  process_.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    process_.on("exit", (_code, signal) => resolve(signal)),
  );
  const run: Run = { process: process_, exited, committed: [], holding: false, stderr: () => stderr };
  process_.on("message", (message: { committed?: number; holding?: boolean }) => {
    if (typeof message.committed === "number") run.committed.push(message.committed);
    if (message.holding) run.holding = true;
  });
  return run;
}

/** Checks every key's object is exactly the content of the put number in its metadata. */
async function expectWholeObjects(dir: string): Promise<Map<string, number>> {
  const opened = await openBucket(dir);
  const found = new Map<string, number>();
  for (let k = 0; k < KEYS; k++) {
    const object = (await opened.bucket.get(keyFor(k))) as R2ObjectBody | null;
    if (!object) continue;
    const i = Number(object.customMetadata?.i);
    const expected = contentFor(i);
    const bytes = new Uint8Array(await object.arrayBuffer());
    expect(keyFor(i)).toBe(keyFor(k));
    expect(bytes.length).toBe(expected.length);
    expect(md5(bytes)).toBe(md5(expected));
    expect(object.etag).toBe(md5(expected));
    found.set(keyFor(k), i);
  }
  // The open swept what the kill left: no temp file, and exactly one content file per object.
  expect(filesIn(dir)).toEqual({ blobs: expect.any(Array), tmp: [] });
  expect(filesIn(dir).blobs).toHaveLength(found.size);
  closeBucket(opened);
  return found;
}

describe("R2 under kill -9", () => {
  it("keeps whole objects when the writer is killed during a stream of puts", {
    timeout: 120_000,
  }, async () => {
    const dir = newBucketDir();
    const acknowledged = new Map<string, number>();
    for (let incarnation = 0; incarnation < 4; incarnation++) {
      const run = runChild(dir, "loop", incarnation * 100_000);
      // Kill after a different number of returned puts each time, at whatever instant that is.
      await waitUntil(
        () => run.committed.length,
        (n) => n >= 6 + incarnation * 3,
        { timeoutMs: 60_000, intervalMs: 5, what: `incarnation ${incarnation} to commit puts` },
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${run.stderr()}`);
      });
      run.process.kill("SIGKILL");
      expect(await run.exited).toBe("SIGKILL");
      for (const i of run.committed) acknowledged.set(keyFor(i), i);
      const found = await expectWholeObjects(dir);
      // A put that returned is never lost; a later one that was under way may also have landed.
      for (const [key, i] of acknowledged) expect(found.get(key)).toBeGreaterThanOrEqual(i);
      for (const [key, i] of found) acknowledged.set(key, i);
    }
  });

  it("shares a bucket folder between live processes: opening it spares the other's writes", {
    timeout: 120_000,
  }, async () => {
    const dir = newBucketDir();
    const run = runChild(dir, "hold-then-loop", 0);
    const commits = (n: number, what: string) =>
      waitUntil(
        () => run.committed.length,
        (count) => count >= n,
        { timeoutMs: 60_000, intervalMs: 5, what },
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${run.stderr()}`);
      });
    await waitUntil(
      () => run.holding,
      (holding) => holding,
      { timeoutMs: 60_000, intervalMs: 5, what: "the child to hold a put half written" },
    );
    // This process opens the same folder while the child is half way through a put: its sweep
    // must not take the child's temp file, and both processes' commits land in the one index.
    const opened = await openBucket(dir);
    expect(filesIn(dir).tmp).toHaveLength(1);
    run.process.send("go");
    await commits(3, "the child to commit puts");
    for (let n = 0; n < 5; n++) await opened.bucket.put("parent", `from the parent ${n}`);
    const seen = run.committed.length;
    await commits(seen + 5, "the child to go on committing after the other process opened the bucket");
    const object = (await opened.bucket.get(keyFor(0))) as R2ObjectBody;
    expect(md5(new Uint8Array(await object.arrayBuffer()))).toBe(
      md5(contentFor(Number(object.customMetadata?.i))),
    );
    run.process.kill("SIGKILL");
    expect(await run.exited).toBe("SIGKILL");
    closeBucket(opened);
    const again = await openBucket(dir);
    expect(await ((await again.bucket.get("parent")) as R2ObjectBody).text()).toBe("from the parent 4");
    expect(filesIn(dir).tmp).toEqual([]);
    expect(filesIn(dir).blobs).toHaveLength(KEYS + 1);
  });

  for (const [mode, survivor] of [
    ["mid-write", "old"],
    ["installed", "old"],
    ["committed", "new"],
  ] as const) {
    it(`leaves the ${survivor} object when killed with the write ${mode}`, { timeout: 60_000 }, async () => {
      const dir = newBucketDir();
      const opened = await openBucket(dir);
      const oldI = 1;
      const newI = 1 + KEYS;
      await opened.bucket.put(keyFor(oldI), contentFor(oldI), { customMetadata: { i: String(oldI) } });
      closeBucket(opened);
      const run = runChild(dir, mode, newI);
      expect(await run.exited).toBe("SIGKILL");
      // Before the sweep, the kill has left a file behind for the open to remove.
      const left = filesIn(dir);
      expect(left.tmp.length + left.blobs.length).toBe(2);
      expect(existsSync(join(dir, "index.sqlite"))).toBe(true);
      const found = await expectWholeObjects(dir);
      expect(found.get(keyFor(oldI))).toBe(survivor === "old" ? oldI : newI);
    });
  }
});
