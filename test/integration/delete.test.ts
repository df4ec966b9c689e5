// `instance.delete()` and `binding.deleteBatch(ids)`: deletion wipes the instance with its journal,
// log, inbox and stream chunks whatever its status, frees the id at once (as the end of its
// retention would), and stops a running instance, also one that deletes itself from inside a step.
// Batches are validated, and missing ids are reported per position. Also the other per-instance
// create options: `retention` and `locationHint` (accepted, ignored).

import { FakeClock, type Workflow, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";
import { beforeEach, describe, expect, it } from "vitest";
import { gates } from "../helpers/lifecycle-gates.js";
import { countOf, expectCode, logTypes, useLifecycleHarness } from "../helpers/lifecycle-harness.js";

type Params = {
  block?: boolean;
  selfDelete?: boolean;
  selfDeleteInRun?: boolean;
  waitType?: string;
  sleep?: boolean;
  stream?: boolean;
};
type Env = { DEL: Workflow<Params> };

/**
 * "first" may block on the instance's gate, delete its own instance, or return a stream; then
 * "second" runs and the instance may sleep or wait for an event. Gate marks show what ran.
 */
class Deletable extends WorkflowEntrypoint<Env, Params> {
  async run(event: WorkflowEvent<Params>, step: WorkflowStep) {
    const id = event.instanceId;
    const { block, selfDelete, selfDeleteInRun, waitType, sleep, stream } = event.payload;
    await step.do("first", async () => {
      gates.mark(`${id}:first`);
      if (block) await gates.get(id).wait();
      if (selfDelete) {
        await (await this.env.DEL.get(id)).delete();
        gates.mark(`${id}:deleted itself`);
      }
      gates.mark(`${id}:first returned`);
      if (stream) {
        return new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode("chunked bytes"));
            controller.close();
          },
        });
      }
      return "first";
    });
    if (selfDeleteInRun) {
      await (await this.env.DEL.get(id)).delete();
      gates.mark(`${id}:run went on after deleting itself`);
    }
    await step.do("second", async () => {
      gates.mark(`${id}:second`);
      return "second";
    });
    if (sleep) await step.sleep("nap", "1 hour");
    if (waitType) await step.waitForEvent("wait", { type: waitType, timeout: "1 day" });
    gates.mark(`${id}:end`);
    return "done";
  }
}

