// The Workflow binding (`env.X.create`, `createBatch`, `get`) against a real SQLite file:
// ids, params, the event handed to `run`, duplicate ids (an id is taken while its instance is
// kept, as in production) and the validation codes.

import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus } from "cairn/testing";
import { describe, expect, it } from "vitest";
import { expectCode, useLifecycleHarness } from "../helpers/lifecycle-harness.js";

/** Returns what it saw of its event, so tests can check what `run` received. */
class Echo extends WorkflowEntrypoint<unknown, unknown> {
  async run(event: WorkflowEvent<unknown>, step: WorkflowStep) {
    const seen = await step.do("echo", async () => ({
      payload: event.payload,
      instanceId: event.instanceId,
      workflowName: event.workflowName,
      timestampIsDate: event.timestamp instanceof Date,
      timestamp: event.timestamp.getTime(),
    }));
    return seen;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("binding: create, createBatch, get", () => {
  const h = useLifecycleHarness();
  const open = () => h.open({ workflows: { ECHO: { name: "echo", class: Echo } } });

  it("create with id and params runs an instance with that id and payload", async () => {
    const cairn = await open();
    const before = Date.now();
    const instance = await cairn.env.ECHO.create({ id: "order-42", params: { amount: 3, tags: ["a"] } });
    expect(instance.id).toBe("order-42");
    const status = await waitForStatus(instance, "complete");
    expect(status.output).toMatchObject({
      payload: { amount: 3, tags: ["a"] },
      instanceId: "order-42",
      workflowName: "echo",
      timestampIsDate: true,
    });
    const at = (status.output as { timestamp: number }).timestamp;
    expect(at).toBeGreaterThanOrEqual(before - 1);
    expect(at).toBeLessThanOrEqual(Date.now());
  });

  it("create() without options generates a UUID and passes {} as the payload", async () => {
    const cairn = await open();
    const instance = await cairn.env.ECHO.create();
    expect(instance.id).toMatch(UUID);
    const status = await waitForStatus(instance, "complete");
    expect(status.output).toMatchObject({ payload: {}, instanceId: instance.id });
    const other = await cairn.env.ECHO.create({ params: { n: 1 } });
    expect(other.id).toMatch(UUID);
    expect(other.id).not.toBe(instance.id);
  });

  it("rejects invalid ids with instance.invalid_id, including 101 characters", async () => {
    const cairn = await open();
    for (const id of ["", "-leading-dash", "has space", "dot.ted", "bang!", "new\nline", "a".repeat(101)]) {
      await expectCode(cairn.env.ECHO.create({ id }), "instance.invalid_id");
    }
    await expectCode(cairn.env.ECHO.create({ id: 42 as unknown as string }), "instance.invalid_id");
    // The limit itself is allowed.
    const longest = await cairn.env.ECHO.create({ id: "b".repeat(100) });
    expect(await waitForStatus(longest, "complete")).toMatchObject({ status: "complete" });
    expect((await cairn.env.ECHO.get("b".repeat(100))).id).toBe("b".repeat(100));
  });

  it("rejects params over 1 MiB with instance.params_too_large and creates nothing", async () => {
    const cairn = await open();
    const params = { blob: new Uint8Array(1024 * 1024 + 1) };
    await expectCode(cairn.env.ECHO.create({ id: "too-big", params }), "instance.params_too_large");
    await expectCode(cairn.env.ECHO.get("too-big"), "instance.not_found");
  });

  it("get returns a handle for an existing id and throws instance.not_found otherwise", async () => {
    const cairn = await open();
    await cairn.env.ECHO.create({ id: "known", params: { x: 1 } });
    const handle = await cairn.env.ECHO.get("known");
    expect(handle.id).toBe("known");
    expect(await waitForStatus(handle, "complete")).toMatchObject({ output: { payload: { x: 1 } } });
    await expectCode(cairn.env.ECHO.get("unknown"), "instance.not_found");
    await expectCode(cairn.env.ECHO.get("bad id!"), "instance.invalid_id");
  });

  it("create with an existing id throws instance.already_exists, also once finished, so an id never runs twice", async () => {
    const cairn = await open();
    const first = await cairn.env.ECHO.create({ id: "dup", params: { run: 1 } });
    await expectCode(cairn.env.ECHO.create({ id: "dup", params: { run: 2 } }), "instance.already_exists");
    await waitForStatus(first, "complete");
    await expectCode(cairn.env.ECHO.create({ id: "dup", params: { run: 3 } }), "instance.already_exists");
    // The original instance is untouched.
    expect((await first.status()).output).toMatchObject({ payload: { run: 1 } });
  });

  it("createBatch creates separate instances that run independently", async () => {
    const cairn = await open();
    const batch = await cairn.env.ECHO.createBatch([
      { id: "b-1", params: { n: 1 } },
      { id: "b-2", params: { n: 2 } },
      { params: { n: 3 } },
    ]);
    expect(batch.map((i) => i.id).slice(0, 2)).toEqual(["b-1", "b-2"]);
    expect(batch[2]!.id).toMatch(UUID);
    const outputs = await Promise.all(batch.map(async (i) => (await waitForStatus(i, "complete")).output));
    expect(outputs).toEqual([
      expect.objectContaining({ payload: { n: 1 }, instanceId: "b-1" }),
      expect.objectContaining({ payload: { n: 2 }, instanceId: "b-2" }),
      expect.objectContaining({ payload: { n: 3 }, instanceId: batch[2]!.id }),
    ]);
  });

  it("createBatch rejects an empty batch and more than 100 with batch.invalid", async () => {
    const cairn = await open();
    await expectCode(cairn.env.ECHO.createBatch([]), "batch.invalid");
    const tooMany = Array.from({ length: 101 }, (_, i) => ({ id: `many-${i}` }));
    await expectCode(cairn.env.ECHO.createBatch(tooMany), "batch.invalid");
    await expectCode(cairn.env.ECHO.get("many-0"), "instance.not_found");
    // Exactly 100 is allowed.
    const hundred = await cairn.env.ECHO.createBatch(tooMany.slice(0, 100));
    expect(hundred).toHaveLength(100);
  });

  it("createBatch skips ids that already exist and leaves them out of its result, so a retried batch is safe", async () => {
    const cairn = await open();
    const existing = await cairn.env.ECHO.create({ id: "taken", params: { who: "first" } });
    await waitForStatus(existing, "complete");
    const batch = await cairn.env.ECHO.createBatch([
      { id: "fresh-1", params: { who: "a" } },
      { id: "taken", params: { who: "second" } },
      { id: "fresh-2", params: { who: "b" } },
    ]);
    expect(batch.map((i) => i.id)).toEqual(["fresh-1", "fresh-2"]);
    expect((await existing.status()).output).toMatchObject({ payload: { who: "first" } });
    for (const i of batch) await waitForStatus(i, "complete");
  });
});
