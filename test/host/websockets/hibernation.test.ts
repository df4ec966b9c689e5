// The Durable Object WebSocket hibernation API (the class a DO's ctx delegates to) with real
// clients through the host's HTTP server: tags and lookup by tag, attachments, the auto-response
// answered without a delivery, one close delivery per socket, closeAll, the event timeout, and
// Cloudflare's errors for bad input.

import type { AddressInfo } from "node:net";
import { waitUntil } from "cairn/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket as Client } from "ws";
import {
  HibernatableWebSockets,
  type HibernationEvent,
} from "../../../src/host/durable-objects/hibernation.js";
import { closeServer, createHttpServer, listen } from "../../../src/host/http-server.js";
import { WebSocketPair } from "../../../src/host/websockets/pair.js";
import { WebSocketRequestResponsePair } from "../../../src/host/websockets/request-response-pair.js";
import { WorkersResponse } from "../../../src/host/websockets/response.js";
import type { WorkersWebSocket } from "../../../src/host/websockets/websocket.js";

const delivered: { type: string; name: unknown; data?: unknown; code?: number; wasClean?: boolean }[] = [];
const deliveryErrors: { error: unknown; event: HibernationEvent }[] = [];
let stall: Promise<void> | null = null;

/** What an object's webSocketMessage/Close/Error would do: record, and echo or broadcast. */
async function deliver(event: HibernationEvent): Promise<void> {
  const name = (event.ws.deserializeAttachment() as { name: string } | null)?.name;
  if (event.type === "message") {
    delivered.push({ type: "message", name, data: event.data });
    if (event.data === "stall" && stall) await stall;
    const text = String(event.data);
    if (text.startsWith("to:")) {
      const [, tag, message] = text.split(":");
      for (const ws of sockets.getWebSockets(tag)) ws.send(message!);
    } else event.ws.send(`echo ${text}`);
  } else if (event.type === "close") {
    delivered.push({ type: "close", name, code: event.code, wasClean: event.wasClean });
  } else delivered.push({ type: "error", name });
}

const sockets = new HibernatableWebSockets(deliver, {
  onDeliveryError: (error, event) => deliveryErrors.push({ error, event }),
});

async function handle(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const [client, server] = new WebSocketPair();
  const tags = url.searchParams.get("tags")?.split(",").filter(Boolean) ?? [];
  sockets.acceptWebSocket(server, tags);
  server.serializeAttachment({ name: url.searchParams.get("name") });
  return new WorkersResponse(null, { status: 101, webSocket: client });
}

let server: ReturnType<typeof createHttpServer>;
let base: string;

