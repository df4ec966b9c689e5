// The change feed over HTTP as Server-Sent Events: events named by change type with the cursor
// as their id, filtered by workflow, resumed after a disconnect with Last-Event-ID (changes made
// while away are delivered first), and closed on the server when the client goes away.

import { waitForStatus, waitUntil } from "cairn/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type ApiServer, startApiServer } from "./helpers/api-server.js";
import { workflows } from "./workflows.js";

type Event = { id?: string; event?: string; data?: any };

/** Reads an SSE stream into parsed events until aborted. */
function follow(url: string, headers: Record<string, string> = {}) {
  const events: Event[] = [];
  const controller = new AbortController();
  const done = (async () => {
    const response = await fetch(url, { headers, signal: controller.signal });
    if (response.headers.get("content-type")?.startsWith("text/event-stream") !== true) {
      throw new Error(`not an event stream: ${response.status} ${await response.text()}`);
    }
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: Event = {};
        for (const line of block.split("\n")) {
          const colon = line.indexOf(": ");
          if (line.startsWith(":") || colon < 0) continue;
          const field = line.slice(0, colon);
          const value = line.slice(colon + 2);
          if (field === "id") event.id = value;
          if (field === "event") event.event = value;
          if (field === "data") event.data = JSON.parse(value);
        }
        if (event.event) events.push(event);
        end = buffer.indexOf("\n\n");
      }
    }
  })().catch((error: Error) => {
    if (error.name !== "AbortError") throw error;
  });
  return { events, stop: () => controller.abort(), done };
}

let server: ApiServer<typeof workflows>;
afterEach(async () => {
  await server?.close();
});

describe("the change feed over SSE", () => {
  it("streams a workflow's changes as named events with cursors, and resumes with Last-Event-ID", async () => {
    server = await startApiServer(workflows);
    const feed = follow(`${server.url}/cairn/api/changes?workflow=quick`);
    await waitUntil(
      () => server.cairn.engine.changes.watching,
      (watching) => watching,
      { what: "the feed listening" },
    );
    await waitForStatus(await server.cairn.env.QUICK.create({ id: "one" }), "complete");
    await server.cairn.env.BROKEN.create({ id: "elsewhere" });
    await waitUntil(
      () => feed.events,
      (events) => events.some((e) => e.event === "status" && e.data.status === "complete"),
      { what: "completion seen on the feed" },
    );
    expect(feed.events[0]).toMatchObject({ event: "created", data: { workflow: "quick", id: "one" } });
    expect(feed.events.every((e) => e.data.workflow === "quick")).toBe(true);
    expect(feed.events.every((e) => e.id === e.data.cursor)).toBe(true);
    const last = feed.events.at(-1)!;
    feed.stop();
    await feed.done;
    // The server stops watching once the client has gone.
    await waitUntil(
      () => server.cairn.engine.changes.watching,
      (watching) => !watching,
      { what: "the server's watch closed" },
    );

    // Changes made while no one listens arrive first after a reconnect.
    await waitForStatus(await server.cairn.env.QUICK.create({ id: "two" }), "complete");
    const resumed = follow(`${server.url}/cairn/api/changes?workflow=quick`, { "last-event-id": last.id! });
    await waitUntil(
      () => resumed.events,
      (events) => events.some((e) => e.data.id === "two" && e.data.status === "complete"),
      { what: "the missed completion delivered" },
    );
    resumed.stop();
    await resumed.done;
  });

  it("refuses a bad cursor or an unknown workflow with an error, not a stream", async () => {
    server = await startApiServer(workflows);
    const unknown = await server.call("GET", "/cairn/api/changes?workflow=nope");
    expect(unknown.status).toBe(404);
    expect(unknown.body.errors[0].cairn_code).toBe("workflow.not_found");
    const bad = await server.call("GET", "/cairn/api/changes?since=yesterday");
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].cairn_code).toBe("query.invalid");
  });
});
