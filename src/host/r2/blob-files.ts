// The bucket's content files. A write goes to `tmp/`, is fsynced, then renamed into `blobs/`
// (and the folder fsynced) before the index names it, so an indexed file is always complete.
// File names start with the writing process's pid: at open, a file no row names is removed when
// its writer is dead (a crash between write and commit), never while a live process may be
// about to commit it.

import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, readdirSync, read as readFd } from "node:fs";
import { open, rename, unlink } from "node:fs/promises";
import { join } from "node:path";

/** A new content file name: "<pid>-<random hex>". */
export function newBlobName(): string {
  return `${process.pid}-${randomBytes(12).toString("hex")}`;
}

/**
 * Files this process is writing and has not yet committed or dropped. A bucket reopened in the
 * same process (the engine restarting under `cairn dev`) must not sweep them.
 */
const uncommitted = new Set<string>();

function writerIsGone(name: string): boolean {
  if (uncommitted.has(name)) return false;
  const pid = Number(name.split("-", 1)[0]);
  if (!Number.isInteger(pid) || pid <= 0) return true;
  // Any other file carrying this process's pid is from an earlier process that had the same pid.
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
}

/** Closes the fd of a body stream that was dropped without being read to the end. */
const unreadBodies = new FinalizationRegistry<() => void>((close) => close());

export class BlobFiles {
  readonly tmpDir: string;
  readonly blobDir: string;

  constructor(dir: string) {
    this.tmpDir = join(dir, "tmp");
    this.blobDir = join(dir, "blobs");
    mkdirSync(this.tmpDir, { recursive: true });
    mkdirSync(this.blobDir, { recursive: true });
  }

  /**
   * Writes `chunks` to a new temporary file and syncs it; `inspect` sees each chunk first and may
   * throw to stop the write (the file is then removed). Returns the file's name.
   */
  async writeTemp(chunks: AsyncIterable<Uint8Array>, inspect: (chunk: Uint8Array) => void): Promise<string> {
    const name = newBlobName();
    const path = join(this.tmpDir, name);
    uncommitted.add(name);
    const file = await open(path, "wx").catch((error: unknown) => {
      uncommitted.delete(name);
      throw error;
    });
    try {
      for await (const chunk of chunks) {
        inspect(chunk);
        let written = 0;
        while (written < chunk.byteLength) {
          const { bytesWritten } = await file.write(chunk, written, chunk.byteLength - written);
          written += bytesWritten;
        }
      }
      await file.sync();
    } catch (error) {
      uncommitted.delete(name);
      await file.close();
      await removeQuietly(path);
      throw error;
    }
    await file.close();
    return name;
  }

  /** Moves a synced temporary file into `blobs/` and makes the move durable. */
  async install(name: string): Promise<void> {
    await rename(join(this.tmpDir, name), join(this.blobDir, name));
    const dir = await open(this.blobDir, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  /** Removes a temporary file that will not be installed. */
  async discardTemp(name: string): Promise<void> {
    uncommitted.delete(name);
    await removeQuietly(join(this.tmpDir, name));
  }

  /** Marks a written file as committed or dropped: from now on a sweep judges it by the index. */
  settled(name: string): void {
    uncommitted.delete(name);
  }

  /** Removes installed files (garbage the index no longer names). */
  async remove(names: string[]): Promise<void> {
    for (const name of names) await removeQuietly(join(this.blobDir, name));
  }

  /**
   * Opens an installed file for reading, synchronously so that no other write in this process
   * can replace and delete it between the index read and the open. Undefined when it is gone.
   */
  openSync(name: string): number | undefined {
    try {
      return openSync(join(this.blobDir, name), "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  /** Bytes of an installed file as a stream, from an fd `openSync` gave; closes the fd when done. */
  static stream(fd: number, offset: number, length: number): ReadableStream<Uint8Array> {
    let position = offset;
    const end = offset + length;
    let closed = false;
    const close = () => {
      if (!closed) {
        closed = true;
        closeSync(fd);
      }
    };
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (position >= end) {
          close();
          controller.close();
          return;
        }
        const buffer = Buffer.allocUnsafe(Math.min(64 * 1024, end - position));
        const bytesRead = await new Promise<number>((resolve, reject) =>
          readFd(fd, buffer, 0, buffer.length, position, (error, n) => (error ? reject(error) : resolve(n))),
        ).catch((error: unknown) => {
          close();
          throw error;
        });
        if (bytesRead === 0) {
          close();
          controller.error(new Error("the object's content file is shorter than its recorded size"));
          return;
        }
        position += bytesRead;
        controller.enqueue(new Uint8Array(buffer.buffer, buffer.byteOffset, bytesRead));
      },
      cancel() {
        close();
      },
    });
    unreadBodies.register(stream, close);
    return stream;
  }

  /** Opens an installed file for writing a concatenation (multipart complete) into a temp file. */
  async concatenate(names: string[]): Promise<string> {
    const self = this;
    async function* chunks(): AsyncIterable<Uint8Array> {
      for (const name of names) {
        const file = await open(join(self.blobDir, name), "r");
        try {
          for await (const chunk of file.createReadStream({ autoClose: false })) yield chunk as Buffer;
        } finally {
          await file.close();
        }
      }
    }
    return this.writeTemp(chunks(), () => {});
  }

  /**
   * Removes what a crash left: temporary files and unnamed content files of dead writers, then
   * the garbage the index lists. `referenced` is every file the index names. Returns the garbage
   * removed (for the index to forget) and how many leftover files went.
   */
  async sweep(referenced: Set<string>, garbage: string[]): Promise<{ garbage: string[]; leftovers: number }> {
    let leftovers = 0;
    for (const name of readdirSync(this.tmpDir)) {
      if (!writerIsGone(name)) continue;
      await removeQuietly(join(this.tmpDir, name));
      leftovers += 1;
    }
    for (const name of readdirSync(this.blobDir)) {
      if (referenced.has(name) || !writerIsGone(name) || garbage.includes(name)) continue;
      await removeQuietly(join(this.blobDir, name));
      leftovers += 1;
    }
    const removed = garbage.filter((name) => !referenced.has(name));
    await this.remove(removed);
    return { garbage: removed, leftovers: leftovers + removed.length };
  }
}
