// An operator process on a shared PostgreSQL that does not run instances and declares the
// workflow by name alone (no class) creates, pauses, resumes, terminates and sends events to
// instances that a worker process runs; the worker hears of each through the store's signals.

import { Cairn, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase } from "../helpers/postgres-server.js";

type Env = { RAN: string[] };

/** Runs "first", then waits for a "go" event and returns its payload. */
class Waiter extends WorkflowEntrypoint<Env> {
  async run(event: WorkflowEvent<unknown>, step: WorkflowStep) {
    await step.do("first", async () => {
      this.env.RAN.push(event.instanceId);
    });
    return (await step.waitForEvent<string>("go", { type: "go", timeout: "1 hour" })).payload;
  }
}

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

describe("an operator without the workflow's code, beside a worker", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** `inMemory`: the worker keeps waiting instances in memory instead of hibernating them. */
  async function deployment(inMemory = false) {
    const schema = db.newSchema("operator");
    const common = { storage: db.url, postgresSchema: schema, onError: () => {} };
    const env: Env = { RAN: [] };
    const worker = await Cairn.open({
      ...common,
      env,
      workflows: { WAITER: { name: "waiter", class: Waiter } },
      // Leases outlive every bound below: only the store's signals bring the operator's changes.
      leaseMs: 600_000,
      ...(inMemory ? { hibernateAfterMs: 86_400_000 } : {}),
    });
    cleanups.push(() => worker.close());
    const operator = await Cairn.open({
      ...common,
      runInstances: false,
      workflows: { WAITER: { name: "waiter" } },
    });
    cleanups.push(() => operator.close());
    return { worker, operator, ran: env.RAN };
  }

  it("creates, pauses, resumes and sends an event; the worker runs the instance to its end", async () => {
    const { operator, ran } = await deployment();
    const instance = await operator.env.WAITER.create({ id: "w" });
    await waitForStatus(instance, "waiting");
    await instance.pause();
    expect(await instance.status()).toEqual({ status: "paused" });
    await instance.resume();
    await waitUntil(
      async () => (await operator.engine.readLog("waiter", "w")).map((e) => e.type),
      (types) => types.lastIndexOf("WORKFLOW_START") > types.indexOf("WORKFLOW_RESUMED"),
      { what: "the worker to take the resumed instance up again" },
    );
    await instance.sendEvent({ type: "go", payload: "from the operator" });
    expect(await waitForStatus(instance, "complete")).toEqual({
      status: "complete",
      output: "from the operator",
    });
    expect(ran).toEqual(["w"]);
  });

  it("terminates an instance the worker holds in memory", async () => {
    const { operator, worker, ran } = await deployment(true);
    const instance = await operator.env.WAITER.create({ id: "t" });
    await waitUntil(
      () => ran,
      (r) => r.includes("t"),
      { what: "the worker to run the first step" },
    );
    expect(worker.engine.live.size).toBe(1);
    await instance.terminate();
    expect(await instance.status()).toEqual({ status: "terminated" });
    await waitUntil(
      () => worker.engine.live.size,
      (size) => size === 0,
      { what: "the worker to hold no live instance" },
    );
  });
});
