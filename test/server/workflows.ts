// Workflows the HTTP API tests run: one that retries a step, keeps a sensitive output, returns a
// stream, sleeps and waits for an approval; one that always fails; one that finishes at once.

import { NonRetryableError, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";

export class Order extends WorkflowEntrypoint<unknown, { amount: number }> {
  static failuresLeft = new Map<string, number>();

  override async run(event: WorkflowEvent<{ amount: number }>, step: WorkflowStep) {
    const charged = await step.do("charge", { retries: { limit: 2, delay: 0 } }, async () => {
      const left = Order.failuresLeft.get(event.instanceId) ?? 1;
      Order.failuresLeft.set(event.instanceId, left - 1);
      if (left > 0) throw new Error("card declined");
      return { charged: event.payload?.amount ?? 0 };
    });
    await step.do("token", { sensitive: "output" }, async () => "s3cr3t-token");
    await step.do(
      "receipt",
      async () =>
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode("receipt bytes"));
            controller.close();
          },
        }),
    );
    await step.sleep("cool off", 1);
    const approval = await step.waitForEvent<{ ok: boolean }>("approval", {
      type: "approve",
      timeout: "1 hour",
    });
    return { ...charged, approved: approval.payload.ok };
  }
}

export class Broken extends WorkflowEntrypoint {
  override async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    await step.do("explode", { retries: { limit: 1, delay: 0 } }, async () => {
      throw new NonRetryableError("out of stock");
    });
  }
}

export class Quick extends WorkflowEntrypoint {
  override async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    return step.do("only", async () => 1);
  }
}

export const workflows = {
  ORDERS: { name: "orders", class: Order },
  BROKEN: { name: "broken", class: Broken },
  QUICK: { name: "quick", class: Quick },
};
