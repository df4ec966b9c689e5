// The Response a Worker sees: Node's in every use but the 101 answer carrying a WebSocket, which
// it takes with Cloudflare's checks; `instanceof` holds for Node's own responses.

import { describe, expect, it } from "vitest";
import { WebSocketPair } from "./pair.js";
import { responseWebSocket, WorkersResponse } from "./response.js";

describe("the Workers Response", () => {
  it("takes a 101 answer with a WebSocket and reports its status", () => {
    const [client, server] = new WebSocketPair();
    server.accept();
    const response = new WorkersResponse(null, {
      status: 101,
      webSocket: client,
      headers: { "sec-websocket-protocol": "chat" },
    });
    expect(response.status).toBe(101);
    expect(response.ok).toBe(false);
    expect(response.statusText).toBe("Switching Protocols");
    expect(response.webSocket).toBe(client);
    expect(response.headers.get("sec-websocket-protocol")).toBe("chat");
    expect(responseWebSocket(response)).toBe(client);
  });

  it("is Node's Response for everything else", async () => {
    const response = new WorkersResponse("hi", { status: 201, statusText: "Made", headers: { a: "b" } });
    expect([response.status, response.ok, response.statusText, await response.text()]).toEqual([
      201,
      true,
      "Made",
      "hi",
    ]);
    expect(response.webSocket).toBeNull();
    expect(responseWebSocket(response)).toBeNull();
    expect(() => new WorkersResponse(null, { status: 600 })).toThrow(RangeError);
    const json = WorkersResponse.json({ a: 1 });
    expect(await json.json()).toEqual({ a: 1 });
  });

  it("counts Node's own responses (from fetch) as instances, and subclasses check as usual", () => {
    const node = new Response("x");
    expect(node instanceof WorkersResponse).toBe(true);
    expect(new WorkersResponse("x") instanceof Response).toBe(true);
    expect({} instanceof WorkersResponse).toBe(false);
    class Mine extends WorkersResponse {}
    expect(new Mine("x") instanceof Mine).toBe(true);
    expect(node instanceof Mine).toBe(false);
  });

  it("refuses 101 without a WebSocket, and a WebSocket with another status, with Cloudflare's errors", () => {
    const [client] = new WebSocketPair();
    expect(() => new WorkersResponse(null, { status: 101 })).toThrow(
      new RangeError(
        "Responses may only be constructed with status codes in the range 200 to 599, inclusive.",
      ),
    );
    expect(() => new WorkersResponse(null, { status: 200, webSocket: client })).toThrow(
      new RangeError("Responses with a WebSocket must have status code 101."),
    );
    expect(() => new WorkersResponse(null, { status: 101, webSocket: {} as never })).toThrow(TypeError);
  });

  it("refuses an end that was accepted or hibernated, with Cloudflare's errors", () => {
    const [client, server] = new WebSocketPair();
    server.accept();
    expect(() => new WorkersResponse(null, { status: 101, webSocket: server })).toThrow(
      new TypeError("Can't return WebSocket in a Response after calling accept()."),
    );
    expect(new WorkersResponse(null, { status: 101, webSocket: client }).status).toBe(101);
  });
});
