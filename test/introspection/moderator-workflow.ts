// The workflow of Cloudflare's vitest example (fixtures/vitest-plugin-examples/workflows in
// workers-sdk), written as Cloudflare code: a content moderation that sleeps, asks an "AI" for a
// violation score (random, so tests mock it), approves or rejects at once at either end, and
// waits for a human decision in between. Its Worker creates instances from `fetch`, one or a
// batch, as the code under test. A second workflow returns a stream, for stream mocks.

import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import type { Workflow } from "cairn";

export type Env = { MODERATOR: Workflow; STREAMER: Workflow };

export class ModeratorWorkflow extends WorkflowEntrypoint<Env> {
  override async run(_event: Readonly<WorkflowEvent<unknown>>, step: WorkflowStep) {
    await step.sleep("sleep for a while", "10 seconds");

    // Get an initial analysis from an AI model
    const aiResult = await step.do("AI content scan", async () => {
      // Simulated score:
      const violationScore = Math.floor(Math.random() * 100);
      return { violationScore: violationScore };
    });

    // Triage based on the AI score
    if (aiResult.violationScore < 10) {
      await step.do("auto approve content", async () => {
        return { status: "auto_approved" };
      });
      return { status: "auto_approved" };
    }
    if (aiResult.violationScore > 90) {
      await step.do("auto reject content", async () => {
        return { status: "auto_rejected" };
      });
      return { status: "auto_rejected" };
    }

    // If the score is ambiguous, require human review
    type EventPayload = { moderatorAction: string };
    const eventPayload = await step.waitForEvent<EventPayload>("human review", {
      type: "moderation-decision",
      timeout: "1 day",
    });

    if (eventPayload) {
      // The moderator responded in time.
      const decision = eventPayload.payload.moderatorAction;
      await step.do("apply moderator decision", async () => {
        return { status: "moderated", decision: decision };
      });
      return { status: "moderated", decision: decision };
    }
  }
}

/** Returns the text of a stream produced by a step, which tests replace with a mocked stream. */
export class StreamWorkflow extends WorkflowEntrypoint<Env> {
  override async run(_event: Readonly<WorkflowEvent<unknown>>, step: WorkflowStep) {
    const stream = await step.do("stream step", async () => {
      return new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("real stream"));
          controller.close();
        },
      });
    });
    return { streamResult: await new Response(stream).text() };
  }
}

/** The Worker's fetch handler, as in Cloudflare's example. */
export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const maybeId = url.searchParams.get("id");
    if (maybeId !== null) {
      const instance = await env.MODERATOR.get(maybeId);
      return Response.json(await instance.status());
    }

    if (url.pathname === "/moderate") {
      const workflow = await env.MODERATOR.create();
      return Response.json({
        id: workflow.id,
        details: await workflow.status(),
      });
    }

    if (url.pathname === "/moderate-batch") {
      const workflows = await env.MODERATOR.createBatch([{}, { id: "321" }, {}]);
      const ids = workflows.map((workflow) => workflow.id);
      return Response.json({ ids: ids });
    }

    return new Response("Not found", { status: 404 });
  },
};

export const workflows = {
  MODERATOR: { name: "moderator-workflow", class: ModeratorWorkflow },
  STREAMER: { name: "stream-workflow", class: StreamWorkflow },
};
