// The Workers globals that Node 20 lacks and that starters reach for: `navigator`, `scheduler.wait`,
// `caches` (an always-missing cache, as on a Worker with no cached entries), the byte streams
// IdentityTransformStream and FixedLengthStream, and `crypto.subtle.timingSafeEqual`. Node 20 already has
// fetch, Request, Response, Headers, URL, crypto (with subtle and randomUUID), structuredClone,
// atob/btoa, TextEncoder/Decoder, streams, Blob, File, FormData, AbortController and EventTarget.
// The Workers WebSocket API is added too (WebSocketPair, WebSocket for its ends and for outbound
// clients, close and error events), with a Response that also takes the 101 answer carrying a
// WebSocket.

import { availableParallelism } from "node:os";
import { FixedLengthStream, IdentityTransformStream } from "./runtime/byte-streams.js";
import { timingSafeEqual } from "./runtime/timing-safe-equal.js";
import { CloseEvent, ErrorEvent } from "./websockets/events.js";
import { WebSocketPair } from "./websockets/pair.js";
import { WebSocketRequestResponsePair } from "./websockets/request-response-pair.js";
import { WorkersResponse } from "./websockets/response.js";
import { WorkersWebSocket } from "./websockets/websocket.js";

/** A Cache that never holds anything: `match` misses, `put` discards, `delete` finds nothing. */
class EmptyCache {
  async match(_request: unknown): Promise<undefined> {
    return undefined;
  }
  async put(_request: unknown, _response: unknown): Promise<void> {}
  async delete(_request: unknown): Promise<boolean> {
    return false;
  }
}

class EmptyCacheStorage {
  readonly default = new EmptyCache();
  async open(_name: string): Promise<EmptyCache> {
    return new EmptyCache();
  }
}

function define(name: string, value: unknown, replace = false): void {
  if (name in globalThis && !replace) return;
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}

/** Adds the missing globals; existing ones (e.g. Node 21+'s navigator) are left alone. */
export function installWorkersGlobals(): void {
  define("navigator", {
    userAgent: `Node.js/${process.versions.node.split(".")[0]}`,
    hardwareConcurrency: availableParallelism(),
    language: "en-US",
  });
  define("scheduler", {
    wait: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  });
  define("caches", new EmptyCacheStorage());
  define("IdentityTransformStream", IdentityTransformStream);
  define("FixedLengthStream", FixedLengthStream);
  const subtle: object = globalThis.crypto.subtle;
  if (!("timingSafeEqual" in subtle)) {
    Object.defineProperty(subtle, "timingSafeEqual", {
      value: timingSafeEqual,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  define("WebSocketPair", WebSocketPair);
  define("WebSocketRequestResponsePair", WebSocketRequestResponsePair);
  define("CloseEvent", CloseEvent);
  define("ErrorEvent", ErrorEvent);
  // Replaced even where Node has its own (22+): the Workers WebSocket is the type of a pair's ends,
  // and `new WebSocket(url)` makes the Workers-flavoured client (no `accept()`, Cloudflare's errors).
  define("WebSocket", WorkersWebSocket, true);
  // A subclass of Node's: the same for every use but the 101 answer, and `instanceof` still holds
  // for Node's own responses (from fetch).
  define("Response", WorkersResponse, true);
}
