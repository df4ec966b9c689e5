// Serves a fetch handler over Node's HTTP server: each request becomes a web `Request` (streamed
// body, an AbortSignal that fires when the client goes away), and the `Response` is streamed
// back with its status and headers (several Set-Cookie headers kept apart). A client that sends
// its request too slowly is cut off (HTTP_TIMEOUTS), and one whose body the answer left unread
// (a 413) has its connection closed instead of its body read to the end. A WebSocket upgrade goes
// to the same handler; a 101 answer with a WebSocket end is bridged to the client (websockets/).

import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CF_CODE } from "../server/api-error.js";
import { fail } from "../server/envelope.js";
import { fixedLengthOf } from "./runtime/byte-streams.js";
import { responseWebSocket } from "./websockets/response.js";
import { notAnUpgrade, WebSocketUpgrades } from "./websockets/upgrade.js";
import { ABANDON } from "./websockets/websocket.js";

export type FetchHandler = (request: Request) => Promise<Response>;

/** How long a client may take to send its request, and how long an idle connection stays open. */
export type HttpTimeouts = {
  /** The request line and headers must all arrive within this (Node answers 408 and closes). */
  headersMs: number;
  /** The whole request, body included, must arrive within this (Node answers 408 and closes). */
  requestMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveMs: number;
  /** How often Node looks for connections past the first two bounds (a cut-off comes this late). */
  checkEveryMs: number;
};

/**
 * The bounds `cairn dev` and `cairn start` serve with. A slow-loris client (headers byte by byte,
 * a body trickled in) holds its connection at most `requestMs + checkEveryMs`; an 8 MiB body
 * needs about 140 KB/s to arrive in time. A response (a change feed) may last any time.
 */
export const HTTP_TIMEOUTS: HttpTimeouts = {
  headersMs: 10_000,
  requestMs: 60_000,
  keepAliveMs: 5_000,
  checkEveryMs: 1_000,
};

/**
 * The request's URL. The path is kept as sent (a target starting with "//" is a path, not a
 * host), and a Host header that is no valid authority does not break the request: the URL then
 * names the socket's own address, and the header is passed on as it came for the API to refuse.
 */
function requestUrl(req: IncomingMessage): URL {
  const local = `${req.socket.localFamily === "IPv6" ? `[${req.socket.localAddress}]` : req.socket.localAddress}:${req.socket.localPort}`;
  const target = req.url ?? "/";
  for (const host of [req.headers.host, local]) {
    if (!host) continue;
    try {
      const url = target.startsWith("/")
        ? new URL(`http://${host}${target}`)
        : new URL(target, `http://${host}`);
      if (url.host !== "" && !url.username && !url.password) return url;
    } catch {
      // Try the socket's address.
    }
  }
  return new URL("http://localhost/");
}

function toRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const url = requestUrl(req);
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
    headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  if (!headers.has("cf-connecting-ip") && req.socket.remoteAddress) {
    headers.set("cf-connecting-ip", req.socket.remoteAddress);
  }
  const method = req.method ?? "GET";
  // An upgrade request's bytes after its head belong to the new protocol, not to a body.
  const hasBody = method !== "GET" && method !== "HEAD" && !(req as { upgrade?: boolean }).upgrade;
  return new Request(url, {
    method,
    headers,
    signal,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream, duplex: "half" } : {}),
  } as RequestInit);
}

/** Methods the fetch standard forbids: a `Request` cannot carry them, so no handler sees them. */
const UNSERVED_METHODS = new Set(["TRACE", "TRACK"]);

/** The answer to a method no handler can be given, in Cloudflare's envelope like the API's. */
function unservedMethod(method: string): Response {
  return fail(
    {
      status: 405,
      cfCode: CF_CODE.invalid,
      code: "method.not_allowed",
      message: `${method} is not served here: it has no meaning for this server`,
    },
    { allow: "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS" },
  );
}

/**
 * Answers a request Node's parser refused before any handler saw it (a timeout, a head over
 * 16 KiB, bytes that are not HTTP) in the envelope too, then closes the connection. Nothing is
 * written when an answer is already under way or the client is gone.
 */
function refuseUnparsed(error: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable || socket.bytesWritten > 0) {
    socket.destroy();
    return;
  }
  const refusal =
    error.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? { status: 408, code: "request.timeout", message: "the request did not arrive in time" }
      : error.code === "HPE_HEADER_OVERFLOW"
        ? {
            status: 431,
            code: "request.too_large",
            message: "the request line and headers are over 16384 bytes",
          }
        : {
            status: 400,
            code: "request.invalid",
            message: `the request is not valid HTTP (${error.code ?? "unknown"})`,
          };
  // An answer to HEAD has no body: when the refused bytes start with HEAD, the headers go alone.
  const raw = (error as { rawPacket?: Buffer }).rawPacket;
  const head = raw !== undefined && /^HEAD /i.test(raw.subarray(0, 5).toString("latin1"));
  const body = head
    ? ""
    : JSON.stringify({
        success: false,
        errors: [{ code: CF_CODE.invalid, message: refusal.message, cairn_code: refusal.code }],
        messages: [],
        result: null,
      });
  socket.end(
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}

