// End-to-end: `cairn start --workers 3` on a real PostgreSQL. A supervisor forks three cluster
// workers sharing the Worker's port; instances created through it run in more than one of them;
// only worker 1 runs the crons and the admin listener, whose /metrics carries every worker's
// series; a worker killed with SIGKILL is replaced while the others keep serving; SIGTERM stops
// them all with exit 0. `--workers` beyond 1 on SQLite, and values out of range, are refused.

import { request } from "node:http";
import { waitUntil } from "cairn/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase } from "../helpers/postgres-server.js";
import { parseExposition } from "../helpers/prometheus.js";
import { CairnProcess, type LogLine } from "./helpers/cairn-process.js";
import { copyFixture, removeProjects } from "./helpers/projects.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
}, 120_000);
afterEach(async () => {
  await CairnProcess.killAll();
});
afterAll(async () => {
  removeProjects();
  await db?.close();
});

/**
 * A request on a connection of its own (no keep-alive), so that the cluster's round robin hands
 * successive requests to different workers.
 */
function send(base: string, method: string, path: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { method, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
        } catch {
          resolve({ status: res.statusCode ?? 0, body: text });
        }
      });
    });
    req.on("error", reject);
    req.end();
  });
}

/** Creates instances `ids` through the Worker and answers the pid each one's step ran in. */
async function runInstances(url: string, ids: string[]): Promise<number[]> {
  for (const id of ids) expect((await send(url, "POST", `/record/${id}`)).status).toBe(201);
  const pids: number[] = [];
  for (const id of ids) {
    const { body } = await waitUntil(
      () => send(url, "GET", `/record/${id}`),
      (answer) => answer.body?.status === "complete",
      { timeoutMs: 20_000, intervalMs: 50, what: `instance ${id} to complete` },
    );
    pids.push(body.output.pid as number);
  }
  return pids;
}

