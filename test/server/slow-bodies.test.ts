// Slow and oversized requests on a real listening socket, sent from raw TCP sockets: a client
// trickling its headers or its body is cut off by the server within a bound, a body over the
// limit is refused with 413 without being read to its end (declared or chunked), and other
// clients are answered all the while. The server runs with short timeouts so the bounds are
// reached quickly; the defaults are the same mechanism with longer numbers.

import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiServer, startApiServer } from "./helpers/api-server.js";
import { workflows } from "./workflows.js";

const E = "/cdn-cgi/local/explorer/api";
const TIMEOUTS = { headersMs: 400, requestMs: 800, keepAliveMs: 400, checkEveryMs: 50 };
/** Far above the timeouts: a server that never cuts the client off fails, a slow machine does not. */
const GENEROUS_MS = 15_000;

let api: ApiServer<typeof workflows>;
let port: number;
beforeAll(async () => {
  api = await startApiServer(workflows, { timeouts: TIMEOUTS });
  port = Number(new URL(api.url).port);
});
afterAll(async () => {
  await api?.close();
});

type Raw = { socket: Socket; received: () => string; closed: Promise<void>; sent: () => number };

/** A raw TCP client: what it received, the bytes it wrote, and a promise of the server closing it. */
async function open(): Promise<Raw> {
  const socket = connect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let text = "";
  let sent = 0;
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => {
    text += chunk;
  });
  // A reset after the server gave up on us counts as closed too.
  socket.on("error", () => {});
  const write = socket.write.bind(socket);
  socket.write = ((data: string | Uint8Array, ...rest: never[]) => {
    sent += typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
    return write(data, ...rest);
  }) as typeof socket.write;
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  return { socket, received: () => text, closed, sent: () => sent };
}