describe("instance.delete()", () => {
  const h = useLifecycleHarness();
  const reports: string[] = [];
  beforeEach(() => {
    reports.length = 0;
  });
  const open = (options: { dbPath?: string; clock?: FakeClock; maxRunning?: number } = {}) =>
    h.open({
      workflows: { DEL: { name: "deletable", class: Deletable } },
      onError: (error, context) => reports.push(`${context}: ${String(error)}`),
      ...options,
    });

  it("wipes a finished instance with its journal, log and stream chunks, and frees its id", async () => {
    const cairn = await open();
    const instance = await cairn.env.DEL.create({ id: "done", params: { stream: true } });
    await waitForStatus(instance, "complete");
    const { seq } = (await cairn.engine.store.getInstance("deletable", "done"))!;
    expect(await cairn.engine.store.loadStreamChunks(seq, "do:1:first")).not.toEqual([]);

    await instance.delete();
    await expectCode(cairn.env.DEL.get("done"), "instance.not_found");
    await expectCode(instance.status(), "instance.not_found");
    await expectCode(cairn.engine.readLog("deletable", "done"), "instance.not_found");
    expect(await cairn.engine.store.loadJournal(seq)).toEqual([]);
    expect(await cairn.engine.store.readLog(seq)).toEqual([]);
    expect(await cairn.engine.store.loadStreamChunks(seq, "do:1:first")).toEqual([]);
    // A second delete of the same handle finds nothing.
    await expectCode(instance.delete(), "instance.not_found");

    // Before its 30-day retention ended, the id is free again, for a fresh instance.
    const again = await cairn.env.DEL.create({ id: "done" });
    await waitForStatus(again, "complete");
    const log = await logTypes(cairn, "deletable", "done");
    expect(countOf(log, "WORKFLOW_QUEUED")).toBe(1);
    expect(countOf(log, "STEP_START")).toBe(2);
  });

  it("drops buffered events with the instance", async () => {
    const cairn = await open();
    const first = await cairn.env.DEL.create({ id: "inbox", params: { waitType: "go" } });
    await waitForStatus(first, "waiting");
    await first.sendEvent({ type: "spare", payload: "old" });
    await first.delete();
    // The new instance waits for "spare": the old instance's buffered one is gone.
    const second = await cairn.env.DEL.create({ id: "inbox", params: { waitType: "spare" } });
    await waitForStatus(second, "waiting");
    await second.sendEvent({ type: "spare", payload: "new" });
    await waitForStatus(second, "complete");
  });

  it("stops a running instance: its slot is freed, its step's result is not recorded, no later step runs", async () => {
    const cairn = await open({ maxRunning: 1 });
    const instance = await cairn.env.DEL.create({ id: "busy", params: { block: true } });
    await gates.get("busy").reached();
    await instance.delete();
    // The step is still blocked, yet the only running slot is free for another instance.
    await waitForStatus(await cairn.env.DEL.create({ id: "next" }), "complete");
    gates.get("busy").open();
    await waitUntil(
      () => gates.marks("busy:first returned"),
      (n) => n === 1,
      { what: "the step to return" },
    );
    // Whatever the abandoned activation would write is flushed or refused by close().
    await cairn.close();
    const reopened = await open({ dbPath: cairn.dbPath });
    await expectCode(reopened.env.DEL.get("busy"), "instance.not_found");
    expect(await reopened.engine.store.getInstance("deletable", "busy")).toBeUndefined();
    expect(gates.marks("busy:second")).toBe(0);
    expect(reports).toEqual([]);
  });

  it("stops an instance that deletes itself from inside its own step: the call never returns to it", async () => {
    const cairn = await open();
    await cairn.env.DEL.create({ id: "self", params: { selfDelete: true } });
    await waitUntil(
      () => cairn.engine.store.getInstance("deletable", "self"),
      (record) => record === undefined,
      { what: "the self-deleting step to delete its instance" },
    );
    // Another instance run to its end: the deleted one had every chance to go on meanwhile.
    await waitForStatus(await cairn.env.DEL.create({ id: "probe" }), "complete");
    expect(gates.marks("self:first")).toBe(1);
    expect(gates.marks("self:deleted itself")).toBe(0);
    expect(gates.marks("self:first returned")).toBe(0);
    await cairn.close();
    const reopened = await open({ dbPath: cairn.dbPath });
    await expectCode(reopened.env.DEL.get("self"), "instance.not_found");
    expect(gates.marks("self:second")).toBe(0);
    expect(reports).toEqual([]);
  });

  it("stops an instance that deletes itself from run(): run does not go on past the delete", async () => {
    const cairn = await open();
    await cairn.env.DEL.create({ id: "self-run", params: { selfDeleteInRun: true } });
    await waitUntil(
      () => cairn.engine.store.getInstance("deletable", "self-run"),
      (record) => record === undefined,
      { what: "run() to delete its instance" },
    );
    await waitForStatus(await cairn.env.DEL.create({ id: "probe" }), "complete");
    expect(gates.marks("self-run:first returned")).toBe(1);
    expect(gates.marks("self-run:run went on after deleting itself")).toBe(0);
    expect(gates.marks("self-run:second")).toBe(0);
    await expectCode(cairn.env.DEL.get("self-run"), "instance.not_found");
    expect(reports).toEqual([]);
  });

  it("deletes a sleeping instance, which its timer no longer wakes", async () => {
    const clock = new FakeClock();
    const cairn = await open({ clock });
    const sleeper = await cairn.env.DEL.create({ id: "sleeper", params: { sleep: true } });
    await waitForStatus(sleeper, "waiting");
    await sleeper.delete();
    expect(await cairn.engine.store.nextWakeAt("anyone", clock.now())).toBeNull();
    clock.advance(2 * 3_600_000);
    // Another instance running to its end shows the scheduler went past the sleeper's wake time.
    await waitForStatus(await cairn.env.DEL.create({ id: "probe" }), "complete");
    expect(gates.marks("sleeper:end")).toBe(0);
    await expectCode(cairn.env.DEL.get("sleeper"), "instance.not_found");
  });

  it("deletes a paused instance, which can then not be resumed", async () => {
    const cairn = await open();
    const paused = await cairn.env.DEL.create({ id: "paused", params: { waitType: "go" } });
    await waitForStatus(paused, "waiting");
    await paused.pause();
    await waitForStatus(paused, "paused");
    await paused.delete();
    await expectCode(paused.resume(), "instance.not_found");
    await expectCode(paused.sendEvent({ type: "go", payload: null }), "instance.not_found");
  });
});

