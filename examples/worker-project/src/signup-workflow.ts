// A sign-up flow: create the account, send a welcome email (the mail server fails once and the
// step is retried), wait a little, then wait for the user to confirm their address (an event sent
// over HTTP) and activate the account, or give up after an hour.

import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";

export type Env = { SIGNUP: Workflow<SignupParams>; WELCOME_SUBJECT: string };
export type SignupParams = { email: string };

export class SignupWorkflow extends WorkflowEntrypoint<Env, SignupParams> {
  async run(event: WorkflowEvent<SignupParams>, step: WorkflowStep) {
    const account = await step.do("create account", async () => {
      if (!event.payload.email?.includes("@"))
        throw new NonRetryableError(`not an email: ${event.payload.email}`);
      return { accountId: `acct-${event.instanceId.slice(0, 8)}`, email: event.payload.email };
    });

    await step.do(
      "send welcome email",
      { retries: { limit: 3, delay: "2 seconds", backoff: "exponential" }, timeout: "30 seconds" },
      async (ctx) => {
        if (ctx.attempt === 1) throw new Error("mail server busy");
        console.log(
          `[signup] "${this.env.WELCOME_SUBJECT}" sent to ${account.email} (attempt ${ctx.attempt})`,
        );
        return { sent: true };
      },
    );

    await step.sleep("let the email arrive", "5 seconds");

    try {
      const confirmation = await step.waitForEvent<{ code: string }>("wait for confirmation", {
        type: "email-confirmed",
        timeout: "1 hour",
      });
      return await step.do("activate account", async () => ({
        ...account,
        status: "active",
        code: confirmation.payload.code,
      }));
    } catch {
      return { ...account, status: "abandoned" };
    }
  }
}
