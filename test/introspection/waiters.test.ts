// The waiters and getters of an instance introspector, and its disposal, on Cairn opened with
// storage ":memory:": waitForStatus (before the instance exists, on statuses that do not last,
// and rejecting with Cloudflare's message as soon as the status can no longer come),
// waitForStepResult (results, failures, a step that will never finish), getOutput and getError
// with Cloudflare's messages, dispose (stops, deletes, cancels waiters, idempotent and bound),
// and the errors of bad arguments and of use after dispose.

import { Cairn, FakeClock, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { introspectWorkflowInstance, type WorkflowInstanceIntrospector, waitUntil } from "cairn/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { deferred, type RunFn, Scenarios } from "../helpers/steps-harness.js";

const WF = "waited";
const scenarios = new Scenarios();
class Waited extends WorkflowEntrypoint {
  override run(event: WorkflowEvent<unknown>, step: WorkflowStep): Promise<unknown> {
    return scenarios.run(event, step);
  }
}
const workflows = { WAITED: { name: WF, class: Waited } };
const clock = new FakeClock();
let cairn: Cairn<typeof workflows>;
const introspected: WorkflowInstanceIntrospector[] = [];

beforeAll(async () => {
  cairn = await Cairn.open({ storage: ":memory:", workflows, clock, shutdownGraceMs: 0 });
});
afterAll(async () => {
  await cairn.close();
});
afterEach(async () => {
  for (const i of introspected.splice(0)) await i.dispose();
});

async function introspect(body: RunFn): Promise<WorkflowInstanceIntrospector & { id: string }> {
  const id = scenarios.add(body);
  const instance = await introspectWorkflowInstance(cairn.env.WAITED, id);
  introspected.push(instance);
  return Object.assign(instance, { id });
}

const unreachable = (id: string, reached: string, expected: string) =>
  `[WorkflowIntrospector] The Workflow instance ${id} has reached status '${reached}'. This is a finite status that prevents it from ever reaching the expected status of '${expected}'.`;

describe("waitForStatus", () => {
  it("waits for an instance created later, and sees a running status that does not last", async () => {
    const i = await introspect(async (_e, step) => step.do("quick", async () => "done"));
    const running = i.waitForStatus("running");
    const complete = i.waitForStatus("complete");
    await cairn.env.WAITED.create({ id: i.id });
    await expect(running).resolves.toBeUndefined();
    await expect(complete).resolves.toBeUndefined();
  });

  it("resolves for waiting, waitingForPause and paused", async () => {
    const gate = deferred<void>();
    const i = await introspect(async (_e, step) => {
      await step.sleep("nap", "1 hour");
      await step.do("held", async () => gate.promise);
      // A pause settles before the next step starts.
      return step.do("after", async () => "done");
    });
    await cairn.env.WAITED.create({ id: i.id });
    await i.waitForStatus("waiting");
    clock.advance(3_600_000);
    await i.waitForStatus("running");
    await (await cairn.env.WAITED.get(i.id)).pause();
    await i.waitForStatus("waitingForPause");
    gate.resolve();
    await i.waitForStatus("paused");
    await (await cairn.env.WAITED.get(i.id)).resume();
    await i.waitForStatus("complete");
  });

  it("resolves 'queued' at once, as Cloudflare does, even before the instance exists", async () => {
    const i = await introspect(async () => "never created");
    await expect(i.waitForStatus("queued")).resolves.toBeUndefined();
  });

  it.each([
    ["complete", ["errored", "terminated", "paused", "running", "waiting", "waitingForPause"]],
    ["errored", ["complete", "terminated", "paused", "running"]],
  ] as const)(
    "rejects at once with Cloudflare's message when %s makes the status unreachable",
    async (end, targets) => {
      const i = await introspect(async (_e, step) =>
        step.do("end", { retries: { limit: 0, delay: 0 } }, async () => {
          if (end === "errored") throw new Error("bad");
          return "ok";
        }),
      );
      await cairn.env.WAITED.create({ id: i.id });
      await i.waitForStatus(end);
      for (const target of targets) {
        await expect(i.waitForStatus(target)).rejects.toThrow(unreachable(i.id, end, target));
      }
    },
  );

  it("rejects a pending wait as soon as the instance ends in another status (terminated)", async () => {
    const i = await introspect(async (_e, step) => step.waitForEvent("never", { type: "never" }));
    await cairn.env.WAITED.create({ id: i.id });
    const paused = i.waitForStatus("paused");
    await i.waitForStatus("waiting");
    await (await cairn.env.WAITED.get(i.id)).terminate();
    await expect(paused).rejects.toMatchObject({
      code: "introspection.unreachable_status",
      message: unreachable(i.id, "terminated", "paused"),
    });
  });

  it("refuses a status that does not exist", async () => {
    const i = await introspect(async () => "never created");
    for (const bad of ["unknown", "done", ""]) {
      await expect(i.waitForStatus(bad as "complete")).rejects.toMatchObject({
        code: "introspection.invalid_argument",
      });
    }
  });

  it("rejects when the instance it waits on is deleted", async () => {
    const i = await introspect(async (_e, step) => step.waitForEvent("never", { type: "never" }));
    await cairn.env.WAITED.create({ id: i.id });
    await i.waitForStatus("waiting");
    const complete = i.waitForStatus("complete");
    await (await cairn.env.WAITED.get(i.id)).delete();
    await expect(complete).rejects.toMatchObject({ code: "instance.not_found" });
  });
});

describe("waitForStepResult", () => {
  it("waits for the selected occurrence, then resolves with its result", async () => {
    const gate = deferred<void>();
    const i = await introspect(async (_e, step) => {
      await step.do("s", async () => "first");
      await gate.promise;
      return step.do("s", async () => ({ second: true }));
    });
    const second = i.waitForStepResult({ name: "s", index: 2 });
    await cairn.env.WAITED.create({ id: i.id });
    expect(await i.waitForStepResult({ name: "s" })).toBe("first");
    gate.resolve();
    expect(await second).toEqual({ second: true });
  });

  it("rejects with the step's error once it failed for good", async () => {
    const i = await introspect(async (_e, step) => {
      try {
        await step.do("fails", { retries: { limit: 0, delay: 0 } }, async () => {
          throw new RangeError("out of range");
        });
      } catch {
        return "caught";
      }
    });
    await cairn.env.WAITED.create({ id: i.id });
    const error = await i.waitForStepResult({ name: "fails" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: "RangeError", message: "out of range" });
  });

  it("rejects, rather than waiting forever, when the instance finished without the step", async () => {
    const i = await introspect(async (_e, step) => step.do("other", async () => 1));
    await cairn.env.WAITED.create({ id: i.id });
    await expect(i.waitForStepResult({ name: "missing" })).rejects.toMatchObject({
      code: "introspection.unreachable_status",
      detail: `instance "${i.id}" is complete and its step.do "missing" #1 never finished: no result will come`,
    });
  });

  it("refuses a bad selector", async () => {
    const i = await introspect(async () => "never created");
    await expect(i.waitForStepResult({ name: "" })).rejects.toMatchObject({
      code: "introspection.invalid_argument",
    });
    await expect(i.waitForStepResult({ name: "s", index: -1 })).rejects.toThrow(/step selector/);
  });
});

describe("getOutput and getError", () => {
  it("answer with Cloudflare's messages in any other status", async () => {
    const i = await introspect(async (_e, step) => step.waitForEvent("never", { type: "never" }));
    await cairn.env.WAITED.create({ id: i.id });
    await i.waitForStatus("waiting");
    await expect(i.getOutput()).rejects.toThrow(
      'Cannot retrieve output: Workflow instance is in status "waiting" but must be "complete" to have an output available',
    );
    await expect(i.getError()).rejects.toThrow(
      'Cannot retrieve error: Workflow instance is in status "waiting" but must be "errored" to have error information available',
    );
  });

  it("give the output of a complete instance and the { name, message } of an errored one", async () => {
    const ok = await introspect(async () => ({ total: 3, at: new Date(0) }));
    const bad = await introspect(async () => {
      throw new SyntaxError("unexpected");
    });
    await cairn.env.WAITED.createBatch([{ id: ok.id }, { id: bad.id }]);
    await ok.waitForStatus("complete");
    await bad.waitForStatus("errored");
    expect(await ok.getOutput()).toEqual({ total: 3, at: new Date(0) });
    expect(await bad.getError()).toEqual({ name: "SyntaxError", message: "unexpected" });
  });
});

describe("dispose", () => {
  it("stops a running instance, deletes it with everything stored, and cancels pending waits", async () => {
    const gate = deferred<void>();
    let after = false;
    const id = scenarios.add(async (_e, step) => {
      await step.do("held", async () => gate.promise);
      after = true;
      return "done";
    });
    const i = await introspectWorkflowInstance(cairn.env.WAITED, id);
    await cairn.env.WAITED.create({ id });
    await i.waitForStatus("running");
    const pending = i.waitForStatus("complete").catch((e: unknown) => e);
    const { dispose } = i;
    await dispose(); // bound: works detached, as onTestFinished(i.dispose) calls it
    expect(await pending).toMatchObject({ message: "Workflow instance introspector has been disposed." });
    await expect(cairn.env.WAITED.get(id)).rejects.toMatchObject({ code: "instance.not_found" });
    expect((await cairn.inspect.instances(WF, { limit: 100 })).instances.map((x) => x.id)).not.toContain(id);
    // The run was stopped: its step finishing now leads nowhere.
    gate.resolve();
    for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(after).toBe(false);
    await i.dispose(); // idempotent
    await i[Symbol.asyncDispose]();
  });

  it("makes every later call fail with Cloudflare's message, and drops the modifications", async () => {
    const id = scenarios.add(async (_e, step) => step.do("s", async () => "real"));
    const i = await introspectWorkflowInstance(cairn.env.WAITED, id);
    await i.modify((m) => m.mockStepResult({ name: "s" }, "mock"));
    await i.dispose();
    const message = "Workflow instance introspector has been disposed.";
    await expect(i.modify(async () => {})).rejects.toThrow(message);
    await expect(i.waitForStatus("complete")).rejects.toThrow(message);
    await expect(i.waitForStepResult({ name: "s" })).rejects.toThrow(message);
    await expect(i.getOutput()).rejects.toMatchObject({ code: "introspection.disposed", message });
    await expect(i.getError()).rejects.toThrow(message);
    // An instance created with that id now runs unmodified.
    const handle = await cairn.env.WAITED.create({ id });
    await expect.poll(async () => (await handle.status()).output).toBe("real");
    await handle.delete();
  });

  it("resolves once Cairn is closed", async () => {
    const other = await Cairn.open({ storage: ":memory:", workflows });
    const i = await introspectWorkflowInstance(other.env.WAITED, "whatever");
    await other.close();
    await expect(i.dispose()).resolves.toBeUndefined();
  });
});

describe("the engine's side", () => {
  it("gives overrides to introspected instances only, and holds none once they are disposed", async () => {
    expect(cairn.engine.overrides.active).toBe(false);
    const gate = deferred<void>();
    const body: RunFn = async (_e, step) => step.do("held", async () => gate.promise);
    const plain = scenarios.add(body);
    const i = await introspect(body);
    await cairn.env.WAITED.createBatch([{ id: plain }, { id: i.id }]);
    await i.waitForStatus("running");
    await waitUntil(
      () => cairn.engine.live.find(WF, plain),
      (a) => a !== undefined,
      { what: "the plain instance to run" },
    );
    expect(cairn.engine.overrides.active).toBe(true);
    expect(cairn.engine.live.find(WF, plain)?.overrides).toBeUndefined();
    expect(cairn.engine.live.find(WF, i.id)?.overrides).toBeDefined();
    await i.dispose();
    expect(cairn.engine.overrides.active).toBe(false);
    gate.resolve();
    await (await cairn.env.WAITED.get(plain)).delete();
  });
});

describe("introspectWorkflowInstance", () => {
  it("wants a binding and an id, with Cloudflare's message", async () => {
    const message = "[WorkflowIntrospector] Workflow binding and instance id are required.";
    await expect(introspectWorkflowInstance(undefined as never, "x")).rejects.toThrow(message);
    await expect(introspectWorkflowInstance(cairn.env.WAITED, "")).rejects.toMatchObject({
      code: "introspection.invalid_argument",
      message,
    });
  });

  it("refuses something that is not a Cairn binding, and an invalid id", async () => {
    const fake = { create: async () => ({}) } as never;
    await expect(introspectWorkflowInstance(fake, "x")).rejects.toMatchObject({
      code: "introspection.invalid_argument",
      message: expect.stringContaining("a workflow binding of Cairn"),
    });
    await expect(introspectWorkflowInstance(cairn.env.WAITED, "no spaces allowed!")).rejects.toMatchObject({
      code: "instance.invalid_id",
    });
  });
});
