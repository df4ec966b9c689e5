// `ctx` of a Durable Object (DurableObjectState): its id, its storage, blockConcurrencyWhile,
// waitUntil, abort and the WebSocket hibernation API. A new one is made each time the object is
// constructed (first event, after a reset or a `cairn dev` reload); the storage and the accepted
// sockets under it stay the same.

import type { WebSocketRequestResponsePair } from "../websockets/request-response-pair.js";
import type { HibernatableWebSockets } from "./hibernation.js";
import type { DurableObjectId } from "./object-id.js";
import type { DurableObjectStorage } from "./storage.js";

/** The live object's side of `ctx`, reachable by the host's code (not the object's) through this key. */
export const STATE_HOST = Symbol("cairn.durableObjectState.host");

/** What the live object does for its `ctx`. */
export type StateHost = {
  /** Delivers an event to the object behind its input gate (as fetch, RPC and alarms are). */
  deliver<T>(event: (instance: Record<string, unknown>) => T | Promise<T>): Promise<T>;
  blockConcurrencyWhile<T>(fn: () => T | Promise<T>): Promise<T>;
  waitUntil(promise: Promise<unknown>): void;
  /** Resets the object: the next event constructs it again. */
  reset(): void;
};

export class DurableObjectState {
  readonly id: DurableObjectId;
  readonly storage: DurableObjectStorage;
  readonly #host: StateHost;
  readonly #sockets: HibernatableWebSockets;

  constructor(
    id: DurableObjectId,
    storage: DurableObjectStorage,
    sockets: HibernatableWebSockets,
    host: StateHost,
  ) {
    this.id = id;
    this.storage = storage;
    this.#sockets = sockets;
    this.#host = host;
  }

  /**
   * Runs `fn` with no other event delivered to the object until it settles. If it throws, the
   * object is reset (its next event constructs it again) and the error is thrown here too.
   */
  blockConcurrencyWhile<T>(fn: () => T | Promise<T>): Promise<T> {
    if (typeof fn !== "function") throw new TypeError("blockConcurrencyWhile() takes a function");
    return this.#host.blockConcurrencyWhile(fn);
  }

  /** Keeps `promise` alive past the event (the host waits for it before stopping). */
  waitUntil(promise: Promise<unknown>): void {
    this.#host.waitUntil(promise);
  }

  /** Resets the object, as Cloudflare does: the next event constructs it again. Throws `reason`. */
  abort(reason?: unknown): never {
    this.#host.reset();
    throw reason instanceof Error
      ? reason
      : new Error(
          reason === undefined ? "Application called abort() to reset Durable Object." : String(reason),
        );
  }

  /** @internal For the host's code: the live object behind this `ctx`. */
  get [STATE_HOST](): StateHost {
    return this.#host;
  }

  // The WebSocket hibernation API: sockets accepted here deliver their messages, closes and errors
  // to the object's webSocketMessage/webSocketClose/webSocketError, behind the same input gate
  // as fetch, RPC and alarms.

  acceptWebSocket(ws: WebSocket, tags?: string[]): void {
    this.#sockets.acceptWebSocket(ws as never, tags);
  }

  getWebSockets(tag?: string): WebSocket[] {
    return this.#sockets.getWebSockets(tag) as never;
  }

  getTags(ws: WebSocket): string[] {
    return this.#sockets.getTags(ws as never);
  }

  setWebSocketAutoResponse(pair?: WebSocketRequestResponsePair | null): void {
    this.#sockets.setWebSocketAutoResponse(pair);
  }

  getWebSocketAutoResponse(): WebSocketRequestResponsePair | null {
    return this.#sockets.getWebSocketAutoResponse();
  }

  getWebSocketAutoResponseTimestamp(ws: WebSocket): Date | null {
    return this.#sockets.getWebSocketAutoResponseTimestamp(ws as never);
  }

  setHibernatableWebSocketEventTimeout(timeoutMs?: number): void {
    this.#sockets.setHibernatableWebSocketEventTimeout(timeoutMs);
  }

  getHibernatableWebSocketEventTimeout(): number | null {
    return this.#sockets.getHibernatableWebSocketEventTimeout();
  }
}
