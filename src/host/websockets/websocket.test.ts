// The Workers WebSocket API between the two ends of a pair, in one process: what is sent before
// accept waits, text stays text and binary binary, a close is answered with the same code, and
// misuse gets Cloudflare's errors.

import { describe, expect, it, vi } from "vitest";
import { autoReplyToCloseFor, setAutoReplyToClose } from "./compatibility.js";
import type { CloseEvent } from "./events.js";
import { WebSocketPair } from "./pair.js";
import { ABANDON, COUPLE, type WorkersWebSocket } from "./websocket.js";

type Seen = { type: string; data?: unknown; code?: number; reason?: string; wasClean?: boolean };

/** Records what an end's listeners are told. */
function record(ws: WorkersWebSocket): Seen[] {
  const seen: Seen[] = [];
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

/** Lets queued deliveries run (they go out in microtasks). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function acceptedPair() {
  const [client, server] = Object.values(new WebSocketPair()) as [WorkersWebSocket, WorkersWebSocket];
  client.accept();
  server.accept();
  return { client, server, atClient: record(client), atServer: record(server) };
}

describe("WebSocketPair", () => {
  it("has ends 0 and 1 that are iterable, indexable and WebSockets of each other", async () => {
    const pair = new WebSocketPair();
    const [a, b] = pair;
    expect(a).toBe(pair[0]);
    expect(b).toBe(pair[1]);
    expect(Object.values(pair)).toEqual([a, b]);
    expect(a.readyState).toBe(1);
    expect(a.url).toBeNull();
    a.accept();
    b.accept();
    const seen = record(b);
    a.send("hello");
    await settle();
    expect(seen).toEqual([{ type: "message", data: "hello" }]);
  });

  it("queues what arrives before accept and delivers it in order once accepted", async () => {
    const [client, server] = new WebSocketPair();
    client.accept();
    client.send("one");
    client.send(new Uint8Array([1, 2, 3]));
    client.close(4000, "done");
    await settle();
    const seen = record(server);
    expect(seen).toEqual([]);
    server.accept();
    await settle();
    expect(seen).toEqual([
      { type: "message", data: "one" },
      { type: "message", data: new Uint8Array([1, 2, 3]).buffer },
      { type: "close", code: 4000, reason: "done", wasClean: true },
    ]);
  });

  it("keeps text as a string and binary as an ArrayBuffer copy (views included)", async () => {
    const { client, atServer } = acceptedPair();
    const bytes = new Uint8Array([9, 8, 7, 6]);
    client.send(bytes.subarray(1, 3));
    client.send(bytes.buffer);
    bytes[1] = 0;
    await settle();
    expect(atServer[0]!.data).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(atServer[0]!.data as ArrayBuffer)]).toEqual([8, 7]);
    expect([...new Uint8Array(atServer[1]!.data as ArrayBuffer)]).toEqual([9, 8, 7, 6]);
  });

  it("answers a close with the same code, so both ends end CLOSED and both see the close", async () => {
    const { client, server, atClient, atServer } = acceptedPair();
    let stateAtEvent = -1;
    server.addEventListener("close", () => {
      stateAtEvent = server.readyState;
    });
    client.close(1000, "bye");
    expect(client.readyState).toBe(2);
    await settle();
    expect(stateAtEvent).toBe(3);
    expect(atServer).toEqual([{ type: "close", code: 1000, reason: "bye", wasClean: true }]);
    expect(atClient).toEqual([{ type: "close", code: 1000, reason: "bye", wasClean: true }]);
    expect(client.readyState).toBe(3);
    // Closing again after the answer is ignored, as Cloudflare does.
    server.close(1000);
  });

  it("before the 2026-04-07 compatibility date, leaves the answer to the Worker's close()", async () => {
    setAutoReplyToClose(false);
    try {
      const { client, server, atClient } = acceptedPair();
      let stateAtEvent = -1;
      server.addEventListener("close", () => {
        stateAtEvent = server.readyState;
        server.close(4321, "my own words");
      });
      client.close(1000, "bye");
      await settle();
      expect(stateAtEvent).toBe(2);
      expect(server.readyState).toBe(3);
      expect(atClient).toEqual([{ type: "close", code: 4321, reason: "my own words", wasClean: true }]);
    } finally {
      setAutoReplyToClose(true);
    }
  });

  it("answers Close frames from the 2026-04-07 compatibility date or with the flag", () => {
    expect(autoReplyToCloseFor({ date: "2026-04-07", flags: [] })).toBe(true);
    expect(autoReplyToCloseFor({ date: "2026-04-06", flags: [] })).toBe(false);
    expect(autoReplyToCloseFor({ date: undefined, flags: [] })).toBe(false);
    expect(autoReplyToCloseFor({ date: "2024-01-01", flags: ["web_socket_auto_reply_to_close"] })).toBe(true);
  });

  it("reports a close without a code as 1005", async () => {
    const { client, atServer } = acceptedPair();
    client.close();
    await settle();
    expect(atServer).toEqual([{ type: "close", code: 1005, reason: "", wasClean: true }]);
  });

  it("with allowHalfOpen leaves the answer to the Worker", async () => {
    const [client, server] = new WebSocketPair();
    client.accept();
    server.accept({ allowHalfOpen: true });
    const atClient = record(client);
    client.close(1000);
    await settle();
    expect(server.readyState).toBe(2);
    expect(atClient).toEqual([]);
    server.send("last word");
    server.close(1001, "later");
    await settle();
    expect(atClient).toEqual([
      { type: "message", data: "last word" },
      { type: "close", code: 1001, reason: "later", wasClean: true },
    ]);
  });

  it("refuses send and close before accept, and send after close, with Cloudflare's errors", () => {
    const [client] = new WebSocketPair();
    const notAccepted =
      "You must call one of accept() or state.acceptWebSocket() on this WebSocket before sending messages.";
    expect(() => client.send("x")).toThrow(new TypeError(notAccepted));
    expect(() => client.close()).toThrow(new TypeError(notAccepted));
    client.accept();
    client.close(1000);
    expect(() => client.send("x")).toThrow(new TypeError("Can't call WebSocket send() after close()."));
  });

  it("validates close codes and reasons as Cloudflare does", () => {
    const { client } = acceptedPair();
    for (const code of [999, 1004, 1005, 1006, 1015, 5000, 1000.5]) {
      expect(() => client.close(code)).toThrow(new TypeError(`Invalid WebSocket close code: ${code}.`));
    }
    expect(() => client.close(undefined, "why")).toThrow(
      new TypeError("If you specify a WebSocket close reason, you must also specify a code."),
    );
    expect(() => client.close(1000, "é".repeat(62))).toThrow(
      /124 bytes of UTF-8; a Close frame carries at most 123/,
    );
    expect(client.readyState).toBe(1);
    client.close(4999, "x".repeat(123));
    expect(client.readyState).toBe(2);
  });

  it("tells the other end when a returned end never reached a client, and drops later sends", async () => {
    const [client, server] = new WebSocketPair();
    server.accept();
    const atServer = record(server);
    client[ABANDON]();
    await settle();
    expect(atServer).toEqual([
      {
        type: "close",
        code: 1006,
        reason: "WebSocket disconnected without sending Close frame.",
        wasClean: false,
      },
    ]);
    expect(server.readyState).toBe(2);
    server.send("into the void");
    server.close(1000);
    expect(() => client.accept()).toThrow(
      new TypeError("Can't accept() WebSocket that was already used in a response."),
    );
  });

  it("reports an exception thrown by a listener instead of crashing, and later listeners still run", async () => {
    const { client, server } = acceptedPair();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const after: unknown[] = [];
    server.addEventListener("message", () => {
      throw new Error("listener broke");
    });
    server.addEventListener("message", async () => {
      throw new Error("async listener broke");
    });
    server.addEventListener("message", (event) => after.push((event as MessageEvent).data));
    client.send("x");
    await settle();
    expect(after).toEqual(["x"]);
    expect(errors.mock.calls.map((call) => (call[1] as Error).message).sort()).toEqual([
      "async listener broke",
      "listener broke",
    ]);
    errors.mockRestore();
  });

  it("removes a listener with removeEventListener", async () => {
    const { client, server } = acceptedPair();
    const seen: unknown[] = [];
    const listener = (event: Event) => seen.push((event as MessageEvent).data);
    server.addEventListener("message", listener);
    client.send("a");
    await settle();
    server.removeEventListener("message", listener);
    client.send("b");
    await settle();
    expect(seen).toEqual(["a"]);
  });

  it("keeps a structured-clone attachment and refuses one over 16 KiB", () => {
    const [ws] = new WebSocketPair();
    expect(ws.deserializeAttachment()).toBeNull();
    const value = { user: "ada", joined: new Date(0), seen: new Map([["a", 1]]) };
    ws.serializeAttachment(value);
    value.user = "changed";
    const back = ws.deserializeAttachment() as typeof value;
    expect(back).toEqual({ user: "ada", joined: new Date(0), seen: new Map([["a", 1]]) });
    expect(back).not.toBe(ws.deserializeAttachment());
    expect(() => ws.serializeAttachment("x".repeat(20_000))).toThrow(
      /^A WebSocket 'attachment' cannot be larger than 16384 bytes\.'attachment' was 2000\d bytes\.$/,
    );
    expect(() => ws.serializeAttachment(() => 1)).toThrow(/could not be cloned/);
    expect((ws.deserializeAttachment() as typeof value).user).toBe("ada");
  });

  it("offers the ready-state constants on the class and its ends", () => {
    const [ws] = new WebSocketPair();
    const Class = ws.constructor as unknown as Record<string, number>;
    expect([Class.READY_STATE_OPEN, Class.OPEN, Class.CLOSED, ws.READY_STATE_CLOSING]).toEqual([1, 1, 3, 2]);
  });
});

describe("a coupled end", () => {
  it("pauses the client connection while the Worker's end has too much unread, and resumes it after", async () => {
    const [client, server] = new WebSocketPair();
    const calls: string[] = [];
    const fromClient = client[COUPLE]({
      send: () => {},
      close: () => {},
      pause: () => calls.push("pause"),
      resume: () => calls.push("resume"),
    });
    for (let i = 0; i < 1100; i++) fromClient({ kind: "message", data: `m${i}` });
    expect(calls).toEqual(["pause"]);
    const seen = record(server);
    server.accept();
    await settle();
    expect(seen).toHaveLength(1100);
    expect(calls).toEqual(["pause", "resume"]);
  });

  it("sends what the Worker sent before coupling first, then the rest", () => {
    const [client, server] = new WebSocketPair();
    server.accept();
    server.send("early");
    const sent: unknown[] = [];
    client[COUPLE]({
      send: (data) => sent.push(data),
      close: (code) => sent.push(code),
      pause() {},
      resume() {},
    });
    server.send("late");
    server.close(4000);
    expect(sent).toEqual(["early", "late", 4000]);
    expect(() => client[COUPLE]({ send() {}, close() {}, pause() {}, resume() {} })).toThrow(
      new TypeError("Can't return WebSocket that was already used in a response."),
    );
  });
});
