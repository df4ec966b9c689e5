// `new WebSocket(url)` in a Worker: an outbound client against a real `ws` server. It opens,
// sends and receives text and binary, closes with a code both ways, reports a connection that
// never opened as an error then a 1006 close, and refuses bad URLs and subprotocols (and being
// accepted or returned in a Response) with Cloudflare's errors.

import type { AddressInfo } from "node:net";
import { waitUntil } from "cairn/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import type { CloseEvent } from "../../../src/host/websockets/events.js";
import { WorkersResponse } from "../../../src/host/websockets/response.js";
import { WorkersWebSocket } from "../../../src/host/websockets/websocket.js";

let upstream: WebSocketServer;
let url: string;

beforeAll(async () => {
  upstream = new WebSocketServer({
    port: 0,
    host: "127.0.0.1",
    handleProtocols: (offered) => (offered.has("v2") ? "v2" : false),
  });
  await new Promise((resolve) => upstream.once("listening", resolve));
  url = `ws://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  upstream.on("connection", (socket) => {
    socket.on("message", (data, isBinary) => {
      if (String(data) === "close me") socket.close(4005, "upstream says bye");
      else socket.send(data, { binary: isBinary });
    });
  });
});

afterAll(async () => {
  for (const client of upstream.clients) client.terminate();
  await new Promise((resolve) => upstream.close(resolve));
});

type Seen = { type: string; data?: unknown; code?: number; reason?: string; wasClean?: boolean };

function record(ws: WorkersWebSocket): Seen[] {
  const seen: Seen[] = [];
  ws.addEventListener("open", () => seen.push({ type: "open" }));
  ws.addEventListener("message", (event) =>
    seen.push({ type: "message", data: (event as MessageEvent).data }),
  );
  ws.addEventListener("close", (event) => {
    const { code, reason, wasClean } = event as CloseEvent;
    seen.push({ type: "close", code, reason, wasClean });
  });
  ws.addEventListener("error", () => seen.push({ type: "error" }));
  return seen;
}

const until = (seen: Seen[], type: string, count = 1) =>
  waitUntil(
    async () => seen.filter((s) => s.type === type).length,
    (n) => n >= count,
    { timeoutMs: 10_000, what: `${count} ${type} event(s)` },
  );

describe("new WebSocket(url)", () => {
  it("opens, negotiates the subprotocol, and sends and receives text and binary", async () => {
    const ws = new WorkersWebSocket(url, ["v1", "v2"]);
    const seen = record(ws);
    expect(ws.readyState).toBe(0);
    expect(ws.url).toBe(url);
    expect(() => ws.accept()).toThrow(
      new TypeError("Websockets obtained from the 'new WebSocket()' constructor cannot call accept"),
    );
    expect(() => new WorkersResponse(null, { status: 101, webSocket: ws })).toThrow(
      new TypeError("Can't return WebSocket in a Response if it was created with `new WebSocket()`"),
    );
    await until(seen, "open");
    expect(ws.readyState).toBe(1);
    expect(ws.protocol).toBe("v2");
    ws.send("hi");
    ws.send(new Uint8Array([5, 6]));
    await until(seen, "message", 2);
    expect(seen[1]).toEqual({ type: "message", data: "hi" });
    expect([...new Uint8Array(seen[2]!.data as ArrayBuffer)]).toEqual([5, 6]);
    ws.close(1000, "done");
    await until(seen, "close");
    expect(seen.at(-1)).toEqual({ type: "close", code: 1000, reason: "done", wasClean: true });
    expect(ws.readyState).toBe(3);
  });

  it("hears the server's close code and reason", async () => {
    const ws = new WorkersWebSocket(url);
    const seen = record(ws);
    await until(seen, "open");
    expect(ws.protocol).toBeNull();
    ws.send("close me");
    await until(seen, "close");
    expect(seen.at(-1)).toEqual({ type: "close", code: 4005, reason: "upstream says bye", wasClean: true });
  });

  it("reports a connection that never opened as an error, then a 1006 close", async () => {
    const closed = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    await new Promise((resolve) => closed.once("listening", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const ws = new WorkersWebSocket(`ws://127.0.0.1:${port}`);
    const seen = record(ws);
    await until(seen, "close");
    expect(seen).toEqual([
      { type: "error" },
      { type: "close", code: 1006, reason: "Failed to establish websocket connection", wasClean: false },
    ]);
    expect(ws.readyState).toBe(3);
  });

  it("refuses bad URLs and subprotocols with Cloudflare's errors", () => {
    const refused = (target: string, protocols: unknown, message: string) => {
      let error: unknown;
      try {
        new WorkersWebSocket(target, protocols);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(DOMException);
      expect((error as DOMException).name).toBe("SyntaxError");
      expect((error as DOMException).message).toBe(`WebSocket Constructor: ${message}`);
    };
    refused("not a url", undefined, "The url is invalid.");
    refused("http://example.com/", undefined, "The url scheme must be ws or wss.");
    refused("ws://example.com/#part", undefined, "The url fragment must be empty.");
    refused(url, "a b", "The protocol header token is invalid.");
    refused(url, [], "The protocols array cannot be empty.");
    refused(url, ["ok", "no,pe"], "One of the protocol header tokens is invalid.");
    refused(url, ["v1", "v1"], "The protocols header cannot have repeating values.");
  });
});
