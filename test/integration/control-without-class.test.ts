// A process that does not run instances (runInstances: false) declares workflows by name alone,
// with no class, and still creates, pauses, resumes, terminates (with rollback too), restarts
// (also from a step), sends events to and deletes stored instances; a process that runs
// instances then carries out what it asked. A runner without a class is refused at open.

import { Cairn, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus } from "cairn/testing";
import { describe, expect, it } from "vitest";
import { expectCode, logTypes, useLifecycleHarness } from "../helpers/lifecycle-harness.js";
import { tempDir } from "../helpers/temp-store.js";

const RAN: string[] = [];
const ROLLED_BACK: string[] = [];

/** Runs "first" (with a rollback handler), then waits for a "go" event. */
class Controlled extends WorkflowEntrypoint {
  async run(event: WorkflowEvent<unknown>, step: WorkflowStep) {
    const id = event.instanceId;
    await step.do(
      "first",
      async () => {
        RAN.push(id);
        return "first";
      },
      { rollback: async () => void ROLLED_BACK.push(id) },
    );
    const go = await step.waitForEvent<string>("go", { type: "go", timeout: "1 day" });
    return go.payload;
  }
}

describe("control by id without the workflow's code", () => {
  const h = useLifecycleHarness();
  const runner = (dbPath?: string) =>
    h.open({
      workflows: { CONTROLLED: { name: "controlled", class: Controlled } },
      ...(dbPath ? { dbPath } : {}),
    });

  it("an operator process with class-less definitions acts on stored instances; a runner carries it out", async () => {
    RAN.length = 0;
    ROLLED_BACK.length = 0;
    const first = await runner();
    const ids = ["paused", "resumed", "evented", "ended", "rolled", "restarted", "from", "deleted"];
    for (const id of ids) await waitForStatus(await first.env.CONTROLLED.create({ id }), "waiting");
    await first.close();

    const operator = await h.open({
      dbPath: first.dbPath,
      runInstances: false,
      workflows: { CONTROLLED: { name: "controlled" } },
    });
    const get = (id: string) => operator.env.CONTROLLED.get(id);
    await (await get("paused")).pause();
    await (await get("resumed")).pause();
    await (await get("resumed")).resume();
    await (await get("evented")).sendEvent({ type: "go", payload: "sent by the operator" });
    await (await get("ended")).terminate();
    await (await get("rolled")).terminate({ rollback: true });
    await (await get("restarted")).restart();
    await (await get("from")).restart({ from: { name: "go", type: "waitForEvent" } });
    await (await get("deleted")).delete();
    await operator.env.CONTROLLED.create({ id: "created" });
    expect(await (await get("paused")).status()).toEqual({ status: "paused" });
    expect(await (await get("ended")).status()).toEqual({ status: "terminated" });
    expect(await (await get("created")).status()).toEqual({ status: "queued" });
    await operator.close();
    expect(RAN).toEqual(ids);

    const next = await runner(first.dbPath);
    const at = (id: string) => next.env.CONTROLLED.get(id);
    expect(await waitForStatus(await at("evented"), "complete")).toEqual({
      status: "complete",
      output: "sent by the operator",
    });
    await waitForStatus(await at("rolled"), "terminated");
    expect(ROLLED_BACK).toEqual(["rolled"]);
    for (const id of ["resumed", "restarted", "from", "created"])
      await waitForStatus(await at(id), "waiting");
    // "restarted" ran its first step again; "from" kept it; "created" ran it for the first time.
    expect(RAN.slice(ids.length).sort()).toEqual(["created", "restarted"]);
    expect(await logTypes(next, "controlled", "from")).toContain("WORKFLOW_RESTARTED");
    expect(await (await at("paused")).status()).toEqual({ status: "paused" });
    expect(await (await at("ended")).status()).toEqual({ status: "terminated" });
    await expectCode(at("deleted"), "instance.not_found");
  });

  it("refuses a definition without a class in a process that runs instances, naming the binding", async () => {
    const dir = tempDir("cairn-no-class-");
    try {
      const opening = Cairn.open({
        storage: `sqlite:${dir.dbPath}`,
        workflows: { CONTROLLED: { name: "controlled" } },
      });
      await expect(opening).rejects.toMatchObject({
        code: "workflow.invalid_definition",
        message: expect.stringContaining("workflow binding CONTROLLED"),
      });
    } finally {
      dir.cleanup();
    }
  });
});