describe("binding.deleteBatch(ids)", () => {
  const h = useLifecycleHarness();
  const open = () => h.open({ workflows: { DEL: { name: "deletable", class: Deletable } } });

  it("deletes each id once, reports one result per position and missing ids as errors", async () => {
    const cairn = await open();
    for (const id of ["a", "b", "c"]) await waitForStatus(await cairn.env.DEL.create({ id }), "complete");
    const result = await cairn.env.DEL.deleteBatch(["a", "missing", "b", "a"]);
    expect(result.deleted).toEqual([{ id: "a" }, { id: "b" }, { id: "a" }]);
    expect(result.errors).toEqual([
      {
        id: "missing",
        code: "instance.not_found",
        message: "instance.not_found",
        detail: 'no instance "missing" in workflow "deletable"',
      },
    ]);
    await expectCode(cairn.env.DEL.get("a"), "instance.not_found");
    await expectCode(cairn.env.DEL.get("b"), "instance.not_found");
    expect(await (await cairn.env.DEL.get("c")).status()).toEqual({ status: "complete", output: "done" });
  });

  it("accepts cron-generated ids and reports each missing one, duplicates included", async () => {
    const cairn = await open();
    const cronId = "*/30 * * * *-1786001400000";
    const result = await cairn.env.DEL.deleteBatch([cronId, "0 0 * * MON#2-1786001400000", cronId]);
    expect(result.deleted).toEqual([]);
    expect(result.errors.map((e) => [e.id, e.code])).toEqual([
      [cronId, "instance.not_found"],
      ["0 0 * * MON#2-1786001400000", "instance.not_found"],
      [cronId, "instance.not_found"],
    ]);
  });

  it("accepts 100 ids", async () => {
    const cairn = await open();
    const ids = Array.from({ length: 100 }, (_, i) => `id-${i}`);
    expect((await cairn.env.DEL.deleteBatch(ids)).errors).toHaveLength(100);
  });

  it.each([
    ["a string", "a"],
    ["an object", { ids: ["a"] }],
    ["null", null],
    ["undefined", undefined],
    ["an empty array", []],
    ["101 ids", Array.from({ length: 101 }, (_, i) => `id-${i}`)],
  ])("rejects %s with batch.invalid", async (_label, batch) => {
    const cairn = await open();
    await expectCode(cairn.env.DEL.deleteBatch(batch as never), "batch.invalid");
  });

  it.each([
    ["a bad character", "bad!"],
    ["a question mark", "*/30 * * * ?-1"],
    ["a number", 42],
    ["272 characters", "a".repeat(272)],
  ])("rejects an id with %s with instance.invalid_id and deletes nothing", async (_label, bad) => {
    const cairn = await open();
    await waitForStatus(await cairn.env.DEL.create({ id: "keep" }), "complete");
    await expectCode(cairn.env.DEL.deleteBatch(["keep", bad as never]), "instance.invalid_id");
    expect((await (await cairn.env.DEL.get("keep")).status()).status).toBe("complete");
  });
});

describe("create options: per-instance retention and locationHint", () => {
  const h = useLifecycleHarness();

  it("stores each instance's own retention, in create and createBatch, over the workflow's", async () => {
    const cairn = await h.open({
      workflows: {
        DEL: { name: "deletable", class: Deletable, retention: { successRetention: "2 days" } },
      },
    });
    await cairn.env.DEL.create({
      id: "own",
      retention: { successRetention: "1 hour", errorRetention: 5000 },
    });
    await cairn.env.DEL.createBatch([
      { id: "batch-own", retention: { errorRetention: "3 days" } },
      { id: "batch-default" },
    ]);
    const retention = async (id: string) => {
      const record = await cairn.engine.store.getInstance("deletable", id);
      return [record?.successRetentionMs, record?.errorRetentionMs];
    };
    const day = 86_400_000;
    expect(await retention("own")).toEqual([3_600_000, 5000]);
    expect(await retention("batch-own")).toEqual([2 * day, 3 * day]);
    expect(await retention("batch-default")).toEqual([2 * day, 30 * day]);
    await expectCode(
      cairn.env.DEL.createBatch([{ id: "x", retention: { errorRetention: "1 min" as never } }]),
      "instance.invalid_options",
    );
  });

  it("accepts a locationHint and ignores it", async () => {
    const cairn = await h.open({ workflows: { DEL: { name: "deletable", class: Deletable } } });
    const hinted = await cairn.env.DEL.create({ id: "hinted", locationHint: "weur" });
    const [batched] = await cairn.env.DEL.createBatch([{ id: "batched", locationHint: "apac-ne" }]);
    expect(await waitForStatus(hinted, "complete")).toEqual({ status: "complete", output: "done" });
    expect(await waitForStatus(batched!, "complete")).toEqual({ status: "complete", output: "done" });
  });
});
