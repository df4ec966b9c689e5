// One end of a WebSocketPair as a Worker sees it (the global `WebSocket`): what one end sends
// arrives at the other. An end that is accepted fires `message`/`close`/`error` events; one that
// is returned in a 101 Response is coupled to the real client connection instead; one handed to
// the hibernation API passes its traffic to that. Traffic that arrives before the end is accepted
// waits. `new WebSocket(url)` makes the same class as an outbound client, whose connection takes
// the place of a peer. Errors for misuse are Cloudflare's own types and strings.

import { deserializeAttachment, serializeAttachment } from "./attachment.js";
import { autoReplyToClose } from "./compatibility.js";
import { ABNORMAL_CLOSURE, type Inbound, toEvent } from "./events.js";
import { GuardedEventTarget } from "./guarded-event-target.js";
import { checkOutbound, connectOutbound } from "./outbound.js";
import type { Transport } from "./transport.js";

type State = "connecting" | "pending" | "accepted" | "hibernatable" | "coupled" | "released";

/** Internal hooks, keyed by symbols a Worker has no handle on. */
export const PAIR_TOKEN = Symbol("cairn.websocket.pair");
export const LINK = Symbol("cairn.websocket.link");
export const COUPLE = Symbol("cairn.websocket.couple");
export const ABANDON = Symbol("cairn.websocket.abandon");
export const CHECK_RETURNABLE = Symbol("cairn.websocket.checkReturnable");
export const HIBERNATE = Symbol("cairn.websocket.hibernate");
export const STATE = Symbol("cairn.websocket.state");

/** Unread events past which the client connection feeding them is paused, and resumed below. */
const PAUSE_AT = 1024;
const RESUME_AT = 256;

/** The longest close reason a Close frame carries (125 bytes of payload less the 2-byte code). */
const MAX_CLOSE_REASON_BYTES = 123;

const NOT_ACCEPTED =
  "You must call one of accept() or state.acceptWebSocket() on this WebSocket before sending messages.";

function copyBytes(data: ArrayBuffer | ArrayBufferView): ArrayBuffer {
  const view = ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : new Uint8Array(data);
  return view.slice().buffer;
}

function validCloseCode(code: number): boolean {
  return Number.isInteger(code) && code >= 1000 && code < 5000 && ![1004, 1005, 1006, 1015].includes(code);
}

export class WorkersWebSocket extends GuardedEventTarget {
  static readonly READY_STATE_CONNECTING = 0;
  static readonly READY_STATE_OPEN = 1;
  static readonly READY_STATE_CLOSING = 2;
  static readonly READY_STATE_CLOSED = 3;
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly READY_STATE_CONNECTING = 0;
  readonly READY_STATE_OPEN = 1;
  readonly READY_STATE_CLOSING = 2;
  readonly READY_STATE_CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;

  #peer: WorkersWebSocket | null = null;
  #state: State = "pending";
  #inbox: Inbound[] = [];
  #draining = false;
  #pausedPeer = false;
  #closedOutgoing = false;
  #closedIncoming = false;
  /** The other side is gone: sends are dropped, as the standard says. */
  #aborted = false;
  #failed = false;
  #error: unknown;
  #allowHalfOpen = false;
  #attachment: Buffer | null = null;
  #transport: Transport | null = null;
  /** The connection of an end made with `new WebSocket(url)`: it takes the place of a peer. */
  #outbound: Transport | null = null;
  #url: string | null = null;
  #protocol: string | null = null;
  #hibernation: ((event: Inbound) => void) | null = null;

