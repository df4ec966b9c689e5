// Operations from any process reach an instance whichever process runs it: a client Cairn that
// never runs instances (runInstances: false) and a worker Cairn share one PostgreSQL schema, as
// two processes would. The worker's leases are long and its idle scheduler looks at the store
// only once a minute, so only the store's signals (LISTEN/NOTIFY) can bring it the client's
// events and control operations within the tests' bounds.

import { Cairn, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase } from "../helpers/postgres-server.js";

type Env = { RAN: string[]; GATES: Map<string, Promise<void>> };

class Controlled extends WorkflowEntrypoint<Env, { tag: string }> {
  async run(event: WorkflowEvent<{ tag: string }>, step: WorkflowStep) {
    const id = event.instanceId;
    const first = await step.do("first", async () => {
      this.env.RAN.push(`${id}:first`);
      await this.env.GATES.get(id);
      this.env.RAN.push(`${id}:first-end`);
      return event.payload.tag;
    });
    const go = await step.waitForEvent<string>("go", { type: "go", timeout: "1 hour" });
    return { first, go: go.payload };
  }
}

const workflows = { CONTROLLED: { name: "controlled", class: Controlled } };
const MAX_RUNNING = 50;

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

describe("operations from any process", () => {
  let client: Cairn<typeof workflows, Env>;
  let worker: Cairn<typeof workflows, Env>;
  const clientEnv: Env = { RAN: [], GATES: new Map() };
  const workerEnv: Env = { RAN: [], GATES: new Map() };
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    clientEnv.RAN.length = 0;
    workerEnv.RAN.length = 0;
  });

  async function deployment() {
    const schema = db.newSchema("anyproc");
    const common = { storage: db.url, postgresSchema: schema, workflows, onError: () => {} };
    client = await Cairn.open({ ...common, env: clientEnv, runInstances: false });
    cleanups.push(() => client.close());
    worker = await Cairn.open({
      ...common,
      env: workerEnv,
      maxRunning: MAX_RUNNING,
      // Leases outlive every bound below, so renewals cannot stand in for signals.
      leaseMs: 600_000,
    });
    cleanups.push(() => worker.close());
  }

  /** True once the worker holds no live activation. */
  const workerIdle = () => worker.engine.freeSlots().total === MAX_RUNNING;

  /** Creates an instance from the client; the worker runs it until it waits for "go". */
  async function waitingInWorker(id: string) {
    const instance = await client.env.CONTROLLED.create({ id, params: { tag: id } });
    await waitForStatus(instance, "waiting");
    return instance;
  }

  /** Creates an instance whose first step the worker runs and holds until `open` is called. */
  async function heldInWorker(id: string) {
    let open = () => {};
    workerEnv.GATES.set(id, new Promise<void>((resolve) => (open = resolve)));
    const instance = await client.env.CONTROLLED.create({ id, params: { tag: id } });
    await waitUntil(
      () => workerEnv.RAN,
      (ran) => ran.includes(`${id}:first`),
      { what: `${id}'s step` },
    );
    expect(workerIdle()).toBe(false);
    return { instance, open };
  }

  const logTypes = async (id: string) => (await client.engine.readLog("controlled", id)).map((e) => e.type);

  it("create, status and sendEvent from the client reach an instance the worker runs", async () => {
    await deployment();
    const instance = await waitingInWorker("a");
    expect(await instance.status()).toEqual({ status: "waiting" });
    await instance.sendEvent({ type: "go", payload: "from the client" });
    expect(await waitForStatus(instance, "complete")).toEqual({
      status: "complete",
      output: { first: "a", go: "from the client" },
    });
    expect(workerEnv.RAN).toEqual(["a:first", "a:first-end"]);
    expect(clientEnv.RAN).toEqual([]);
  });

  it("a pause asked while a step runs in the worker waits for the step, then settles there", async () => {
    await deployment();
    const { instance, open } = await heldInWorker("s");
    await instance.pause();
    expect(await instance.status()).toEqual({ status: "waitingForPause" });
    open();
    await waitForStatus(instance, "paused");
    await waitUntil(workerIdle, (idle) => idle, { what: "the worker to let the paused instance go" });
    const journal = await client.engine.readJournal("controlled", "s");
    expect(journal.find((r) => r.name === "first")?.status).toBe("succeeded");
  });

  it("resume from the client has the worker take the instance up again", async () => {
    await deployment();
    const instance = await waitingInWorker("p");
    await instance.pause();
    await waitForStatus(instance, "paused");
    await instance.resume();
    await waitUntil(
      () => logTypes("p"),
      (types) => types.lastIndexOf("WORKFLOW_START") > types.indexOf("WORKFLOW_RESUMED"),
      { what: "the worker to claim the resumed instance" },
    );
    await instance.sendEvent({ type: "go", payload: "after resume" });
    expect(await waitForStatus(instance, "complete")).toMatchObject({ output: { go: "after resume" } });
    // The finished step was not run again by the replay after the resume.
    expect(workerEnv.RAN).toEqual(["p:first", "p:first-end"]);
  });

  it("terminate from the client ends the instance and the worker drops its run", async () => {
    await deployment();
    const { instance, open } = await heldInWorker("t");
    await instance.terminate();
    expect(await instance.status()).toEqual({ status: "terminated" });
    await waitUntil(workerIdle, (idle) => idle, { what: "the worker to drop the terminated instance" });
    open();
    await expect(instance.sendEvent({ type: "go", payload: "late" })).rejects.toMatchObject({
      code: "instance.not_running",
    });
  });

  it("restart from the client runs the instance again in the worker", async () => {
    await deployment();
    const instance = await waitingInWorker("r");
    await instance.restart();
    await waitUntil(
      () => workerEnv.RAN.filter((r) => r === "r:first").length,
      (n) => n === 2,
      { what: "the restarted instance to run its first step again in the worker" },
    );
    await instance.sendEvent({ type: "go", payload: "second run" });
    expect(await waitForStatus(instance, "complete")).toMatchObject({ output: { go: "second run" } });
  });

  it("delete from the client removes the instance and the worker drops its run", async () => {
    await deployment();
    const { instance, open } = await heldInWorker("d");
    await instance.delete();
    await waitUntil(workerIdle, (idle) => idle, { what: "the worker to drop the deleted instance" });
    open();
    await expect(client.env.CONTROLLED.get("d")).rejects.toMatchObject({ code: "instance.not_found" });
  });

  it("a client process never runs instances", async () => {
    const schema = db.newSchema("clientonly");
    const only = await Cairn.open({
      storage: db.url,
      postgresSchema: schema,
      workflows,
      env: clientEnv,
      runInstances: false,
    });
    cleanups.push(() => only.close());
    const instance = await only.env.CONTROLLED.create({ id: "c", params: { tag: "c" } });
    // A worker that joins later finds it queued and runs it; the client ran nothing.
    const late = await Cairn.open({ storage: db.url, postgresSchema: schema, workflows, env: workerEnv });
    cleanups.push(() => late.close());
    await waitUntil(
      () => workerEnv.RAN,
      (ran) => ran.includes("c:first"),
      { what: "the worker to run it" },
    );
    expect(clientEnv.RAN).toEqual([]);
    expect((await instance.status()).status).toBe("running");
  });
});
