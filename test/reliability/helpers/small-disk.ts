// Test helper: a size-limited tmpfs the test mounts, so that a SQLite file on it really runs out
// of space. Mounting needs root, or `sudo` without a password (as CI's own set-up uses to install
// Chromium): elsewhere the suites that need it are skipped with the reason, except in CI, where a
// machine that cannot mount fails the run instead of hiding the tests.

import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe } from "vitest";

/** Runs a mount command as root: directly when this process is root, else through `sudo -n`. */
function asRoot(command: string, args: string[]): void {
  if (process.getuid?.() === 0) execFileSync(command, args, { stdio: "pipe" });
  else execFileSync("sudo", ["-n", command, ...args], { stdio: "pipe" });
}

/** A mounted tmpfs of a fixed size; `unmount` is safe to call twice. */
export type SmallDisk = { dir: string; unmount: () => void };

/** Mounts a tmpfs of `kib` KiB on a fresh folder. */
export function mountSmallDisk(kib: number): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), "cairn-small-disk-"));
  try {
    // mode=1777: writable by this process when it is not the root that mounted it.
    asRoot("mount", ["-t", "tmpfs", "-o", `size=${kib}k,mode=1777`, "tmpfs", dir]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let mounted = true;
  return {
    dir,
    unmount: () => {
      if (!mounted) return;
      mounted = false;
      asRoot("umount", [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Fills the disk at `dir` with a file at `path`, leaving about `leaveBytes` free; returns its size. */
export function fillDisk(dir: string, path: string, leaveBytes: number): number {
  const chunk = Buffer.alloc(4096, 0x61);
  const fd = openSync(path, "w");
  let written = 0;
  try {
    for (;;) {
      const free = statfsSync(dir).bavail * statfsSync(dir).bsize;
      if (free <= leaveBytes) break;
      written += writeSync(fd, chunk, 0, Math.min(chunk.length, free - leaveBytes));
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

/** Why a small disk cannot be mounted here, or null when it can (tried once, then unmounted). */
function whyNoMount(): string | null {
  try {
    mountSmallDisk(64).unmount();
    return null;
  } catch (error) {
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    return `mounting a tmpfs needs root or sudo without a password (${why})`;
  }
}

/** `describe` where a tmpfs can be mounted; a skipped suite with the reason where not (a failure in CI). */
export function describeWithSmallDisk(name: string, body: () => void): void {
  const reason = whyNoMount();
  if (reason === null) {
    describe(name, body);
    return;
  }
  if (process.env.CI) {
    describe(name, () => {
      throw new Error(`${reason}. In CI these tests must run: give the CI user root or passwordless sudo.`);
    });
    return;
  }
  console.warn(`skipping "${name}": ${reason}`);
  describe.skip(name, body);
}
