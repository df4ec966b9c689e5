// The change feed across processes on a shared PostgreSQL: a process that runs nothing
// (runInstances: false, the workflow declared by name alone) watches the instances a worker
// creates and finishes, live through the store's batched NOTIFYs, and catches up from a cursor
// with what changed while it was away.

import { Cairn, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { WatchedChange } from "../../src/inspect/types.js";
import { openTestDatabase, type TestDatabase } from "../helpers/postgres-server.js";

class OneStep extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    return step.do("only", async () => 1);
  }
}

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

describe("watching a shared PostgreSQL from a process that runs nothing", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  let deploymentOptions: { storage: string; postgresSchema: string; onError: () => void };

  async function deployment() {
    const schema = db.newSchema("watch");
    const common = { storage: db.url, postgresSchema: schema, onError: () => {} };
    deploymentOptions = common;
    const worker = await Cairn.open({ ...common, workflows: { ONE: { name: "one", class: OneStep } } });
    cleanups.push(() => worker.close());
    const viewer = await Cairn.open({ ...common, runInstances: false, workflows: { ONE: { name: "one" } } });
    cleanups.push(() => viewer.close());
    return { worker, viewer };
  }

  it("sees the worker's instances created, running and complete, live", async () => {
    const { worker, viewer } = await deployment();
    const seen: WatchedChange[] = [];
    const watch = viewer.inspect.watch((c) => seen.push(c), { workflow: "one" });
    await watch.ready;
    for (const id of ["a", "b"]) await waitForStatus(await worker.env.ONE.create({ id }), "complete");
    const statuses = (id: string) =>
      seen.filter((c) => "id" in c && c.id === id).map((c) => (c.type === "status" ? c.status : c.type));
    await waitUntil(() => statuses("b").includes("complete"), Boolean, { what: "b complete at the viewer" });
    expect(statuses("a")).toEqual(["created", "running", "complete"]);
    expect(statuses("b")).toEqual(["created", "running", "complete"]);
    // Steps stay local to the process that ran them.
    expect(seen.some((c) => c.type === "step")).toBe(false);
    expect((await viewer.inspect.workflow("one")).counts).toEqual({ complete: 2 });
    watch.close();
  });

  it("catches up from a cursor with what the worker did while the viewer was away", async () => {
    const { worker, viewer } = await deployment();
    await waitForStatus(await worker.env.ONE.create({ id: "before" }), "complete");
    const cursor = String((await viewer.inspect.instance("one", "before")).updatedAt + 1);
    await viewer.close();
    // While no viewer listens: one more instance runs, the first is deleted.
    await waitForStatus(await worker.env.ONE.create({ id: "after" }), "complete");
    await (await worker.env.ONE.get("before")).delete();
    await worker.close();
    const back = await Cairn.open({
      ...deploymentOptions,
      runInstances: false,
      workflows: { ONE: { name: "one" } },
    });
    cleanups.push(() => back.close());
    const caught: WatchedChange[] = [];
    const watch = back.inspect.watch((c) => caught.push(c), { since: cursor });
    await watch.ready;
    const brief = caught.map((c) =>
      c.type === "status" ? `${c.id} ${c.status}` : c.type === "deleted" ? `${c.id} deleted` : c.type,
    );
    expect(brief.sort()).toEqual(["after complete", "before deleted"]);
    watch.close();
  });
});
