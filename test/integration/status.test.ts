// `instance.status()` through the binding returns exactly `{ status, error?, output? }`, as on
// Cloudflare, for every lifecycle state: queued, running, waiting, paused, complete, errored and
// terminated. Cairn reports `waiting` during a wait for an event, as production does (the local
// engine in `wrangler dev` says `running`).

import { NonRetryableError, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus } from "cairn/testing";
import { describe, expect, it } from "vitest";
import { gates } from "../helpers/lifecycle-gates.js";
import { useLifecycleHarness } from "../helpers/lifecycle-harness.js";

type Mode = { mode: "gate" | "event" | "fail" | "done" };

class Shapes extends WorkflowEntrypoint<unknown, Mode> {
  async run(event: WorkflowEvent<Mode>, step: WorkflowStep) {
    const { mode } = event.payload;
    if (mode === "gate") {
      await step.do("blocked", async () => gates.get(event.instanceId).wait());
      await step.do("after", async () => "after");
    }
    if (mode === "event") await step.waitForEvent("approval", { type: "approve" });
    if (mode === "fail") {
      await step.do("doomed", async () => {
        throw new NonRetryableError("card declined", "PaymentError");
      });
    }
    return { total: 7, at: new Date(0), items: new Map([["a", 1]]) };
  }
}

describe("status()", () => {
  const h = useLifecycleHarness();
  const open = (maxRunning?: number) =>
    h.open({
      workflows: { SHAPES: { name: "shapes", class: Shapes } },
      ...(maxRunning ? { maxRunning } : {}),
    });

  it("is exactly { status: 'complete', output } for a finished instance", async () => {
    const cairn = await open();
    const instance = await cairn.env.SHAPES.create({ params: { mode: "done" } });
    const status = await waitForStatus(instance, "complete");
    expect(Object.keys(status).sort()).toEqual(["output", "status"]);
    expect(status).toEqual({
      status: "complete",
      output: { total: 7, at: new Date(0), items: new Map([["a", 1]]) },
    });
  });

  it("is exactly { status: 'errored', error: { name, message } } for a failed instance", async () => {
    const cairn = await open();
    const instance = await cairn.env.SHAPES.create({ params: { mode: "fail" } });
    const status = await waitForStatus(instance, "errored");
    expect(Object.keys(status).sort()).toEqual(["error", "status"]);
    expect(status).toEqual({ status: "errored", error: { name: "PaymentError", message: "card declined" } });
    expect(Object.keys(status.error!).sort()).toEqual(["message", "name"]);
  });

  it("is `waiting` while the instance waits for an event, as in production, then `complete`", async () => {
    const cairn = await open();
    const instance = await cairn.env.SHAPES.create({ params: { mode: "event" } });
    expect(await waitForStatus(instance, "waiting")).toEqual({ status: "waiting" });
    await instance.sendEvent({ type: "approve", payload: null });
    expect(await waitForStatus(instance, "complete")).toMatchObject({ status: "complete" });
  });

  it("is { status: 'terminated' } after terminate", async () => {
    const cairn = await open();
    const instance = await cairn.env.SHAPES.create({ params: { mode: "event" } });
    await waitForStatus(instance, "waiting");
    await instance.terminate();
    expect(await instance.status()).toEqual({ status: "terminated" });
  });

  it("is exactly { status } while queued, running, pausing and paused", async () => {
    const cairn = await open(1);
    const running = await cairn.env.SHAPES.create({ id: "holder", params: { mode: "gate" } });
    await gates.get("holder").reached();
    expect(await running.status()).toEqual({ status: "running" });
    const queued = await cairn.env.SHAPES.create({ id: "behind", params: { mode: "done" } });
    expect(await queued.status()).toEqual({ status: "queued" });

    await running.pause();
    expect(await running.status()).toEqual({ status: "waitingForPause" });
    gates.get("holder").open();
    expect(await waitForStatus(running, "paused")).toEqual({ status: "paused" });

    // The paused instance freed its slot, so the queued one runs to completion.
    expect(await waitForStatus(queued, "complete")).toMatchObject({ status: "complete" });
    await running.resume();
    expect(await waitForStatus(running, "complete")).toMatchObject({ status: "complete" });
  });
});
