// Separate `cairn start` processes may share one state folder (cross-process Durable Objects on
// PostgreSQL need it). Each writes its Worker bundle in a folder of its own under
// `<state>/build`, so that one starting never deletes or rewrites the bundle another is about to
// import; the folders of this machine's dead processes are removed at boot, and a process's own
// when it stops.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CairnProcess } from "./helpers/cairn-process.js";
import { copyFixture, removeProjects } from "./helpers/projects.js";

afterEach(async () => {
  await CairnProcess.killAll();
  removeProjects();
});

const here = hostname().replace(/[^A-Za-z0-9-]/g, "_") || "localhost";

/** Every bundle file under `<state>/build`, with its inode, by path relative to the folder. */
function bundles(state: string): Map<string, number> {
  const root = join(state, "build");
  const found = new Map<string, number>();
  for (const entry of readdirSync(root, { recursive: true }) as string[]) {
    if (/(^|[\\/])worker-\d+\.mjs$/.test(entry)) found.set(entry, statSync(join(root, entry)).ino);
  }
  return found;
}

function startIn(dir: string, state: string): CairnProcess {
  const db = join(mkdtempSync(join(tmpdir(), "cairn-shared-state-db-")), "own.db");
  const args = ["start", "--port", "0", "--admin-port", "0", "--storage", `sqlite:${db}`, "--state", state];
  return CairnProcess.start([...args, "--var", `RELEASE_DIR:${join(dir, "releases")}`], dir);
}

describe("processes sharing a state folder", () => {
  it("leave each other's bundles alone, clear the dead's at boot, and remove their own when they stop", async () => {
    const dir = copyFixture("two-workflows-toml");
    mkdirSync(join(dir, "releases"), { recursive: true });
    const state = mkdtempSync(join(tmpdir(), "cairn-shared-state-"));
    // A folder a dead process of this machine left, and one of another machine.
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
    const deadFolder = join(state, "build", `${dead}@${here}`);
    const elsewhere = join(state, "build", `${dead}@another-machine`);
    for (const folder of [deadFolder, elsewhere]) {
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, "worker-1.mjs"), "export default {};\n");
    }

    const a = startIn(dir, state);
    await a.ready();
    expect(existsSync(deadFolder)).toBe(false);
    expect(existsSync(join(elsewhere, "worker-1.mjs"))).toBe(true);
    const first = bundles(state);
    const aBundles = [...first.keys()].filter((path) => !path.startsWith(`${dead}@`));
    expect(aBundles).toHaveLength(1);

    const b = startIn(dir, state);
    await b.ready();
    // A's bundle is the same file as before B started: neither deleted nor written again.
    const second = bundles(state);
    for (const path of aBundles) expect(second.get(path)).toBe(first.get(path));
    const bBundles = [...second.keys()].filter((path) => !first.has(path));
    expect(bBundles).toHaveLength(1);
    expect(bBundles[0]!.split(/[\\/]/)[0]).not.toBe(aBundles[0]!.split(/[\\/]/)[0]);

    expect((await b.kill("SIGTERM")).code).toBe(0);
    expect(existsSync(join(state, "build", bBundles[0]!))).toBe(false);
    expect(second.get(aBundles[0]!)).toBe(bundles(state).get(aBundles[0]!));
  }, 90_000);
});
