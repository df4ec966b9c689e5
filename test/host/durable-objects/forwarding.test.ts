// End-to-end: two `cairn start` processes on one PostgreSQL sharing one data dir. Each Durable
// Object is hosted by the process holding its lease, and the other forwards calls to it: both
// see one sequence of values from one live instance, RPC errors and fetches cross processes, a
// forwarded call without the API token is refused, a WebSocket upgrade gets a coded error, and
// after the holder is SIGKILLed the other process takes the object over once the (short, test-only)
// lease expires, with the stored value intact and the alarm set there run by its new holder.

import { request } from "node:http";
import { waitUntil } from "cairn/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase } from "../../helpers/postgres-server.js";
import { CairnProcess } from "../helpers/cairn-process.js";
import { copyFixture, getJson, removeProjects } from "../helpers/projects.js";

const TOKEN = "forwarding-test-token";
/** The lease is short so that the takeover after SIGKILL comes soon; only tests set it. */
const TEST_ENV = { CAIRN_DO_LEASE_MS: "1500" };

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
}, 120_000);
afterAll(async () => {
  await CairnProcess.killAll();
  removeProjects();
  await db?.close();
});

/** GET on a fresh connection, so that the requests to a `--workers` port reach different workers. */
function getFresh(base: string, path: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("Durable Objects across two processes on PostgreSQL", () => {
  const dir = copyFixture("durable-objects-cluster-project");
  let storage: string;
  const processes: Record<string, { cairn: CairnProcess; url: string; objects: string }> = {};

  async function startProcess(name: string) {
    const cairn = CairnProcess.start(
      [
        "start",
        "--port",
        "0",
        "--admin-port",
        "0",
        "--storage",
        storage,
        "--api-token",
        TOKEN,
        "--var",
        `PROCESS:${name}`,
      ],
      dir,
      TEST_ENV,
    );
    const url = await cairn.ready();
    const line = await cairn.waitForLog(
      (l) => l.msg === "Durable Objects: forwarding calls between processes",
      "the Durable Object listener's address",
    );
    processes[name] = { cairn, url, objects: line.address as string };
  }

  it("hosts each object in one process and forwards the other's RPC calls to it", async () => {
    storage = `${db.url}?schema=${db.newSchema("doforward")}`;
    await startProcess("a");
    await startProcess("b");
    const { a, b } = processes;
    expect(a!.objects).not.toBe(b!.objects);

    const seen = [];
    for (const via of [a!, b!, a!, b!, b!, a!]) {
      const { status, body } = await getJson(via.url, "/increment/shared");
      expect(status).toBe(200);
      seen.push(body);
    }
    expect(seen.map((s) => s.value)).toEqual([1, 2, 3, 4, 5, 6]);
    // One live instance: its in-memory count follows the stored one, whichever process was asked.
    expect(seen.map((s) => s.calls)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(seen.map((s) => s.hostedBy))).toEqual(new Set(["a"]));
    expect(seen.map((s) => s.servedBy)).toEqual(["a", "b", "a", "b", "b", "a"]);
    expect(new Set(seen.map((s) => s.idName))).toEqual(new Set(["shared"]));

    const rows = await db.query<{ owner: string; token: string; address: string }>(
      `SELECT owner, token::text, address FROM "${new URL(storage).searchParams.get("schema")}".durable_object_leases`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.address).toBe(a!.objects);
  });

  it("carries RPC errors with their type and message, and fetches with method, headers and body", async () => {
    const { b } = processes;
    expect((await getJson(b!.url, "/fail/shared")).body).toEqual({
      name: "RangeError",
      message: "too far for shared",
      remote: true,
      isRangeError: true,
    });
    expect((await getJson(b!.url, "/fetch/shared")).body).toEqual({
      status: 201,
      from: "object",
      body: { method: "POST", path: "/echo", header: "yes", body: "hello object", hostedBy: "a" },
      servedBy: "b",
    });
  });

  it("gives a coded error for a WebSocket upgrade to an object hosted elsewhere", async () => {
    const { status, body } = await getJson(processes.b!.url, "/websocket/shared");
    expect(status).toBe(503);
    expect(body.code).toBe("durable_object.websocket_elsewhere");
    expect(body.message).toContain("does not forward WebSocket upgrades");
  });

  it("refuses a forwarded call without the API token, or with a wrong one", async () => {
    const route = `${processes.a!.objects}/cdn-cgi/cairn/durable-objects`;
    const bare = await fetch(route, { method: "POST", body: "x" });
    expect(bare.status).toBe(401);
    expect(await bare.text()).toContain("needs the API token");
    const wrong = await fetch(route, {
      method: "POST",
      body: "x",
      headers: { authorization: "Bearer nope" },
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("wrong");
  });

  it("takes the object over in the other process after its holder is SIGKILLed, with its storage intact", async () => {
    const { a, b } = processes;
    // An alarm set through b on the object a hosts, due after a is gone (b did not know of it).
    expect((await getJson(b!.url, "/schedule/shared?in=5000")).body).toEqual({ scheduledBy: "a" });
    expect(await a!.cairn.kill("SIGKILL")).toEqual({ code: null, signal: "SIGKILL" });
    // Until the dead holder's lease expires, calls through b cannot reach it (a coded error).
    const taken = await waitUntil(
      () => getJson(b!.url, "/increment/shared"),
      (answer) => {
        if (answer.status === 200) return true;
        expect(answer.body.code).toBe("durable_object.forward_failed");
        return false;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: "b to take over the object" },
    );
    expect(taken.body).toMatchObject({ value: 7, calls: 1, hostedBy: "b", servedBy: "b", idName: "shared" });
    expect((await getJson(b!.url, "/increment/shared")).body).toMatchObject({ value: 8, calls: 2 });
    // The new holder armed the alarm it found in the object's storage, and ran it.
    const alarm = await waitUntil(
      async () => (await getJson(b!.url, "/alarm/shared")).body,
      (state: { fired: string[] }) => state.fired.length > 0,
      { timeoutMs: 20_000, intervalMs: 100, what: "the alarm to fire in b" },
    );
    expect(alarm).toEqual({ fired: ["b"], pending: null });
    expect(await b!.cairn.kill("SIGTERM")).toEqual({ code: 0, signal: null });
  });
});

describe("Durable Objects in cairn start --workers 2", () => {
  it("runs each object in one worker, the other forwarding to it over its own listener", async () => {
    const dir = copyFixture("durable-objects-cluster-project");
    const storage = `${db.url}?schema=${db.newSchema("doworkers")}`;
    const args = ["start", "--port", "0", "--admin-port", "0", "--storage", storage, "--workers", "2"];
    const cairn = CairnProcess.start([...args, "--var", "PROCESS:cluster"], dir, TEST_ENV);
    const ready = await cairn.waitForLog((l) => l.msg === "ready", "the supervisor's ready line", 45_000);
    const listeners = cairn
      .logs()
      .filter((l) => l.msg === "Durable Objects: forwarding calls between processes");
    expect(new Set(listeners.map((l) => l.address)).size).toBe(2);

    const seen = [];
    for (let i = 0; i < 8; i++) {
      const { status, body } = await getFresh(ready.url as string, "/increment/workers");
      expect(status).toBe(200);
      seen.push(body);
    }
    expect(seen.map((s) => s.value)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(seen.map((s) => s.calls)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(new Set(seen.map((s) => s.hostedPid)).size).toBe(1);
    // The shared port spread the requests over both workers: one of them forwarded.
    expect(new Set(seen.map((s) => s.servedPid)).size).toBe(2);
    expect(await cairn.kill("SIGTERM")).toEqual({ code: 0, signal: null });
  });
});
