// WebSocket upgrades through the host's real HTTP server with a real `ws` client: the handler
// answers with a WebSocketPair end in a 101 Response, as a Worker does, and the connection is
// bridged both ways (text and binary kept, close codes carried, a vanished client reported).
// Other answers to an upgrade go back as plain HTTP; a 101 to a plain request becomes a 500.

import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { waitUntil } from "cairn/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket as Client } from "ws";
import { closeServer, createHttpServer, listen } from "../../../src/host/http-server.js";
import type { CloseEvent } from "../../../src/host/websockets/events.js";
import { WebSocketPair } from "../../../src/host/websockets/pair.js";
import { WorkersResponse } from "../../../src/host/websockets/response.js";
import type { WorkersWebSocket } from "../../../src/host/websockets/websocket.js";

type Seen = { type: string; data?: unknown; code?: number; reason?: string; wasClean?: boolean };

/** What the Worker's server ends saw, by the `id` query parameter of their request. */
const seenBy = new Map<string, Seen[]>();
const errors: unknown[] = [];

function watch(ws: WorkersWebSocket, id: string): void {
  const seen: Seen[] = [];
  seenBy.set(id, seen);
  ws.addEventListener("message", (event) =>
    seen.push({ type: "message", data: (event as MessageEvent).data }),
  );
  ws.addEventListener("close", (event) => {
    const { code, reason, wasClean } = event as CloseEvent;
    seen.push({ type: "close", code, reason, wasClean });
  });
  ws.addEventListener("error", () => seen.push({ type: "error" }));
}

/** A Worker-like handler: /echo echoes (and closes on "close-me"), /stray answers 101 to anything. */
async function handle(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const id = url.searchParams.get("id") ?? "";
  if (url.pathname === "/echo" || url.pathname === "/stray") {
    if (url.pathname === "/echo" && request.headers.get("upgrade") !== "websocket") {
      return new Response("Expected Upgrade: websocket", { status: 426 });
    }
    const [client, server] = new WebSocketPair();
    server.accept();
    watch(server, id);
    server.addEventListener("message", (event) => {
      const data = (event as MessageEvent).data;
      if (data === "close-me") server.close(4001, "asked to");
      else server.send(data);
    });
    const offered = request.headers.get("sec-websocket-protocol")?.split(/,\s*/) ?? [];
    const headers = new Headers({ "x-served-by": "test-worker" });
    if (offered.includes("chat")) headers.set("sec-websocket-protocol", "chat");
    return new WorkersResponse(null, { status: 101, webSocket: client, headers });
  }
  return new Response("no such thing", { status: 404 });
}

let server: ReturnType<typeof createHttpServer>;
let base: string;

beforeAll(async () => {
  server = createHttpServer(handle, (error) => errors.push(error), { headersMs: 300, checkEveryMs: 100 });
  const address: AddressInfo = await listen(server, 0, "127.0.0.1");
  base = `127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await closeServer(server);
});

function open(path: string, protocols?: string[]): Promise<Client> {
  const client = new Client(`ws://${base}${path}`, protocols);
  return new Promise((resolve, reject) => {
    client.once("open", () => resolve(client));
    client.once("error", reject);
  });
}

function nextMessage(client: Client): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) =>
    client.once("message", (data, isBinary) => resolve({ data: data as Buffer, isBinary })),
  );
}

function closed(client: Client): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    client.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

const seenOf = (id: string) =>
  waitUntil(
    async () => seenBy.get(id) ?? [],
    (seen) => seen.some((s) => s.type === "close" || s.type === "error"),
    { timeoutMs: 10_000, what: `the Worker's end ${id} to see a close` },
  );

