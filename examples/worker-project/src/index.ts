// The Worker: POST /signup {"email"} starts a sign-up, GET /signup/<id> shows its status, and
// POST /signup/<id>/confirm {"code"} sends the confirmation event. The same code deploys to
// Cloudflare with `wrangler deploy`.

import type { Env } from "./signup-workflow.js";

export { SignupWorkflow } from "./signup-workflow.js";

export default {
  async fetch(request, env) {
    const [, resource, id, action] = new URL(request.url).pathname.split("/");
    if (resource !== "signup") {
      return new Response('POST /signup {"email"} · GET /signup/<id> · POST /signup/<id>/confirm {"code"}\n');
    }
    if (!id && request.method === "POST") {
      const { email } = (await request.json()) as { email: string };
      const instance = await env.SIGNUP.create({ params: { email } });
      return Response.json({ id: instance.id, details: await instance.status() }, { status: 201 });
    }
    if (!id) return new Response("missing instance id", { status: 400 });
    const instance = await env.SIGNUP.get(id);
    if (action === "confirm" && request.method === "POST") {
      await instance.sendEvent({ type: "email-confirmed", payload: await request.json() });
      return Response.json({ id, sent: "email-confirmed" });
    }
    return Response.json({ id, details: await instance.status() });
  },
} satisfies ExportedHandler<Env>;
