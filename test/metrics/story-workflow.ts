// The workflow the metrics tests run: a step that fails once and is retried, a one-minute sleep,
// a wait for a "go" event, and a last step that fails for good when the event says "fail".
// Each instance's attempts are counted here, so a replay does not fail "flaky" again.

import { NonRetryableError, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";

const tries = new Map<string, number>();

export class Story extends WorkflowEntrypoint {
  async run(event: WorkflowEvent<unknown>, step: WorkflowStep) {
    await step.do("flaky", { retries: { limit: 2, delay: 10, backoff: "constant" } }, async () => {
      const n = (tries.get(event.instanceId) ?? 0) + 1;
      tries.set(event.instanceId, n);
      if (n === 1) throw new Error("first try fails");
      return n;
    });
    await step.sleep("nap", "1 minute");
    const go = await step.waitForEvent<string>("go", { type: "go" });
    await step.do("finish", async () => {
      if (go.payload === "fail") throw new NonRetryableError("told to fail");
      return "done";
    });
  }
}
