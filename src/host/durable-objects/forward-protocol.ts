// What a forwarded Durable Object call looks like on the wire between two Cairn processes: the
// route's path, and the bodies of the call and its answer, each one node:v8 serialization (the
// structured clone Cloudflare's RPC uses, so values cross as they would within one process).
// Bodies of forwarded fetches are buffered whole, not streamed.

import { deserialize, serialize } from "node:v8";
import { DurableObjectError, type DurableObjectErrorCode } from "./errors.js";

/** The internal route, on each process's Durable Object listener. */
export const FORWARD_PATH = "/cdn-cgi/cairn/durable-objects";
/** The content type of every body on the route. */
export const FORWARD_TYPE = "application/x-cairn-v8";

/** A call to the object: an RPC method, a property read, or its fetch handler. */
export type ForwardCall = ObjectAddress &
  (
    | { kind: "call"; name: string; args: unknown[] }
    | { kind: "read"; name: string }
    | { kind: "fetch"; request: WireRequest }
  );

/** The object a call is for; `objectName` is the name given to `idFromName`, if any (`ctx.id.name`). */
export type ObjectAddress = { className: string; objectId: string; objectName?: string | undefined };

export type WireRequest = {
  method: string;
  url: string;
  headers: [string, string][];
  body: Uint8Array | null;
};
export type WireResponse = {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: Uint8Array | null;
};

/** The answer: a value, a method (a read that found a function), a response, or an error. */
export type ForwardAnswer =
  | { ok: "value"; value: unknown }
  | { ok: "method" }
  | { ok: "response"; response: WireResponse }
  | { ok: "error"; error: unknown }
  | { ok: "cairn_error"; code: DurableObjectErrorCode; message: string };

export function encode(value: ForwardCall | ForwardAnswer): Uint8Array {
  return serialize(value);
}

export function decode<T extends ForwardCall | ForwardAnswer>(bytes: Uint8Array, what: string): T {
  let value: unknown;
  try {
    value = deserialize(bytes);
  } catch (error) {
    throw new DurableObjectError(
      "durable_object.forward_failed",
      `the ${what} of a forwarded Durable Object call could not be read: ${(error as Error).message}`,
    );
  }
  if (typeof value !== "object" || value === null) {
    throw new DurableObjectError(
      "durable_object.forward_failed",
      `the ${what} of a forwarded Durable Object call is not one`,
    );
  }
  return value as T;
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

export async function toWireRequest(request: Request): Promise<WireRequest> {
  const body = request.body ? new Uint8Array(await request.arrayBuffer()) : null;
  return { method: request.method, url: request.url, headers: [...request.headers], body };
}

export function fromWireRequest(wire: WireRequest): Request {
  const hasBody = wire.body !== null && wire.method !== "GET" && wire.method !== "HEAD";
  return new Request(wire.url, {
    method: wire.method,
    headers: wire.headers,
    ...(hasBody ? { body: wire.body as Uint8Array<ArrayBuffer> } : {}),
  });
}

export async function toWireResponse(response: Response): Promise<WireResponse> {
  const body = response.body ? new Uint8Array(await response.arrayBuffer()) : null;
  return {
    status: response.status,
    statusText: response.statusText,
    headers: [...response.headers],
    body,
  };
}

export function fromWireResponse(wire: WireResponse): Response {
  const body = NULL_BODY_STATUSES.has(wire.status) ? null : (wire.body as Uint8Array<ArrayBuffer> | null);
  return new Response(body, { status: wire.status, statusText: wire.statusText, headers: wire.headers });
}
