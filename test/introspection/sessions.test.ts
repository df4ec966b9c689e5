// `introspectWorkflow` sessions on a real SQLite file: a session captures every instance its
// workflow creates afterwards, whoever creates it (the test's binding, a workflow's own binding,
// `cairn.operations`, the HTTP API, `createBatch`), and gives each the recorded modifications
// before its first run; what existed before, or was not created, is not captured. `modifyAll`
// checks what it records at once; one session per workflow; dispose deletes what was captured.

import {
  type Cairn,
  createApiHandler,
  FakeClock,
  WorkflowEntrypoint,
  type WorkflowEvent,
  type WorkflowStep,
} from "cairn";
import { introspectWorkflow, introspectWorkflowInstance, waitUntil } from "cairn/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { useCairns } from "./harness.js";

type Env = { CHILD: import("cairn").Workflow };

/** Sleeps a day, then does its work: unmodified it waits; with the session's mocks it completes at once. */
class Child extends WorkflowEntrypoint<Env> {
  override async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    await step.sleep("a day", "1 day");
    const work = await step.do("work", async () => "real");
    const fail = await step
      .do("fail", async () => "no failure")
      .catch((e: Error) => `${e.name}: ${e.message}`);
    return { work, fail };
  }
}

/** The code under test: creates children from inside a workflow. */
class Parent extends WorkflowEntrypoint<Env> {
  override async run(event: WorkflowEvent<{ ids: string[] }>, step: WorkflowStep) {
    return step.do("spawn", async () => {
      const [first, ...rest] = event.payload.ids;
      await this.env.CHILD.create({ id: first });
      return (await this.env.CHILD.createBatch(rest.map((id) => ({ id })))).map((h) => h.id);
    });
  }
}

const workflows = {
  CHILD: { name: "child", class: Child },
  PARENT: { name: "parent", class: Parent },
};
const cairns = useCairns(["sqlite"]);
const mocked = { work: "mock", fail: "PaymentError: declined" };

class PaymentError extends Error {
  override name = "PaymentError";
  readonly extra = "not kept";
}

