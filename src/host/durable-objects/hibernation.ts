// The WebSocket hibernation API of a Durable Object's `ctx`: sockets accepted with
// `acceptWebSocket(ws, tags)` pass their messages, closes and errors to `deliver` (which calls the
// object's webSocketMessage/webSocketClose/webSocketError) instead of event listeners; they can
// be found again by tag, keep their attachment, and answer a configured request text by themselves
// without `deliver` being called. Cairn keeps a hibernated object in memory: sockets, tags and
// attachments simply stay where they are. Limits and errors are Cloudflare's.

import type { Inbound } from "../websockets/events.js";
import { WebSocketRequestResponsePair } from "../websockets/request-response-pair.js";
import { HIBERNATE, STATE, WorkersWebSocket } from "../websockets/websocket.js";

/** What a hibernatable socket passes to the object. */
export type HibernationEvent =
  | { type: "message"; ws: WorkersWebSocket; data: string | ArrayBuffer }
  | { type: "close"; ws: WorkersWebSocket; code: number; reason: string; wasClean: boolean }
  | { type: "error"; ws: WorkersWebSocket; error: unknown };

export type HibernationOptions = {
  /** Told of a delivery that failed or ran past the event timeout (the next event still goes). */
  onDeliveryError?: (error: unknown, event: HibernationEvent) => void;
};

/** Distinct tags one socket may have. */
export const MAX_TAGS = 10;
/** The longest tag, in bytes of UTF-8 (Cloudflare calls them characters). */
export const MAX_TAG_LENGTH = 256;
/** Hibernatable sockets one object may hold at once. */
export const MAX_HIBERNATABLE_WEBSOCKETS = 32_768;
/** The longest auto-response request or response, in bytes of UTF-8. */
export const MAX_AUTO_RESPONSE_BYTES = 2048;
/** The longest event timeout: seven days. */
export const MAX_EVENT_TIMEOUT_MS = 604_800_000;

type Entry = { tags: string[]; chain: Promise<void> };

/** The distinct tags, refused past Cloudflare's count and length limits. */
function distinctTags(tags: unknown): string[] {
  if (tags === undefined) return [];
  if (!Array.isArray(tags)) {
    throw new TypeError(
      "Failed to execute 'acceptWebSocket' on 'DurableObjectState': parameter 2 is not of type 'Array'.",
    );
  }
  const seen = new Set<string>();
  for (const value of tags) {
    const tag = String(value);
    if (seen.size >= MAX_TAGS)
      throw new Error(`a Hibernatable WebSocket cannot have more than ${MAX_TAGS} tags`);
    if (Buffer.byteLength(tag) > MAX_TAG_LENGTH) {
      throw new Error(`"${tag}" is longer than the max tag length (${MAX_TAG_LENGTH} characters).`);
    }
    seen.add(tag);
  }
  return [...seen];
}

function toEvent(ws: WorkersWebSocket, inbound: Inbound): HibernationEvent {
  switch (inbound.kind) {
    case "message":
      return { type: "message", ws, data: inbound.data };
    case "close":
      return { type: "close", ws, code: inbound.code, reason: inbound.reason, wasClean: inbound.wasClean };
    case "error":
      return { type: "error", ws, error: inbound.error };
  }
}

export class HibernatableWebSockets {
  readonly #deliver: (event: HibernationEvent) => Promise<void>;
  readonly #options: HibernationOptions;
  readonly #sockets = new Map<WorkersWebSocket, Entry>();
  readonly #tags = new WeakMap<WorkersWebSocket, string[]>();
  readonly #autoResponseAt = new WeakMap<WorkersWebSocket, Date>();
  #autoResponse: WebSocketRequestResponsePair | null = null;
  #eventTimeoutMs: number | null = null;

  constructor(deliver: (event: HibernationEvent) => Promise<void>, options: HibernationOptions = {}) {
    this.#deliver = deliver;
    this.#options = options;
  }

