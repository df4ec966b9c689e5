// WebSocket upgrades on the host's HTTP server. An upgrade request goes to the same handler as any
// request (so providers and the Worker see it); a 101 answer with a WebSocket end completes the
// handshake with `ws` (the subprotocol and other headers of the answer included) and bridges the
// connection; any other answer is written back as plain HTTP and the connection closed. On stop,
// open connections are closed with 1001 (going away).

import type { IncomingMessage, ServerResponse } from "node:http";
import { ServerResponse as NodeServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket as ClientSocket, WebSocketServer } from "ws";
import { bridgeWebSocket } from "./bridge.js";
import { MAX_RECEIVED_MESSAGE_BYTES } from "./limits.js";
import { responseWebSocket } from "./response.js";
import { ABANDON, type WorkersWebSocket } from "./websocket.js";

/** How long stopping waits for clients to answer the 1001 Close frame before cutting them off. */
const CLOSE_WAIT_MS = 2_000;

/** Headers of a 101 answer that the handshake itself sets; the rest are passed to the client. */
const HANDSHAKE_HEADERS = new Set([
  "upgrade",
  "connection",
  "sec-websocket-accept",
  "sec-websocket-protocol",
  "sec-websocket-extensions",
  "content-length",
  "transfer-encoding",
]);

/** How the HTTP server lets upgrades reuse its request handling. */
export type UpgradeIo = {
  /** Builds the web Request and answers it, as for any request. */
  answer: (signal: AbortSignal) => Promise<Response>;
  /** Writes a plain HTTP answer on a ServerResponse. */
  write: (res: ServerResponse, response: Response) => Promise<void>;
  onError: (error: unknown) => void;
};

/** Whether `req` asks for a WebSocket handshake `ws` can complete. */
function isWebSocketHandshake(req: IncomingMessage): boolean {
  return (
    req.method === "GET" &&
    req.headers.upgrade?.toLowerCase() === "websocket" &&
    /^[+/0-9A-Za-z]{22}==$/.test(req.headers["sec-websocket-key"] ?? "") &&
    ["8", "13"].includes(req.headers["sec-websocket-version"] ?? "")
  );
}

/** The error logged when the Worker answers a request that is no WebSocket handshake with a 101. */
export function notAnUpgrade(req: IncomingMessage): Error {
  return new Error(
    `the Worker answered ${req.method} ${req.url} with a 101 WebSocket response, but the request is not a valid WebSocket upgrade (Upgrade: websocket, Sec-WebSocket-Key and -Version); answered 500`,
  );
}

/** Writes `response` as plain HTTP on a socket Node handed over for an upgrade, then closes it. */
async function writePlain(req: IncomingMessage, socket: Duplex, response: Response, io: UpgradeIo) {
  const res = new NodeServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as import("node:net").Socket);
  res.on("finish", () => {
    res.detachSocket(socket as import("node:net").Socket);
    socket.end();
  });
  try {
    await io.write(res, response);
  } catch (error) {
    io.onError(error);
    socket.destroy();
  }
}

export class WebSocketUpgrades {
  readonly #server: WebSocketServer;
  readonly #protocols = new WeakMap<IncomingMessage, string>();
  readonly #headers = new WeakMap<IncomingMessage, string[]>();
  readonly #open = new Set<ClientSocket>();

  constructor() {
    this.#server = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: MAX_RECEIVED_MESSAGE_BYTES,
      handleProtocols: (_offered, req) => this.#protocols.get(req) ?? false,
    });
    this.#server.on("headers", (lines, req) => lines.push(...(this.#headers.get(req) ?? [])));
  }

  /** Answers one upgrade request (Node's `upgrade` event). */
  async serve(req: IncomingMessage, socket: Duplex, head: Buffer, io: UpgradeIo): Promise<void> {
    socket.on("error", () => socket.destroy());
    const gone = new AbortController();
    const onClose = () => gone.abort();
    socket.once("close", onClose);
    let response: Response;
    try {
      response = await io.answer(gone.signal);
    } catch (error) {
      io.onError(error);
      response = new Response("Internal Server Error", { status: 500 });
    }
    socket.off("close", onClose);
    const end = responseWebSocket(response);
    if (end && !isWebSocketHandshake(req)) {
      end[ABANDON]();
      io.onError(notAnUpgrade(req));
      response = new Response("Internal Server Error", { status: 500 });
    } else if (end) {
      if (gone.signal.aborted || socket.destroyed) return end[ABANDON]();
      return this.#complete(req, socket, head, response, end);
    }
    if (socket.destroyed) return;
    await writePlain(req, socket, response, io);
  }

  #complete(req: IncomingMessage, socket: Duplex, head: Buffer, response: Response, end: WorkersWebSocket) {
    const protocol = response.headers.get("sec-websocket-protocol");
    if (protocol) this.#protocols.set(req, protocol);
    const extra: string[] = [];
    for (const [name, value] of response.headers) {
      if (!HANDSHAKE_HEADERS.has(name) && name !== "set-cookie") extra.push(`${name}: ${value}`);
    }
    for (const cookie of response.headers.getSetCookie()) extra.push(`set-cookie: ${cookie}`);
    this.#headers.set(req, extra);
    let bridged = false;
    // `ws` refuses a handshake it cannot complete by closing the socket without calling back.
    socket.once("close", () => {
      if (!bridged) end[ABANDON]();
    });
    this.#server.handleUpgrade(req, socket, head, (client) => {
      bridged = true;
      this.#open.add(client);
      client.once("close", () => this.#open.delete(client));
      bridgeWebSocket(client, end);
    });
  }

  /** Closes every open connection with 1001; those that do not answer in time are cut off. */
  async closeAll(): Promise<void> {
    const open = [...this.#open];
    if (open.length === 0) return;
    const closed = open.map(
      (client) => new Promise<void>((resolve) => client.once("close", () => resolve())),
    );
    for (const client of open) client.close(1001, "server going away");
    const timer = setTimeout(() => {
      for (const client of open) client.terminate();
    }, CLOSE_WAIT_MS);
    await Promise.all(closed);
    clearTimeout(timer);
  }
}
