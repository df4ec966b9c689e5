// Where one process writes its Worker bundles: a folder of its own under `<state>/build`, named
// for its process id and machine. Processes sharing a state folder (separate `cairn start`s on one
// PostgreSQL, as cross-process Durable Objects need) would otherwise write the same
// `worker-1.mjs`, and each would delete the others' bundles at boot, possibly between another's
// write and its import. At boot a process removes the folders its machine's dead processes left;
// a folder of another machine (a shared network folder) is never judged from here.

import { readdirSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

/** This machine's name as it appears in folder names (letters, digits, `_` and `-` only). */
function machine(): string {
  return hostname().replace(/[^A-Za-z0-9-]/g, "_") || "localhost";
}

/** `<pid>@<machine>`, then `.<label>` when given (a worker of `cairn start --workers N`). */
const FOLDER = /^(\d+)@([A-Za-z0-9_-]+)(?:\..*)?$/;

/** The folder name of this process's bundles under `<state>/build`. */
export function processBuildFolder(label?: string): string {
  const base = `${process.pid}@${machine()}`;
  return label ? `${base}.${label.replace(/[^A-Za-z0-9_-]/g, "_")}` : base;
}

/** Whether process `pid` of this machine is still running. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes the bundle folders under `buildRoot` of this machine's processes that are no longer
 * running; answers their names. Bundles an older Cairn wrote straight into `buildRoot` are left
 * alone, since that Cairn may still be running.
 */
export function removeDeadBuildFolders(buildRoot: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(buildRoot);
  } catch {
    return removed;
  }
  const here = machine();
  for (const name of names) {
    const match = FOLDER.exec(name);
    if (!match || match[2] !== here) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || alive(pid)) continue;
    rmSync(join(buildRoot, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