describe("WebSocket upgrades in the host's HTTP server", () => {
  it("echoes text as text and binary as binary", async () => {
    const client = await open("/echo?id=echo");
    const text = nextMessage(client);
    client.send("hello");
    expect(await text).toEqual({ data: Buffer.from("hello"), isBinary: false });
    const binary = nextMessage(client);
    client.send(Buffer.from([0, 1, 2, 255]));
    expect(await binary).toEqual({ data: Buffer.from([0, 1, 2, 255]), isBinary: true });
    client.close(1000);
    const seen = await seenOf("echo");
    expect(seen[0]).toEqual({ type: "message", data: "hello" });
    expect([...new Uint8Array(seen[1]!.data as ArrayBuffer)]).toEqual([0, 1, 2, 255]);
  });

  it("carries the client's close code and reason to the Worker, and answers with the same", async () => {
    const client = await open("/echo?id=client-closes");
    const done = closed(client);
    client.close(4002, "client leaving");
    expect(await done).toEqual({ code: 4002, reason: "client leaving" });
    expect((await seenOf("client-closes")).at(-1)).toEqual({
      type: "close",
      code: 4002,
      reason: "client leaving",
      wasClean: true,
    });
  });

  it("carries the Worker's close code and reason to the client", async () => {
    const client = await open("/echo?id=worker-closes");
    const done = closed(client);
    client.send("close-me");
    expect(await done).toEqual({ code: 4001, reason: "asked to" });
    expect((await seenOf("worker-closes")).at(-1)).toMatchObject({
      type: "close",
      code: 4001,
      wasClean: true,
    });
  });

  it("tells the Worker of a client that vanished without a Close frame (code 1006, not clean)", async () => {
    const client = await open("/echo?id=vanished");
    client.terminate();
    expect((await seenOf("vanished")).at(-1)).toEqual({
      type: "close",
      code: 1006,
      reason: "WebSocket disconnected without sending Close frame.",
      wasClean: false,
    });
  });

  it("reports a client that breaks the protocol to the Worker as an error event", async () => {
    const client = await open("/echo?id=invalid-text");
    const done = closed(client);
    // A text frame that is not UTF-8: the server fails the connection with 1007.
    client.send(Buffer.from([0xff, 0xfe]), { binary: false });
    expect((await done).code).toBe(1007);
    const seen = await seenOf("invalid-text");
    expect(seen).toEqual([{ type: "error" }]);
  });

  it("completes the handshake with the subprotocol and headers of the 101 answer", async () => {
    const client = new Client(`ws://${base}/echo?id=protocol`, ["other", "chat"]);
    const upgrade = new Promise<Record<string, unknown>>((resolve) =>
      client.once("upgrade", (res) => resolve(res.headers)),
    );
    await new Promise((resolve) => client.once("open", resolve));
    expect(client.protocol).toBe("chat");
    expect(await upgrade).toMatchObject({ "x-served-by": "test-worker", "sec-websocket-protocol": "chat" });
    client.close();
  });

  it("writes any other answer to an upgrade back as plain HTTP and closes the connection", async () => {
    const client = new Client(`ws://${base}/missing`);
    const answer = await new Promise<{ status: number; body: string }>((resolve) => {
      client.once("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (chunk) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
    });
    expect(answer).toEqual({ status: 404, body: "no such thing" });
  });

  it("answers 500 and logs why when a 101 answers a request that is not an upgrade", async () => {
    const response = await fetch(`http://${base}/stray?id=stray`);
    expect(response.status).toBe(500);
    await response.text();
    expect(String(errors.at(-1))).toMatch(
      /answered GET \/stray\?id=stray with a 101 WebSocket response, but the request is not a valid WebSocket upgrade/,
    );
    expect((await seenOf("stray")).at(-1)).toMatchObject({ type: "close", code: 1006, wasClean: false });
  });

  /** Sends `head` on a raw connection and resolves with all that comes back before it closes. */
  async function raw(head: string): Promise<string> {
    const socket = connect({ host: "127.0.0.1", port: Number(base.split(":")[1]) });
    let received = "";
    socket.on("data", (chunk) => {
      received += chunk;
    });
    socket.write(head);
    await new Promise((resolve) => socket.once("close", resolve));
    return received;
  }

  it("answers 500 when the Worker's 101 answers an upgrade that is no valid WebSocket handshake", async () => {
    const answer = await raw(
      "GET /echo?id=no-key HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    );
    expect(answer).toMatch(/^HTTP\/1\.1 500 /);
    expect(answer.toLowerCase()).toContain("connection: close");
    expect((await seenOf("no-key")).at(-1)).toMatchObject({ type: "close", code: 1006, wasClean: false });
  });

  it("serves an upgrade to another protocol as a plain request without a body", async () => {
    const answer = await raw(
      "POST /missing HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 3\r\n\r\nabc",
    );
    expect(answer).toMatch(/^HTTP\/1\.1 404 /);
    expect(answer).toContain("no such thing");
  });

  it("still cuts off an upgrade request whose headers arrive too slowly", async () => {
    const socket = connect({ host: "127.0.0.1", port: Number(base.split(":")[1]) });
    let received = "";
    socket.on("data", (chunk) => {
      received += chunk;
    });
    socket.write("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n");
    await new Promise((resolve) => socket.once("close", resolve));
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("closes open WebSockets with 1001 when the server stops", async () => {
    const own = createHttpServer(handle, (error) => errors.push(error));
    const address = await listen(own, 0, "127.0.0.1");
    const client = new Client(`ws://127.0.0.1:${address.port}/echo?id=stopping`);
    await new Promise((resolve) => client.once("open", resolve));
    const done = closed(client);
    await closeServer(own);
    expect((await done).code).toBe(1001);
    expect((await seenOf("stopping")).at(-1)).toMatchObject({ type: "close", code: 1001, wasClean: true });
  });
});