  /** Takes `ws` (an unaccepted end of a pair) into hibernation, findable by `tags`. */
  acceptWebSocket(ws: WorkersWebSocket, tags?: string[]): void {
    if (!(ws instanceof WorkersWebSocket)) {
      throw new TypeError(
        "Failed to execute 'acceptWebSocket' on 'DurableObjectState': parameter 1 is not of type 'WebSocket'.",
      );
    }
    const distinct = distinctTags(tags);
    if (this.#sockets.size >= MAX_HIBERNATABLE_WEBSOCKETS && ws[STATE] === "pending") {
      throw new Error(
        `a Durable Object cannot hold more than ${MAX_HIBERNATABLE_WEBSOCKETS} hibernatable WebSockets at once`,
      );
    }
    ws[HIBERNATE]((inbound) => this.#arrived(ws, inbound));
    this.#tags.set(ws, distinct);
    this.#sockets.set(ws, { tags: distinct, chain: Promise.resolve() });
  }

  /** The open hibernatable sockets, all or those with `tag`, in the order they were accepted. */
  getWebSockets(tag?: string): WorkersWebSocket[] {
    const wanted = tag === undefined ? null : String(tag);
    const all = [...this.#sockets];
    return all.filter(([, entry]) => wanted === null || entry.tags.includes(wanted)).map(([ws]) => ws);
  }

  /** The tags `ws` was accepted with. */
  getTags(ws: WorkersWebSocket): string[] {
    if (!(ws instanceof WorkersWebSocket)) {
      throw new TypeError(
        "Failed to execute 'getTags' on 'DurableObjectState': parameter 1 is not of type 'WebSocket'.",
      );
    }
    const state = ws[STATE];
    if (state === "accepted") throw new Error("only hibernatable websockets can have tags.");
    if (state !== "hibernatable") {
      throw new Error(
        "you must call 'acceptWebSocket()' before attempting to access the tags of a WebSocket.",
      );
    }
    return [...(this.#tags.get(ws) ?? [])];
  }

  /** Sets (or, without a pair, removes) the request text answered without waking the object. */
  setWebSocketAutoResponse(pair?: WebSocketRequestResponsePair | null): void {
    if (pair === undefined || pair === null) {
      this.#autoResponse = null;
      return;
    }
    if (!(pair instanceof WebSocketRequestResponsePair)) {
      throw new TypeError(
        "Failed to execute 'setWebSocketAutoResponse' on 'DurableObjectState': parameter 1 is not of type 'WebSocketRequestResponsePair'.",
      );
    }
    for (const [side, text] of [
      ["Request", pair.request],
      ["Response", pair.response],
    ] as const) {
      const size = Buffer.byteLength(text);
      if (size > MAX_AUTO_RESPONSE_BYTES) {
        throw new RangeError(
          `${side} cannot be larger than ${MAX_AUTO_RESPONSE_BYTES} bytes. A ${side.toLowerCase()} of size ${size} was provided.`,
        );
      }
    }
    this.#autoResponse = pair;
  }

  getWebSocketAutoResponse(): WebSocketRequestResponsePair | null {
    return this.#autoResponse;
  }

  /** When `ws` last answered the auto-response request, or null. */
  getWebSocketAutoResponseTimestamp(ws: WorkersWebSocket): Date | null {
    return this.#autoResponseAt.get(ws) ?? null;
  }

  /** Bounds how long one delivery may take; no value or 0 removes the bound. */
  setHibernatableWebSocketEventTimeout(timeoutMs?: number): void {
    if (timeoutMs === undefined || timeoutMs === 0) {
      this.#eventTimeoutMs = null;
      return;
    }
    if (typeof timeoutMs !== "number" || !Number.isInteger(timeoutMs) || timeoutMs < 0) {
      throw new TypeError(`Event timeout must be a whole number of milliseconds; got ${String(timeoutMs)}.`);
    }
    if (timeoutMs > MAX_EVENT_TIMEOUT_MS) {
      throw new Error(`Event timeout should not exceed ${MAX_EVENT_TIMEOUT_MS} ms.`);
    }
    this.#eventTimeoutMs = timeoutMs;
  }

  getHibernatableWebSocketEventTimeout(): number | null {
    return this.#eventTimeoutMs;
  }

  /**
   * Closes every hibernatable socket with `code` and `reason` (the object is being restarted or
   * the host stops); nothing more of theirs is delivered.
   */
  closeAll(code: number, reason: string): void {
    const sockets = [...this.#sockets.keys()];
    this.#sockets.clear();
    for (const ws of sockets) {
      try {
        ws.close(code, reason);
      } catch {
        // Already closed, or failed: the client has lost it either way.
      }
    }
  }

  /** One event from a socket: answered here if it is the auto-response request, else queued. */
  #arrived(ws: WorkersWebSocket, inbound: Inbound): void {
    const entry = this.#sockets.get(ws);
    if (!entry) return;
    const auto = this.#autoResponse;
    if (inbound.kind === "message" && auto && inbound.data === auto.request) {
      try {
        ws.send(auto.response);
        this.#autoResponseAt.set(ws, new Date());
      } catch {
        // The socket was closed by the object: nothing to answer on.
      }
      return;
    }
    // A close or an error is the socket's last event: it is no longer listed.
    if (inbound.kind !== "message") this.#sockets.delete(ws);
    const event = toEvent(ws, inbound);
    entry.chain = entry.chain.then(() => this.#run(event));
  }

  /** Delivers one event, bounded by the event timeout; a failure is reported, not thrown. */
  async #run(event: HibernationEvent): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const delivery = Promise.resolve().then(() => this.#deliver(event));
      const limit = this.#eventTimeoutMs;
      if (limit === null) await delivery;
      else {
        const late = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(
                  `the ${event.type} event ran past the ${limit} ms hibernatable WebSocket event timeout`,
                ),
              ),
            limit,
          );
        });
        await Promise.race([delivery, late]);
      }
    } catch (error) {
      this.#options.onDeliveryError?.(error, event);
    } finally {
      clearTimeout(timer);
    }
  }
}
