// The listener each process opens for Durable Object calls forwarded by other processes (several
// processes on PostgreSQL): its own port, never shared with the other workers of
// `cairn start --workers N` (whose Worker port node:cluster shares, so it could not reach one
// chosen process), on --objects-ip (default 127.0.0.1) and a free port. It serves only the
// internal route: a call must carry the API token as `Authorization: Bearer`, or, when no token is
// configured, come from this machine's loopback. The object runs here only if this process holds
// its lease (or takes it now); otherwise the caller is told it moved and looks it up again.

import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../../observability/logger.js";
import { isLoopbackAddress } from "../../server/request-guard.js";
import { DurableObjectError } from "./errors.js";
import {
  decode,
  encode,
  FORWARD_PATH,
  FORWARD_TYPE,
  type ForwardAnswer,
  type ForwardCall,
  fromWireRequest,
  type ObjectAddress,
  toWireResponse,
} from "./forward-protocol.js";
import type { LiveObject } from "./live-object.js";
import { callLocal, fetchLocal, readLocal } from "./stub.js";

/** The object live here, or DurableObjectError "durable_object.moved". */
export type HostHere = (object: ObjectAddress) => Promise<LiveObject>;

const digest = (value: string) => createHash("sha256").update(value).digest();

/** The peer's address without an IPv4-mapped prefix. */
function peerAddress(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
}

function refuse(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
  res.end(message);
}

function answer(res: ServerResponse, value: ForwardAnswer): void {
  const body = encode(value);
  res.writeHead(200, { "content-type": FORWARD_TYPE, "content-length": body.byteLength });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function run(call: ForwardCall, hostHere: HostHere): Promise<ForwardAnswer> {
  if (typeof call.className !== "string" || typeof call.objectId !== "string") {
    throw new TypeError("a forwarded Durable Object call names no class or id");
  }
  const object = await hostHere({
    className: call.className,
    objectId: call.objectId,
    objectName: call.objectName,
  });
  switch (call.kind) {
    case "call":
      return { ok: "value", value: await callLocal(object, call.name, call.args) };
    case "read": {
      const found = await readLocal(object, call.name);
      return "method" in found ? { ok: "method" } : { ok: "value", value: found.value };
    }
    case "fetch": {
      const response = await fetchLocal(object, fromWireRequest(call.request));
      if (response.status === 101) {
        throw new DurableObjectError(
          "durable_object.websocket_elsewhere",
          "the Durable Object answered a forwarded fetch with a WebSocket; Cairn does not forward WebSockets between processes",
        );
      }
      return { ok: "response", response: await toWireResponse(response) };
    }
    default:
      throw new TypeError(
        `unknown kind of forwarded Durable Object call: ${String((call as { kind: unknown }).kind)}`,
      );
  }
}

export type ForwardListenerOptions = {
  ip: string;
  token: string | undefined;
  hostHere: HostHere;
  log: Logger;
};

export class ForwardListener {
  private readonly server: Server;
  private readonly options: ForwardListenerOptions;
  private readonly token: Buffer | null;

  private constructor(options: ForwardListenerOptions) {
    this.options = options;
    this.token = options.token ? digest(options.token) : null;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error) => {
        options.log.error({ err: error }, "answering a forwarded Durable Object call failed");
        if (!res.headersSent) refuse(res, 500, "internal error");
        else res.destroy();
      });
    });
  }

  /** Listens on `ip` and a free port of this process's own (not shared with cluster siblings). */
  static async open(options: ForwardListenerOptions): Promise<{ listener: ForwardListener; port: number }> {
    const listener = new ForwardListener(options);
    const port = await new Promise<number>((resolve, reject) => {
      listener.server.once("error", reject);
      listener.server.listen({ port: 0, host: options.ip, exclusive: true }, () => {
        listener.server.off("error", reject);
        resolve((listener.server.address() as AddressInfo).port);
      });
    });
    return { listener, port };
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  /** Why the caller may not call, or null when it may. */
  private refusal(req: IncomingMessage): string | null {
    if (this.token) {
      const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "");
      if (!match) return "this call needs the API token as 'Authorization: Bearer <token>'";
      return timingSafeEqual(digest(match[1]!.trim()), this.token) ? null : "the API token is wrong";
    }
    if (isLoopbackAddress(peerAddress(req))) return null;
    return "no API token is configured, so only callers on this machine may call; set --api-token (or CAIRN_API_TOKEN) on every process";
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refusal = this.refusal(req);
    if (refusal) {
      req.resume();
      return refuse(res, 401, refusal);
    }
    if (req.method !== "POST" || req.url !== FORWARD_PATH) {
      req.resume();
      return refuse(res, 404, `this listener serves only POST ${FORWARD_PATH}`);
    }
    if (req.headers["content-type"] !== FORWARD_TYPE) {
      req.resume();
      return refuse(res, 415, `expected a ${FORWARD_TYPE} body`);
    }
    const body = await readBody(req);
    try {
      answer(res, await run(decode<ForwardCall>(body, "call"), this.options.hostHere));
    } catch (error) {
      if (DurableObjectError.is(error))
        answer(res, { ok: "cairn_error", code: error.code, message: error.message });
      else answer(res, { ok: "error", error: serializable(error) });
    }
  }
}

/** The error as v8 can serialize it (an uncloneable one becomes an Error with its message). */
function serializable(error: unknown): unknown {
  try {
    encode({ ok: "error", error });
    return error;
  } catch {
    return new Error(error instanceof Error ? error.message : String(error));
  }
}
