// `new WebSocket(url)` in a Worker: an outbound WebSocket client, made with `ws`. The URL and the
// subprotocols are checked first with Cloudflare's errors (a DOMException named SyntaxError); the
// connection then reports back to the Worker's WebSocket, which fires `open`, its messages and its
// close (code 1006, "Failed to establish websocket connection", when it never opened).

import { WebSocket as ClientSocket } from "ws";
import { ABNORMAL_CLOSURE, type Inbound } from "./events.js";
import { MAX_RECEIVED_MESSAGE_BYTES } from "./limits.js";
import type { Transport } from "./transport.js";

/** What the connection tells the Worker's WebSocket. */
export type OutboundEvents = {
  open(protocol: string): void;
  receive(event: Inbound): void;
  /** The connection never opened. */
  failed(error: unknown): void;
};

function syntaxError(detail: string): DOMException {
  return new DOMException(`WebSocket Constructor: ${detail}`, "SyntaxError");
}

/** A protocol name as RFC 6455 allows: visible ASCII but no separators. */
function validToken(protocol: string): boolean {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(protocol);
}

/** The URL and subprotocols to connect with, refused as Cloudflare refuses them. */
export function checkOutbound(url: unknown, protocols: unknown): { url: string; protocols: string[] } {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    throw syntaxError("The url is invalid.");
  }
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
    throw syntaxError("The url scheme must be ws or wss.");
  }
  if (parsed.hash !== "" || String(url).includes("#")) throw syntaxError("The url fragment must be empty.");
  if (protocols === undefined) return { url: parsed.href, protocols: [] };
  if (!Array.isArray(protocols)) {
    const one = String(protocols);
    if (!validToken(one)) throw syntaxError("The protocol header token is invalid.");
    return { url: parsed.href, protocols: [one] };
  }
  if (protocols.length === 0) throw syntaxError("The protocols array cannot be empty.");
  const seen = new Set<string>();
  for (const value of protocols.map(String)) {
    if (!validToken(value)) throw syntaxError("One of the protocol header tokens is invalid.");
    if (seen.has(value)) throw syntaxError("The protocols header cannot have repeating values.");
    seen.add(value);
  }
  return { url: parsed.href, protocols: [...seen] };
}

/** Opens the connection; what it does is reported to `events`. */
export function connectOutbound(url: string, protocols: string[], events: OutboundEvents): Transport {
  const socket = new ClientSocket(url, protocols, {
    perMessageDeflate: false,
    maxPayload: MAX_RECEIVED_MESSAGE_BYTES,
  });
  let opened = false;
  let failed = false;
  socket.on("open", () => {
    opened = true;
    events.open(socket.protocol);
  });
  socket.on("message", (data, isBinary) => {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    events.receive({
      kind: "message",
      data: isBinary
        ? (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer)
        : bytes.toString("utf8"),
    });
  });
  socket.on("error", (error) => {
    failed = true;
    if (opened) events.receive({ kind: "error", error });
    else events.failed(error);
  });
  socket.on("close", (code, reason) => {
    if (failed) return;
    events.receive(
      code === 1006
        ? { kind: "close", ...ABNORMAL_CLOSURE, wasClean: false }
        : { kind: "close", code, reason: reason.toString("utf8"), wasClean: true },
    );
  });
  return {
    send: (data) => {
      if (socket.readyState === socket.OPEN) socket.send(data, { binary: typeof data !== "string" });
    },
    close: (code, reason) => {
      if (socket.readyState === socket.CONNECTING) socket.terminate();
      else if (socket.readyState !== socket.OPEN) return;
      else if (code === 1005) socket.close();
      else socket.close(code, reason);
    },
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  };
}
