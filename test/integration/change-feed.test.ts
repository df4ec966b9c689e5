// The engine's change feed (`cairn.engine.changes`): what this process changed, in order. A
// created instance, each status it wrote, each finished step (only while someone listens), and
// each deletion; nothing for a lease merely given back.

import {
  FakeClock,
  type InstanceChange,
  WorkflowEntrypoint,
  type WorkflowEvent,
  type WorkflowStep,
} from "cairn";
import { waitForStatus } from "cairn/testing";
import { describe, expect, it } from "vitest";
import { useLifecycleHarness, waitForLog } from "../helpers/lifecycle-harness.js";

/** One step, an hour's sleep (the instance hibernates), then a wait for "go". */
class Feed extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    await step.do("first", async () => "first");
    await step.sleep("nap", "1 hour");
    return (await step.waitForEvent<string>("go", { type: "go", timeout: "1 day" })).payload;
  }
}

const describeChange = (c: InstanceChange) =>
  c.type === "step"
    ? `step ${c.step.key} ${c.step.status}`
    : c.type === "status"
      ? `status ${c.status}`
      : c.type;

describe("engine.changes", () => {
  const h = useLifecycleHarness();

  it("reports creation, every status written, finished steps and deletion, in order", async () => {
    const clock = new FakeClock();
    const cairn = await h.open({ workflows: { FEED: { name: "feed", class: Feed } }, clock });
    const seen: InstanceChange[] = [];
    const unsubscribe = cairn.engine.changes.subscribe((c) => seen.push(c));
    const instance = await cairn.env.FEED.create({ id: "f" });
    await waitForStatus(instance, "waiting");
    await instance.pause();
    await instance.resume();
    // Taken up again, it hibernates in the same sleep.
    await waitForStatus(instance, "waiting");
    clock.advance(3_600_000);
    // Woken, it hibernates again in its wait for "go" before the event is sent.
    await waitForLog(cairn, "feed", "f", (types) => types.includes("WAIT_START"));
    await waitForStatus(instance, "waiting");
    await instance.sendEvent({ type: "go", payload: "went" });
    await waitForStatus(instance, "complete");
    await instance.delete();
    unsubscribe();
    expect(seen.every((c) => c.workflow === "feed" && c.id === "f")).toBe(true);
    expect(seen.map(describeChange)).toEqual([
      "created",
      "status running",
      "step do:1:first succeeded",
      "status waiting",
      "status paused",
      "status queued",
      "status running",
      "status waiting",
      "status running",
      "step sleep:1:nap succeeded",
      "status waiting",
      "status running",
      "step waitForEvent:1:go succeeded",
      "status complete",
      "deleted",
    ]);
  });
});