/** Resolves once the server closed the socket; fails when it has not within GENEROUS_MS. */
async function closedByServer(raw: Raw, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still open after ${GENEROUS_MS} ms`)), GENEROUS_MS);
  });
  try {
    await Promise.race([raw.closed, timeout]);
  } finally {
    clearTimeout(timer);
    raw.socket.destroy();
  }
}

/** Writes `bytes` one at a time, one per tick of `everyMs`, until the socket closes. */
function trickle(raw: Raw, bytes: string, everyMs: number): void {
  let at = 0;
  const timer = setInterval(() => {
    if (raw.socket.destroyed || at >= bytes.length) {
      clearInterval(timer);
      return;
    }
    raw.socket.write(bytes[at++]!);
  }, everyMs);
  void raw.closed.then(() => clearInterval(timer));
}

/** Another client's read is answered while a slow one is connected. */
async function othersAreServed(): Promise<void> {
  const answer = await api.call("GET", `${E}/workflows`, undefined, { host: "localhost" });
  expect(answer.status).toBe(200);
}

describe("a slow client", () => {
  it("sending its headers a byte at a time is answered 408 and cut off, while others are served", async () => {
    const raw = await open();
    trickle(raw, `GET ${E}/workflows HTTP/1.1\r\nHost: localhost\r\nX-Slow: ${"x".repeat(10_000)}`, 20);
    await othersAreServed();
    await closedByServer(raw, "a client trickling its headers");
    expect(raw.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("trickling its body is answered 408 and cut off, while others are served, and nothing is reported as the server's fault", async () => {
    const raw = await open();
    raw.socket.write(
      `POST ${E}/workflows/quick/instances HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`,
    );
    trickle(raw, `{"params":"${"x".repeat(980)}"}`, 20);
    await othersAreServed();
    await closedByServer(raw, "a client trickling its body");
    expect(raw.received()).toMatch(/^HTTP\/1\.1 408 /);
    // No instance was created from the half body.
    const list = await api.call("GET", `${E}/workflows/quick/instances`, undefined, { host: "localhost" });
    expect(list.body.result).toEqual([]);
  });

  it("that goes quiet on a kept-alive connection is closed", async () => {
    const raw = await open();
    raw.socket.write(`GET ${E}/workflows HTTP/1.1\r\nHost: localhost\r\n\r\n`);
    await closedByServer(raw, "an idle kept-alive connection");
    expect(raw.received()).toMatch(/^HTTP\/1\.1 200 /);
  });
});

describe("an oversized body", () => {
  const LIMIT = 8 * 1024 * 1024;

  it("declared over the limit is answered 413 at once and the connection closed, without the body being sent", async () => {
    const raw = await open();
    raw.socket.write(
      `POST ${E}/workflows/quick/instances HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${100 * LIMIT}\r\n\r\n{"params":"`,
    );
    await othersAreServed();
    await closedByServer(raw, "a client declaring 800 MiB");
    expect(raw.received()).toMatch(/^HTTP\/1\.1 413 /);
    expect(raw.received()).toMatch(/\r\nconnection: close\r\n/i);
    expect(raw.received()).toContain('"cairn_code":"request.too_large"');
    expect(raw.sent()).toBeLessThan(1024);
  });

  it("sent chunked is answered 413 once over the limit and the connection closed, long before it ends", async () => {
    const raw = await open();
    raw.socket.write(
      `POST ${E}/workflows/quick/instances HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
    );
    const chunk = `10000\r\n${"x".repeat(0x10000)}\r\n`;
    // Writes as fast as the server reads, until it answers or closes (or 64 MiB are out).
    while (!raw.socket.destroyed && raw.received() === "" && raw.sent() < 8 * LIMIT) {
      if (!raw.socket.write(chunk)) {
        await Promise.race([new Promise((resolve) => raw.socket.once("drain", resolve)), raw.closed]);
      }
    }
    await closedByServer(raw, "a client sending a chunked body without end");
    expect(raw.received()).toMatch(/^HTTP\/1\.1 413 /);
    expect(raw.sent()).toBeLessThan(2 * LIMIT);
    await othersAreServed();
  });
});

/** Sends `bytes` at once and resolves with all the server answered once it closed the socket. */
async function exchange(bytes: string): Promise<string> {
  const raw = await open();
  raw.socket.write(bytes);
  await closedByServer(raw, "a request the server refuses");
  return raw.received();
}

/** The answer's status line and its body parsed (the envelope). */
function parse(answer: string): { statusLine: string; envelope: any } {
  const [head, body] = answer.split("\r\n\r\n", 2) as [string, string];
  return { statusLine: head.split("\r\n")[0]!, envelope: JSON.parse(body) };
}

describe("requests no handler can be given", () => {
  it("answers TRACE with 405 method.not_allowed in the envelope, not a 500 (a fetch Request cannot carry TRACE)", async () => {
    const answer = await exchange(
      `TRACE ${E}/workflows HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    expect(answer).toMatch(/\r\nallow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n/i);
    expect(answer).toContain('"errors":[{"code":10001,"message":"TRACE is not served here');
    expect(answer).toContain('"cairn_code":"method.not_allowed"');
  });

  it("answers bytes that are not HTTP with 400 request.invalid in the envelope, where Node sent a bare 400", async () => {
    const { statusLine, envelope } = parse(
      await exchange(`GET ${E}/workflows/é HTTP/1.1\r\nHost: localhost\r\n\r\n`),
    );
    expect(statusLine).toBe("HTTP/1.1 400 Bad Request");
    expect(envelope).toMatchObject({ success: false, result: null });
    expect(envelope.errors[0]).toMatchObject({ code: 10001, cairn_code: "request.invalid" });
  });

  it("answers a HEAD that is not HTTP with the headers alone", async () => {
    const answer = await exchange(`HEAD ${E}/workflows/é HTTP/1.1\r\nHost: localhost\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toMatch(/\r\ncontent-length: 0\r\nconnection: close\r\n\r\n$/);
  });

  it("answers a request head over 16 KiB with 431 request.too_large in the envelope", async () => {
    const { statusLine, envelope } = parse(
      await exchange(
        `GET ${E}/workflows HTTP/1.1\r\nHost: localhost\r\nX-Big: ${"b".repeat(20_000)}\r\n\r\n`,
      ),
    );
    expect(statusLine).toBe("HTTP/1.1 431 Request Header Fields Too Large");
    expect(envelope.errors[0]).toMatchObject({ cairn_code: "request.too_large" });
    expect(envelope.errors[0].message).toContain("16384 bytes");
  });

  it("answers a slow client's 408 in the envelope too", async () => {
    const raw = await open();
    raw.socket.write(`GET ${E}/workflows HTTP/1.1\r\nHost: localhost\r\n`);
    await closedByServer(raw, "a client that never ends its headers");
    const { statusLine, envelope } = parse(raw.received());
    expect(statusLine).toBe("HTTP/1.1 408 Request Timeout");
    expect(envelope.errors[0]).toMatchObject({ cairn_code: "request.timeout" });
  });
});
