// The metrics route of the HTTP API on a real HTTP server: behind the token when one is set (and
// open with `withoutToken`), GET and HEAD only, answered in the Prometheus text format that a
// real parser reads, and a 404 for a Cairn opened with `metrics: false`.

import { FakeClock } from "cairn";
import { waitForStatus } from "cairn/testing";
import { afterEach, describe, expect, it } from "vitest";
import { parseExposition } from "../helpers/prometheus.js";
import { type ApiServer, startApiServer } from "../server/helpers/api-server.js";
import { Story } from "./story-workflow.js";

const workflows = { STORY: { name: "story", class: Story } };
const TOKEN = "metrics-test-token";
const servers: ApiServer<typeof workflows>[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function serve(options: Parameters<typeof startApiServer>[1]) {
  const server = await startApiServer(workflows, options);
  servers.push(server);
  return server;
}

function scrape(server: ApiServer<typeof workflows>, init: RequestInit = {}) {
  return fetch(`${server.url}/metrics`, init);
}

const bearer = { authorization: `Bearer ${TOKEN}` };

describe("the metrics route", () => {
  it("asks for the API token when one is set, and answers the exposition with it", async () => {
    const clock = new FakeClock();
    const server = await serve({ token: TOKEN, metrics: { path: "/metrics" }, open: { clock } });
    const instance = await server.cairn.env.STORY.create({ id: "h1" });
    await instance.terminate();
    await waitForStatus(instance, "terminated");

    const refused = await scrape(server);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as any).errors[0].cairn_code).toBe("auth.missing");
    expect((await scrape(server, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);

    const answer = await scrape(server, { headers: bearer });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toBe(server.cairn.metricsContentType);
    const m = parseExposition(await answer.text());
    expect(m.value("cairn_instances_created_total", { workflow: "story" })).toBe(1);
    expect(m.value("cairn_instances_finished_total", { workflow: "story", outcome: "terminated" })).toBe(1);
    expect(m.value("cairn_instances", { workflow: "story", status: "terminated" })).toBe(1);
  });

  it("serves GET and HEAD only", async () => {
    const server = await serve({ metrics: { path: "/metrics" } });
    const head = await scrape(server, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    const post = await scrape(server, { method: "POST" });
    expect(post.status).toBe(405);
    expect(((await post.json()) as any).errors[0].cairn_code).toBe("method.not_allowed");
  });

  it("needs no token with withoutToken, while the API still does", async () => {
    const server = await serve({ token: TOKEN, metrics: { path: "/metrics", withoutToken: true } });
    const answer = await scrape(server);
    expect(answer.status).toBe(200);
    expect(parseExposition(await answer.text()).family("cairn_step_attempts_total")?.type).toBe("COUNTER");
    expect((await server.call("GET", "/cairn/api/workflows")).status).toBe(401);
  });

  it("is not there unless asked for, and answers 404 for a Cairn without metrics", async () => {
    const none = await serve({});
    expect((await scrape(none)).status).toBe(418);
    const off = await serve({ metrics: { path: "/metrics" }, open: { metrics: false } });
    const answer = await scrape(off);
    expect(answer.status).toBe(404);
    expect(((await answer.json()) as any).errors[0].cairn_code).toBe("route.not_found");
  });
});