beforeAll(async () => {
  server = createHttpServer(handle, () => {});
  const address: AddressInfo = await listen(server, 0, "127.0.0.1");
  base = `ws://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await closeServer(server);
});

/** A connected client that collects what it receives. */
async function join(name: string, tags: string[] = []) {
  const client = new Client(`${base}/?name=${name}&tags=${tags.join(",")}`);
  const received: string[] = [];
  client.on("message", (data) => received.push(String(data)));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    client.once("close", (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise((resolve) => client.once("open", resolve));
  return { client, received, closed };
}

const socketNamed = (name: string) =>
  sockets.getWebSockets().find((ws) => (ws.deserializeAttachment() as { name: string }).name === name)!;

function until<T>(read: () => T, ok: (value: T) => boolean, what: string) {
  return waitUntil(async () => read(), ok, { timeoutMs: 10_000, what });
}

describe("hibernatable WebSockets", () => {
  it("delivers messages with the socket (and its attachment), and finds sockets by tag", async () => {
    const ann = await join("ann", ["red"]);
    const bob = await join("bob", ["red", "blue"]);
    const cat = await join("cat", ["blue"]);
    expect(sockets.getWebSockets().length).toBe(3);
    expect(
      sockets.getWebSockets("red").map((ws) => (ws.deserializeAttachment() as { name: string }).name),
    ).toEqual(["ann", "bob"]);
    expect(sockets.getTags(socketNamed("bob"))).toEqual(["red", "blue"]);
    expect(sockets.getWebSockets("green")).toEqual([]);

    ann.client.send("hello");
    await until(
      () => ann.received,
      (r) => r.includes("echo hello"),
      "the echo",
    );
    expect(delivered).toContainEqual({ type: "message", name: "ann", data: "hello" });

    ann.client.send("to:blue:news");
    await until(
      () => [bob.received, cat.received],
      ([b, c]) => b!.includes("news") && c!.includes("news"),
      "the broadcast",
    );
    expect(ann.received).not.toContain("news");
    for (const member of [ann, bob, cat]) member.client.close(1000);
    await Promise.all([ann.closed, bob.closed, cat.closed]);
  });

  it("delivers one close per socket and stops listing it", async () => {
    const dan = await join("dan");
    const eve = await join("eve");
    dan.client.close(4000, "leaving");
    expect(await dan.closed).toEqual({ code: 4000, reason: "leaving" });
    eve.client.terminate();
    await until(
      () => delivered.filter((d) => d.type === "close" && (d.name === "dan" || d.name === "eve")),
      (closes) => closes.length === 2,
      "both closes",
    );
    const closes = delivered.filter((d) => d.type === "close" && (d.name === "dan" || d.name === "eve"));
    expect(closes).toEqual(
      expect.arrayContaining([
        { type: "close", name: "dan", code: 4000, wasClean: true },
        { type: "close", name: "eve", code: 1006, wasClean: false },
      ]),
    );
    expect(
      sockets.getWebSockets().map((ws) => (ws.deserializeAttachment() as { name: string }).name),
    ).not.toContain("dan");
    // A later close of the object's own end is ignored: nothing more is delivered.
    const count = delivered.length;
    const fay = await join("fay");
    fay.client.close(1000);
    await fay.closed;
    await until(
      () => delivered.length,
      (n) => n === count + 1,
      "fay's close",
    );
  });

  it("answers the auto-response request without a delivery and records when", async () => {
    sockets.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    expect(sockets.getWebSocketAutoResponse()?.request).toBe("ping");
    const gus = await join("gus");
    const ws = socketNamed("gus");
    expect(sockets.getWebSocketAutoResponseTimestamp(ws)).toBeNull();
    const before = delivered.length;
    gus.client.send("ping");
    await until(
      () => gus.received,
      (r) => r.includes("pong"),
      "the auto-response",
    );
    expect(delivered.length).toBe(before);
    expect(sockets.getWebSocketAutoResponseTimestamp(ws)).toBeInstanceOf(Date);
    gus.client.send("pingpong");
    await until(
      () => gus.received,
      (r) => r.includes("echo pingpong"),
      "a delivered message",
    );
    sockets.setWebSocketAutoResponse();
    expect(sockets.getWebSocketAutoResponse()).toBeNull();
    gus.client.send("ping");
    await until(
      () => gus.received,
      (r) => r.includes("echo ping"),
      "ping delivered once unset",
    );
    gus.client.close(1000);
    await gus.closed;
  });

  it("reports a delivery past the event timeout and goes on with the next event", async () => {
    sockets.setHibernatableWebSocketEventTimeout(50);
    expect(sockets.getHibernatableWebSocketEventTimeout()).toBe(50);
    stall = new Promise(() => {});
    const hal = await join("hal");
    hal.client.send("stall");
    hal.client.send("after");
    await until(
      () => hal.received,
      (r) => r.includes("echo after"),
      "the event after the stalled one",
    );
    expect(String(deliveryErrors.at(-1)?.error)).toContain(
      "ran past the 50 ms hibernatable WebSocket event timeout",
    );
    stall = null;
    sockets.setHibernatableWebSocketEventTimeout(0);
    expect(sockets.getHibernatableWebSocketEventTimeout()).toBeNull();
    hal.client.close(1000);
    await hal.closed;
  });

  it("closeAll closes every socket with the code given and delivers nothing more", async () => {
    const ivy = await join("ivy", ["x"]);
    const jon = await join("jon");
    const before = delivered.length;
    sockets.closeAll(1012, "restarting");
    expect(await ivy.closed).toEqual({ code: 1012, reason: "restarting" });
    expect(await jon.closed).toEqual({ code: 1012, reason: "restarting" });
    expect(sockets.getWebSockets()).toEqual([]);
    expect(delivered.length).toBe(before);
  });
});

describe("hibernation API errors", () => {
  const fresh = () => new HibernatableWebSockets(async () => {});

  it("refuses too many tags and too long a tag, with Cloudflare's errors", () => {
    const api = fresh();
    const tooMany = Array.from({ length: 11 }, (_, i) => `t${i}`);
    expect(() => api.acceptWebSocket(new WebSocketPair()[1], tooMany)).toThrow(
      new Error("a Hibernatable WebSocket cannot have more than 10 tags"),
    );
    const long = "x".repeat(257);
    expect(() => api.acceptWebSocket(new WebSocketPair()[1], [long])).toThrow(
      new Error(`"${long}" is longer than the max tag length (256 characters).`),
    );
    // Duplicates count once; like Cloudflare, the count is checked before a tag is looked at, so
    // any tag after ten distinct ones is refused, even a repeat.
    const ws = new WebSocketPair()[1];
    api.acceptWebSocket(ws, ["a", "b", "a", "c", "b"]);
    expect(api.getTags(ws)).toEqual(["a", "b", "c"]);
    expect(() =>
      api.acceptWebSocket(new WebSocketPair()[1], [...Array.from({ length: 10 }, (_, i) => `t${i}`), "t0"]),
    ).toThrow(/cannot have more than 10 tags/);
    expect(() => api.acceptWebSocket(new WebSocketPair()[1], "red" as never)).toThrow(TypeError);
  });

  it("refuses a socket that was accepted, or whose pair was, and accept() after acceptWebSocket()", () => {
    const api = fresh();
    const [client, server] = new WebSocketPair();
    server.accept();
    expect(() => api.acceptWebSocket(server)).toThrow(
      new Error("Cannot call `acceptWebSocket()` if the WebSocket was already accepted via `accept()`"),
    );
    expect(() => api.acceptWebSocket(client)).toThrow(
      new Error(
        "Cannot call `acceptWebSocket()` on this WebSocket because its pair has already been accepted or used in a Response.",
      ),
    );
    const [, hibernated] = new WebSocketPair();
    api.acceptWebSocket(hibernated);
    expect(() => hibernated.accept()).toThrow(
      new TypeError("Can't accept() WebSocket after enabling hibernation."),
    );
    expect(() => api.acceptWebSocket(hibernated)).toThrow(/already accepted/);
    expect(() => api.acceptWebSocket({} as WorkersWebSocket)).toThrow(TypeError);
  });

  it("getTags needs a hibernatable socket", () => {
    const api = fresh();
    const [a, b] = new WebSocketPair();
    expect(() => api.getTags(a)).toThrow(
      new Error("you must call 'acceptWebSocket()' before attempting to access the tags of a WebSocket."),
    );
    b.accept();
    expect(() => api.getTags(b)).toThrow(new Error("only hibernatable websockets can have tags."));
  });

  it("refuses an auto-response side over 2048 bytes, and a value that is not a pair", () => {
    const api = fresh();
    expect(() =>
      api.setWebSocketAutoResponse(new WebSocketRequestResponsePair("x".repeat(2049), "ok")),
    ).toThrow(
      new RangeError("Request cannot be larger than 2048 bytes. A request of size 2049 was provided."),
    );
    expect(() =>
      api.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ok", "é".repeat(1025))),
    ).toThrow(
      new RangeError("Response cannot be larger than 2048 bytes. A response of size 2050 was provided."),
    );
    expect(() => api.setWebSocketAutoResponse({ request: "a", response: "b" } as never)).toThrow(TypeError);
    expect(() => new (WebSocketRequestResponsePair as any)("only one")).toThrow(
      /2 arguments required, but only 1 present/,
    );
    expect(api.getWebSocketAutoResponse()).toBeNull();
  });

  it("refuses an event timeout over seven days or not a whole number of milliseconds", () => {
    const api = fresh();
    expect(() => api.setHibernatableWebSocketEventTimeout(604_800_001)).toThrow(
      new Error("Event timeout should not exceed 604800000 ms."),
    );
    expect(() => api.setHibernatableWebSocketEventTimeout(-1)).toThrow(TypeError);
    expect(() => api.setHibernatableWebSocketEventTimeout(1.5)).toThrow(TypeError);
    api.setHibernatableWebSocketEventTimeout(604_800_000);
    expect(api.getHibernatableWebSocketEventTimeout()).toBe(604_800_000);
  });
});