describe("introspectWorkflow", () => {
  const clock = new FakeClock();
  let cairn: Cairn<typeof workflows>;

  beforeAll(async () => {
    cairn = await cairns.open({ storage: cairns.storage("sqlite"), workflows, clock });
  });

  const mockAll = async (session: Awaited<ReturnType<typeof introspectWorkflow>>) =>
    session.modifyAll(async (m) => {
      await m.disableSleeps();
      await m.mockStepResult({ name: "work" }, "mock");
      await m.mockStepError({ name: "fail" }, new PaymentError("declined"));
      await m.disableRetryDelays();
    });

  it("captures what any caller creates: the binding, workflow code, operations, the HTTP API, createBatch", async () => {
    await using session = await introspectWorkflow(cairn.env.CHILD);
    await mockAll(session);

    await cairn.env.CHILD.create({ id: "by-binding" });
    await cairn.env.PARENT.create({
      id: "parent-1",
      params: { ids: ["by-code-1", "by-code-2", "by-code-3"] },
    });
    await cairn.operations.create("child", { id: "by-operations" });
    const api = createApiHandler({ target: cairn });
    const response = await api.fetch(
      new Request("http://localhost:8787/client/v4/accounts/acct_1/workflows/child/instances", {
        method: "POST",
        headers: { host: "localhost:8787", "content-type": "application/json" },
        body: JSON.stringify({ instance_id: "by-http" }),
      }),
    );
    expect(response.status).toBe(200);
    await waitUntil(
      async () => (await session.get()).length,
      (n) => n === 6,
      { what: "six captured instances" },
    );

    const instances = await session.get();
    expect(instances.map((i) => i.id).sort()).toEqual(
      ["by-binding", "by-code-1", "by-code-2", "by-code-3", "by-http", "by-operations"].sort(),
    );
    for (const instance of instances) {
      await instance.waitForStatus("complete");
      // The error reached the step as its name and message only.
      expect(await instance.getOutput()).toEqual(mocked);
    }
    // The same objects on every call.
    const again = await session.get();
    expect(again.every((x, k) => x === instances[k])).toBe(true);
    await cairn.env.PARENT.get("parent-1").then((p) => p.delete());
  });

  it("captures only instances created after it started, and gives modifyAll's changes to those created after them", async () => {
    await cairn.env.CHILD.create({ id: "before" });
    await using session = await introspectWorkflow(cairn.env.CHILD);
    await cairn.env.CHILD.create({ id: "plain" });
    await mockAll(session);
    await cairn.env.CHILD.create({ id: "mocked" });
    const [plain, mockedOne] = await session.get();
    expect(await session.get()).toHaveLength(2);
    await mockedOne!.waitForStatus("complete");
    expect(await mockedOne!.getOutput()).toEqual(mocked);
    // Created before the modifications: it really sleeps.
    await plain!.waitForStatus("waiting");
    const before = await cairn.env.CHILD.get("before");
    expect((await before.status()).status).toBe("waiting");
    await session.dispose();
    // The session's instances are gone; the one from before stays.
    await expect(cairn.env.CHILD.get("plain")).rejects.toMatchObject({ code: "instance.not_found" });
    await expect(cairn.env.CHILD.get("mocked")).rejects.toMatchObject({ code: "instance.not_found" });
    await before.delete();
  });

  it("does not capture an id that was not created (a batch skips it, a create throws)", async () => {
    await cairn.env.CHILD.create({ id: "taken" });
    await using session = await introspectWorkflow(cairn.env.CHILD);
    await mockAll(session);
    const created = await cairn.env.CHILD.createBatch([{ id: "taken" }, { id: "fresh" }]);
    expect(created.map((h) => h.id)).toEqual(["fresh"]);
    await expect(cairn.env.CHILD.create({ id: "taken" })).rejects.toMatchObject({
      code: "instance.already_exists",
    });
    expect((await session.get()).map((i) => i.id)).toEqual(["fresh"]);
    // The existing instance got no modifications: it still sleeps its day.
    expect((await (await cairn.env.CHILD.get("taken")).status()).status).toBe("waiting");
    await (await cairn.env.CHILD.get("taken")).delete();
  });

  it("checks what modifyAll records at once: a conflict throws there, a throwing callback records nothing", async () => {
    await using session = await introspectWorkflow(cairn.env.CHILD);
    await session.modifyAll((m) => m.mockStepResult({ name: "work" }, "first"));
    await expect(session.modifyAll((m) => m.mockStepResult({ name: "work" }, "second"))).rejects.toThrow(
      "[WorkflowIntrospector] Trying to mock step 'work' multiple times!",
    );
    await expect(
      session.modifyAll(async (m) => {
        await m.disableSleeps();
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    await cairn.env.CHILD.create({ id: "checked" });
    const [instance] = await session.get();
    // disableSleeps was not recorded: the instance sleeps.
    await instance!.waitForStatus("waiting");
  });

  it("reads a mocked stream when modifyAll is called, and refuses a locked one", async () => {
    await using session = await introspectWorkflow(cairn.env.CHILD);
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        if (pulled === 1) controller.enqueue(new Uint8Array([1, 2]));
        else controller.close();
      },
    });
    await session.modifyAll((m) => m.mockStepResult({ name: "work" }, stream));
    expect(pulled).toBe(2);
    const locked = new ReadableStream();
    locked.getReader();
    await expect(session.modifyAll((m) => m.mockStepResult({ name: "fail" }, locked))).rejects.toThrow(
      "Workflow mockStepResult() received a locked or unreadable ReadableStream.",
    );
  });

  it("allows one session per workflow at a time, and one per workflow side by side", async () => {
    const child = await introspectWorkflow(cairn.env.CHILD);
    const parent = await introspectWorkflow(cairn.env.PARENT);
    await expect(introspectWorkflow(cairn.env.CHILD)).rejects.toMatchObject({
      code: "introspection.session_exists",
      message: 'Workflow "child" already has an active introspection session for binding "CHILD".',
    });
    const { dispose } = child;
    await dispose(); // bound
    await child.dispose(); // idempotent
    await expect(child.get()).rejects.toMatchObject({ code: "introspection.no_session" });
    const again = await introspectWorkflow(cairn.env.CHILD);
    await again.dispose();
    await parent.dispose();
  });

  it("keeps an instance's own modifications when a session captures it too", async () => {
    const own = await introspectWorkflowInstance(cairn.env.CHILD, "both");
    await own.modify((m) => m.mockStepResult({ name: "work" }, "own mock"));
    await using session = await introspectWorkflow(cairn.env.CHILD);
    await mockAll(session);
    await cairn.env.CHILD.create({ id: "both" });
    const [captured] = await session.get();
    await captured!.waitForStatus("complete");
    // The session's mock of "work" conflicted and was skipped; its other modifications apply.
    expect(await captured!.getOutput()).toEqual({ work: "own mock", fail: "PaymentError: declined" });
    await own.dispose();
  });
});