  /** Ends are made by `new WebSocketPair()`; `new WebSocket(url, protocols?)` opens a client. */
  constructor(url?: unknown, protocols?: unknown) {
    super();
    if (url === PAIR_TOKEN) return;
    const target = checkOutbound(url, protocols);
    this.#state = "connecting";
    this.#url = String(url);
    this.#protocol = "";
    this.#outbound = connectOutbound(target.url, target.protocols, {
      open: (protocol) => {
        this.#state = "accepted";
        this.#protocol = protocol === "" ? null : protocol;
        this.dispatchEvent(new Event("open"));
      },
      receive: (event) => this.#arrive(event),
      failed: (error) => {
        this.#state = "accepted";
        this.#aborted = true;
        this.#arrive({ kind: "error", error });
        this.#arrive({
          kind: "close",
          code: 1006,
          reason: "Failed to establish websocket connection",
          wasClean: false,
        });
      },
    });
  }

  /** @internal Makes two ends each other's peer. */
  [LINK](peer: WorkersWebSocket): void {
    this.#peer = peer;
  }

  get readyState(): number {
    if ((this.#closedIncoming && this.#closedOutgoing) || this.#failed) return 3;
    if (this.#closedIncoming || this.#closedOutgoing) return 2;
    return this.#state === "connecting" ? 0 : 1;
  }

  /** The URL of a client made with `new WebSocket(url)`, else null. */
  get url(): string | null {
    return this.#url;
  }

  /** A client's negotiated subprotocol ("" while connecting, null when none), else null. */
  get protocol(): string | null {
    return this.#protocol;
  }

  get extensions(): string | null {
    return null;
  }

  /** Starts delivering events to this end's listeners (those that arrived already come first). */
  accept(options?: { allowHalfOpen?: boolean }): void {
    if (this.#state === "connecting") {
      throw new TypeError("Websockets obtained from the 'new WebSocket()' constructor cannot call accept");
    }
    if (this.#state === "coupled" || this.#state === "released") {
      throw new TypeError("Can't accept() WebSocket that was already used in a response.");
    }
    if (this.#state === "hibernatable") {
      throw new TypeError("Can't accept() WebSocket after enabling hibernation.");
    }
    if (this.#state === "accepted") return;
    this.#state = "accepted";
    this.#allowHalfOpen = options?.allowHalfOpen === true;
    this.#scheduleDrain();
  }

  /** Sends a text (string) or binary (ArrayBuffer or view) message to the other end. */
  send(message: string | ArrayBuffer | ArrayBufferView): void {
    if (this.#closedOutgoing) throw new TypeError("Can't call WebSocket send() after close().");
    if (this.#aborted || this.#state === "coupled" || this.#state === "released") return;
    if (this.#state !== "accepted" && this.#state !== "hibernatable") throw new TypeError(NOT_ACCEPTED);
    const data =
      message instanceof ArrayBuffer || ArrayBuffer.isView(message) ? copyBytes(message) : String(message);
    this.#toPeer({ kind: "message", data });
  }

  /** Closes this direction; without a code the Close frame has none (the other side sees 1005). */
  close(code?: number, reason?: string): void {
    if (this.#state === "connecting") {
      // Closing before the connection is made gives it up (it then fails with code 1006).
      this.#outbound?.close(1005, "");
      return;
    }
    if (this.#closedOutgoing || this.#aborted || this.#state === "coupled" || this.#state === "released") {
      return;
    }
    if (this.#state !== "accepted" && this.#state !== "hibernatable") throw new TypeError(NOT_ACCEPTED);
    if (this.#failed) throw this.#error;
    if (code !== undefined && !validCloseCode(Number(code))) {
      throw new TypeError(`Invalid WebSocket close code: ${code}.`);
    }
    if (reason !== undefined && code === undefined) {
      throw new TypeError("If you specify a WebSocket close reason, you must also specify a code.");
    }
    const text = reason === undefined ? "" : String(reason);
    const bytes = Buffer.byteLength(text);
    if (bytes > MAX_CLOSE_REASON_BYTES) {
      throw new TypeError(
        `WebSocket close reason is ${bytes} bytes of UTF-8; a Close frame carries at most ${MAX_CLOSE_REASON_BYTES}.`,
      );
    }
    this.#closedOutgoing = true;
    this.#toPeer({
      kind: "close",
      code: code === undefined ? 1005 : Number(code),
      reason: text,
      wasClean: true,
    });
  }

  /** Keeps a structured-clone copy of `value` with this socket (at most 16 KiB serialized). */
  serializeAttachment(value: unknown): void {
    this.#attachment = serializeAttachment(value);
  }

  /** A copy of the value last kept with serializeAttachment, or null. */
  deserializeAttachment(): unknown {
    return deserializeAttachment(this.#attachment);
  }

  /** @internal What the hibernation API and the Response need to know of this end. */
  get [STATE](): State {
    return this.#state;
  }

  /** @internal Throws Cloudflare's error when this end cannot be returned in a 101 Response. */
  [CHECK_RETURNABLE](): void {
    if (this.#outbound) {
      throw new TypeError("Can't return WebSocket in a Response if it was created with `new WebSocket()`");
    }
    if (this.#state === "accepted") {
      throw new TypeError("Can't return WebSocket in a Response after calling accept().");
    }
    if (this.#state === "hibernatable") {
      throw new TypeError("Can't return WebSocket in a Response after calling acceptWebSocket().");
    }
    if (this.#state !== "pending") {
      throw new TypeError("Can't return WebSocket that was already used in a response.");
    }
  }

  /**
   * @internal Couples this end to a real connection: what the other end sends goes out on it
   * (what was sent already first). Returns where the connection's own traffic goes in.
   */
  [COUPLE](transport: Transport): (event: Inbound) => void {
    this[CHECK_RETURNABLE]();
    this.#state = "coupled";
    this.#transport = transport;
    for (const event of this.#inbox.splice(0)) this.#forward(event);
    return (event) => this.#toPeer(event);
  }

  /** @internal This end was returned but never reached a client: the other end sees it drop. */
  [ABANDON](): void {
    if (this.#state !== "pending") return;
    this.#state = "released";
    this.#inbox = [];
    this.#toPeer({ kind: "close", ...ABNORMAL_CLOSURE, wasClean: false });
  }

  /** @internal Hands this end's events to the hibernation API instead of listeners. */
  [HIBERNATE](handler: (event: Inbound) => void): void {
    if (this.#state === "accepted" || this.#state === "hibernatable") {
      throw new Error("Cannot call `acceptWebSocket()` if the WebSocket was already accepted via `accept()`");
    }
    if (this.#state !== "pending") {
      throw new TypeError(
        "Tried to make an api::WebSocket hibernatable when it was in an incompatible state.",
      );
    }
    if (this.#peer && this.#peer.#state !== "pending") {
      throw new Error(
        "Cannot call `acceptWebSocket()` on this WebSocket because its pair has already been accepted or used in a Response.",
      );
    }
    this.#state = "hibernatable";
    this.#hibernation = handler;
    this.#scheduleDrain();
  }

  /** Sends to the other end of the pair. */
  #toPeer(event: Inbound): void {
    if (this.#outbound) this.#forward(event, this.#outbound);
    else if (this.#peer) this.#peer.#arrive(event);
  }

  #forward(event: Inbound, transport = this.#transport!): void {
    if (event.kind === "message") transport.send(event.data);
    else if (event.kind === "close") transport.close(event.code, event.reason);
  }

  /** Traffic from the other end (or the client behind it) for this end. */
  #arrive(event: Inbound): void {
    if (this.#state === "coupled") {
      this.#forward(event);
      return;
    }
    if (this.#state === "released") return;
    this.#inbox.push(event);
    const feeding = this.#peer ? this.#peer.#transport : null;
    if (this.#inbox.length > PAUSE_AT && !this.#pausedPeer && feeding) {
      this.#pausedPeer = true;
      feeding.pause();
    }
    this.#scheduleDrain();
  }

  #scheduleDrain(): void {
    if (this.#draining || this.#inbox.length === 0) return;
    if (this.#state !== "accepted" && this.#state !== "hibernatable") return;
    this.#draining = true;
    queueMicrotask(() => {
      this.#draining = false;
      for (let event = this.#inbox.shift(); event; event = this.#inbox.shift()) this.#process(event);
      if (this.#pausedPeer && this.#inbox.length < RESUME_AT) {
        this.#pausedPeer = false;
        if (this.#peer) this.#peer.#transport?.resume();
      }
    });
  }

  /** Updates the state for one event, answers a close as the standard says, and fires it. */
  #process(event: Inbound): void {
    // After an error only a close may still come (a connection that never opened reports both).
    if (this.#closedIncoming || (this.#failed && event.kind !== "close")) return;
    if (event.kind === "close") {
      this.#closedIncoming = true;
      if (!event.wasClean) this.#aborted = true;
      else if (!this.#closedOutgoing && !this.#allowHalfOpen && autoReplyToClose()) {
        // A Close frame is answered with one carrying the same code (before the Worker hears of it).
        this.#closedOutgoing = true;
        this.#toPeer({ ...event });
      }
    } else if (event.kind === "error") {
      this.#failed = true;
      this.#error = event.error;
      this.#aborted = true;
    }
    if (this.#hibernation) this.#hibernation(event);
    else this.dispatchEvent(toEvent(event));
  }
}
