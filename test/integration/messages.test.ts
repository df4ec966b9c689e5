// Messages that users read: a waitForEvent that times out says so in Cloudflare's words and
// names the step and the event type; create and get state the id rule that applies to each; and
// no message repeats its error code when one error is built from another.

import { Cairn, FakeClock, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus } from "cairn/testing";
import { describe, expect, it } from "vitest";
import { useLifecycleHarness } from "../helpers/lifecycle-harness.js";
import { tempDir } from "../helpers/temp-store.js";

/** Waits 5 seconds for an "approval" and returns what it caught. */
class Approval extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    try {
      await step.waitForEvent("approve", { type: "approval", timeout: "5 seconds" });
      return "approved";
    } catch (error) {
      return { name: (error as Error).name, message: (error as Error).message };
    }
  }
}

const rejection = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error("expected a rejection");
};

describe("messages", () => {
  const h = useLifecycleHarness();

  it("a waitForEvent that times out fails with Cloudflare's 'Execution timed out', its step and its type", async () => {
    const clock = new FakeClock();
    const cairn = await h.open({ workflows: { APPROVAL: { name: "approval", class: Approval } }, clock });
    const instance = await cairn.env.APPROVAL.create({ id: "late" });
    await waitForStatus(instance, "waiting");
    clock.advance(6000);
    const status = await waitForStatus(instance, "complete");
    const caught = status.output as { name: string; message: string };
    expect(caught.name).toBe("WorkflowTimeoutError");
    expect(caught.message).toContain("Execution timed out after 5000ms");
    expect(caught.message).toContain('"approve"');
    expect(caught.message).toContain('"approval"');
  });

  it("create states the instance id rule, get also the cron-created id rule, each code once", async () => {
    const cairn = await h.open({ workflows: { APPROVAL: { name: "approval", class: Approval } } });
    const created = await rejection(cairn.env.APPROVAL.create({ id: "bad!" }));
    expect(created.code).toBe("instance.invalid_id");
    expect(created.message).toContain("1 to 100 characters");
    expect(created.message).not.toContain("271");
    const got = await rejection(cairn.env.APPROVAL.get("bad!"));
    expect(got.code).toBe("instance.invalid_id");
    expect(got.message).toContain("1 to 100 characters");
    expect(got.message).toMatch(/cron schedule created .*up to 271 characters/);
    for (const error of [created, got]) expect(error.message.split("(instance.invalid_id)")).toHaveLength(2);
  });

  it("an invalid workflow name at open names the binding and states its code once", async () => {
    const dir = tempDir("cairn-messages-");
    try {
      const error = await rejection(
        Cairn.open({
          storage: `sqlite:${dir.dbPath}`,
          workflows: { W: { name: "bad name", class: Approval } },
        }),
      );
      expect(error.code).toBe("workflow.invalid_name");
      expect(error.message).toContain("workflow binding W");
      expect(error.message.split("(workflow.invalid_name)")).toHaveLength(2);
    } finally {
      dir.cleanup();
    }
  });
});
