// The quickstart's workflow: an order that reserves stock, charges a card (the first attempt
// fails and is retried), sleeps while the warehouse packs, waits for a "shipped" event and
// emails a receipt. It is plain Cloudflare Workflows code; only the imports name "cairn".

import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { NonRetryableError } from "cairn/workflows";

export type OrderParams = { orderId: string; items: string[]; amount: number };
export type Shipment = { carrier: string; tracking: string };

export class OrderWorkflow extends WorkflowEntrypoint<unknown, OrderParams> {
  async run(event: WorkflowEvent<OrderParams>, step: WorkflowStep) {
    const { orderId, items, amount } = event.payload;
    const say = (text: string) => console.log(`  [workflow ${event.instanceId}] ${text}`);

    // A step's result is stored; on a replay the callback does not run again.
    const reservation = await step.do("reserve stock", async () => {
      say(`reserving ${items.join(", ")}`);
      return { reservationId: `res-${orderId}` };
    });

    const charge = await step.do(
      "charge card",
      { retries: { limit: 3, delay: "1 second", backoff: "constant" }, timeout: "30 seconds" },
      async (ctx) => {
        if (amount <= 0) throw new NonRetryableError(`cannot charge ${amount}`);
        if (ctx.attempt === 1) {
          say("charge card, attempt 1: the payment provider timed out");
          throw new Error("payment provider timed out");
        }
        say(`charge card, attempt ${ctx.attempt}: charged ${amount}`);
        return { chargeId: `ch-${orderId}`, amount };
      },
    );

    // Longer than a second, so the instance hibernates (status "waiting") and is replayed on wake-up.
    await step.sleep("let the warehouse pack", "3 seconds");

    const shipped = await step.waitForEvent<Shipment>("wait for shipment", {
      type: "shipped",
      timeout: "10 minutes",
    });

    await step.do("email receipt", async () => {
      say(`emailing receipt: ${shipped.payload.carrier} ${shipped.payload.tracking}`);
      return true;
    });

    return { orderId, reservation: reservation.reservationId, charge: charge.chargeId, ...shipped.payload };
  }
}