/** The latest "worker ready" line of each worker, by worker number. */
function readyWorkers(cairn: CairnProcess): Map<number, LogLine> {
  const byWorker = new Map<number, LogLine>();
  for (const line of cairn.logs()) if (line.msg === "worker ready") byWorker.set(line.worker as number, line);
  return byWorker;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("cairn start --workers", () => {
  it("runs three workers on PostgreSQL: shared port, one cron runner, metrics of all, restarts, stop", async () => {
    const dir = copyFixture("workers-project");
    const storage = `${db.url}${db.url.includes("?") ? "&" : "?"}schema=${db.newSchema("workers")}`;
    const args = ["start", "--port", "0", "--admin-port", "0", "--storage", storage, "--workers", "3"];
    const cairn = CairnProcess.start(args, dir);
    const ready = await cairn.waitForLog((l) => l.msg === "ready", "the supervisor's ready line", 45_000);
    expect(ready.workers).toBe(3);
    expect(ready.worker).toBeUndefined();
    const url = ready.url as string;
    const admin = ready.admin as string;

    const workers = readyWorkers(cairn);
    expect([...workers.keys()].sort()).toEqual([1, 2, 3]);
    const pids = new Map([...workers].map(([k, line]) => [k, line.pid as number]));
    expect(new Set(pids.values()).size).toBe(3);
    // Worker 1 alone runs the admin listener and the crons; every worker serves the Worker's port.
    expect(workers.get(1)!.admin).toBe(admin);
    expect(workers.get(2)!.admin).toBeUndefined();
    expect(workers.get(3)!.admin).toBeUndefined();
    for (const line of workers.values()) expect(line.url).toBe(url);
    const cronLines = () => cairn.logs().filter((l) => l.msg === "cron trigger");
    expect(cronLines().map((l) => l.worker)).toEqual([1]);

    // The port is shared: requests on fresh connections reach more than one process.
    const served = new Set<number>();
    for (let i = 0; i < 6; i++) served.add((await send(url, "GET", "/whoami")).body.pid as number);
    expect(served.size).toBeGreaterThan(1);
    for (const pid of served) expect([...pids.values()]).toContain(pid);

    // Instances created through the shared port run in more than one worker.
    const ranIn = await runInstances(
      url,
      Array.from({ length: 9 }, (_, i) => `r${i}`),
    );
    expect(new Set(ranIn).size).toBeGreaterThan(1);
    for (const pid of ranIn) expect([...pids.values()]).toContain(pid);

    // One scrape of the admin listener has every worker's series, each under its worker label.
    const m = parseExposition(await (await fetch(`${admin}/metrics`)).text());
    expect(m.value("cairn_workers")).toBe(3);
    expect(m.value("cairn_workers_scraped")).toBe(3);
    const labelled = (name: string) => [...new Set(m.samples(name).map((s) => s.labels?.worker))].sort();
    expect(labelled("process_resident_memory_bytes")).toEqual(["1", "2", "3"]);
    expect(labelled("cairn_running_instances_limit")).toEqual(["1", "2", "3"]);
    const finished = m
      .samples("cairn_instances_finished_total")
      .filter((s) => s.labels?.workflow === "record" && s.labels?.outcome === "complete")
      .reduce((sum, s) => sum + Number(s.value), 0);
    expect(finished).toBe(9);
    // Store-wide gauges: each worker reports the same count.
    for (const worker of ["1", "2", "3"]) {
      expect(m.value("cairn_instances", { worker, workflow: "record", status: "complete" })).toBe(9);
    }

    // Worker 2 dies: the supervisor starts another in its place and the service goes on.
    process.kill(pids.get(2)!, "SIGKILL");
    const replaced = await cairn.waitForLog(
      (l) => l.msg === "worker ready" && l.worker === 2 && l.pid !== pids.get(2),
      "a new worker 2",
    );
    const exit = cairn.logs().find((l) => l.msg === "worker exited unexpectedly; starting a new one");
    expect(exit).toMatchObject({ worker: 2, pid: pids.get(2), signal: "SIGKILL" });
    expect(replaced.admin).toBeUndefined();
    expect(cronLines().map((l) => l.worker)).toEqual([1]);
    pids.set(2, replaced.pid as number);
    expect(await runInstances(url, ["after-1", "after-2", "after-3"])).toHaveLength(3);
    await waitUntil(
      async () => parseExposition(await (await fetch(`${admin}/metrics`)).text()),
      (scrape) => scrape.value("cairn_workers_scraped") === 3,
      { timeoutMs: 10_000, what: "a scrape with all three workers" },
    );

    // SIGTERM stops every worker gracefully, then the supervisor exits 0.
    expect(await cairn.kill("SIGTERM")).toEqual({ code: 0, signal: null });
    const stopped = cairn.logs().filter((l) => l.msg === "worker stopped");
    expect(stopped.map((l) => [l.worker, l.code]).sort()).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
    ]);
    for (const pid of pids.values()) expect(alive(pid)).toBe(false);
  }, 90_000);

  it("refuses more than one worker on SQLite, before starting any", async () => {
    const dir = copyFixture("workers-project");
    const cairn = CairnProcess.start(["start", "--port", "0", "--admin-port", "0", "--workers", "2"], dir);
    expect(await cairn.exited).toEqual({ code: 1, signal: null });
    expect(cairn.stderr).toContain("--workers 2 needs PostgreSQL storage");
    expect(cairn.stderr).toContain("SQLite");
    expect(cairn.logs()).toEqual([]);
  });

  it.each(["0", "abc"])("refuses --workers %s, naming the value and the limit", async (value) => {
    const cairn = CairnProcess.start(["start", "--workers", value], ".");
    expect(await cairn.exited).toEqual({ code: 1, signal: null });
    expect(cairn.stderr).toContain(`'--workers <n>' argument '${value}' is invalid`);
    expect(cairn.stderr).toContain("from 1 to 64");
  });
});