/** Bodies of a declared length up to this size are sent with the headers in one write. */
const BUFFERED_BODY_BYTES = 64 * 1024;

async function writeResponse(req: IncomingMessage, res: ServerResponse, response: Response): Promise<void> {
  const method = req.method ?? "GET";
  const raw: string[] = [];
  for (const [name, value] of response.headers) if (name !== "set-cookie") raw.push(name, value);
  for (const cookie of response.headers.getSetCookie()) raw.push("set-cookie", cookie);
  // A body the answer did not read (a 413, a refused token) is not read to its end to keep the
  // connection: the connection is closed once the answer is out.
  if (!req.complete && !response.headers.has("connection")) raw.push("connection", "close");
  // A FixedLengthStream body declares its length: it goes out as Content-Length, not chunked.
  const fixed = response.body ? fixedLengthOf(response.body) : undefined;
  if (fixed !== undefined && !response.headers.has("content-length"))
    raw.push("content-length", String(fixed));
  const length = Number(response.headers.get("content-length") ?? fixed ?? Number.NaN);
  // A small body of known length (the API's JSON answers) goes out with its headers in one
  // write; any other body is streamed as it comes.
  const body =
    response.body && method !== "HEAD" && length <= BUFFERED_BODY_BYTES
      ? Buffer.from(await response.arrayBuffer())
      : null;
  if (response.statusText) res.writeHead(response.status, response.statusText, raw);
  else res.writeHead(response.status, raw);
  if (body) {
    res.end(body);
    return;
  }
  if (!response.body || method === "HEAD") {
    // A HEAD answer's body is never read: cancel it, so a stream behind it (a change feed) ends.
    await response.body?.cancel().catch(() => {});
    res.end();
    return;
  }
  await pipeline(Readable.fromWeb(response.body as import("node:stream/web").ReadableStream), res);
}

/** A 101 WebSocket answer to a request that is no upgrade: the Worker's end drops, the client gets a 500. */
function refuseStrayWebSocket(req: IncomingMessage, response: Response, onError: (error: unknown) => void) {
  const end = responseWebSocket(response);
  if (!end) return response;
  end[ABANDON]();
  onError(notAnUpgrade(req));
  return new Response("Internal Server Error", { status: 500 });
}

/** The WebSocket connections of each server, closed with 1001 when it stops. */
const upgradesOf = new WeakMap<Server, WebSocketUpgrades>();

/**
 * An HTTP server calling `handle` for every request (WebSocket upgrades included); `onError` sees failures of the plumbing.
 * `timeouts` replaces some of HTTP_TIMEOUTS (tests use short ones).
 */
export function createHttpServer(
  handle: FetchHandler,
  onError: (error: unknown) => void,
  timeouts: Partial<HttpTimeouts> = {},
): Server {
  const bounds = { ...HTTP_TIMEOUTS, ...timeouts };
  const server = createServer(
    {
      headersTimeout: bounds.headersMs,
      requestTimeout: bounds.requestMs,
      keepAliveTimeout: bounds.keepAliveMs,
      connectionsCheckingInterval: bounds.checkEveryMs,
    },
    (req, res) => {
      const aborted = new AbortController();
      res.on("close", () => {
        if (!res.writableFinished) aborted.abort();
      });
      void (async () => {
        try {
          const method = (req.method ?? "GET").toUpperCase();
          const response = UNSERVED_METHODS.has(method)
            ? unservedMethod(method)
            : await handle(toRequest(req, aborted.signal));
          await writeResponse(req, res, refuseStrayWebSocket(req, response, onError));
        } catch (error) {
          if (aborted.signal.aborted) return;
          onError(error);
          if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
          res.end();
        }
      })();
    },
  );
  server.on("clientError", refuseUnparsed);
  const upgrades = new WebSocketUpgrades();
  upgradesOf.set(server, upgrades);
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    void upgrades.serve(req, socket, head, {
      answer: async (signal) => {
        const method = (req.method ?? "GET").toUpperCase();
        return UNSERVED_METHODS.has(method) ? unservedMethod(method) : handle(toRequest(req, signal));
      },
      write: (res, response) => writeResponse(req, res, response),
      onError,
    });
  });
  return server;
}

/** Connections the kernel may hold waiting to be accepted (it caps this at net.core.somaxconn). */
const LISTEN_BACKLOG = 4096;

/** Listens on `ip:port` (port 0 picks a free one) and resolves with the address bound. */
export function listen(server: Server, port: number, ip: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    // A deeper accept queue than Node's 511, so a burst of clients connecting at once (a
    // thousand pollers) waits to be accepted instead of having its handshakes dropped.
    server.listen({ port, host: ip, backlog: LISTEN_BACKLOG }, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/**
 * Stops accepting connections and resolves once open ones are done (idle ones closed at once,
 * WebSocket connections closed with 1001).
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    void upgradesOf.get(server)?.closeAll();
  });
}
