// The `Response` a Worker sees: Node's own, except that it also takes Cloudflare's answer to a
// WebSocket upgrade, `new Response(null, { status: 101, webSocket })`, which Node refuses (it
// allows 200–599 only). Every other use is Node's Response unchanged, and `instanceof` holds for
// Node's responses (those from fetch) as well, so the host's own checks keep working.

import { CHECK_RETURNABLE, WorkersWebSocket } from "./websocket.js";

type NodeResponseClass = typeof Response;

/** Node's Response, even if this module is evaluated after the global was replaced. */
const NodeResponse: NodeResponseClass =
  (globalThis.Response as NodeResponseClass & { nodeResponse?: NodeResponseClass }).nodeResponse ??
  globalThis.Response;

/**
 * The WebSocket and status text of each 101 answer. Kept aside rather than in private fields
 * because Node's constructor reads `status` before a subclass's fields exist.
 */
const switching = new WeakMap<object, { webSocket: WorkersWebSocket; statusText: string }>();

export type WorkersResponseInit = ResponseInit & { webSocket?: WorkersWebSocket | null };

export class WorkersResponse extends NodeResponse {
  /** @internal The class this one extends, for a second copy of this module to find. */
  static readonly nodeResponse: NodeResponseClass = NodeResponse;

  constructor(body?: ConstructorParameters<NodeResponseClass>[0], init?: WorkersResponseInit) {
    const webSocket = init?.webSocket ?? null;
    if (webSocket === null) {
      if (init?.status === 101) {
        throw new RangeError(
          "Responses may only be constructed with status codes in the range 200 to 599, inclusive.",
        );
      }
      super(body, init);
      return;
    }
    if (!(webSocket instanceof WorkersWebSocket)) {
      throw new TypeError(
        "Failed to construct 'Response': webSocket is not a WebSocket from a WebSocketPair.",
      );
    }
    if (init?.status !== 101) {
      throw new RangeError("Responses with a WebSocket must have status code 101.");
    }
    webSocket[CHECK_RETURNABLE]();
    super(body, { ...init, status: 200 });
    switching.set(this, { webSocket, statusText: init.statusText ?? "Switching Protocols" });
  }

  /** The WebSocket end this 101 answer hands to the client, or null. */
  get webSocket(): WorkersWebSocket | null {
    return switching.get(this)?.webSocket ?? null;
  }
}

// Any Node Response counts as a Response (a subclass of this one is checked as usual), so the
// host's `instanceof Response` accepts what fetch() returns.
Object.defineProperty(WorkersResponse, Symbol.hasInstance, {
  value: function isResponse(this: Function, value: unknown): boolean {
    if (this === WorkersResponse) return value instanceof NodeResponse;
    return Function.prototype[Symbol.hasInstance].call(this, value);
  },
});

// Node's fields are getters on its prototype; a 101 answer reports its own values instead.
for (const name of ["status", "ok", "statusText"] as const) {
  const base = Object.getOwnPropertyDescriptor(NodeResponse.prototype, name)!;
  Object.defineProperty(WorkersResponse.prototype, name, {
    configurable: true,
    enumerable: base.enumerable ?? false,
    get(this: WorkersResponse) {
      const answer = switching.get(this);
      if (!answer) return base.get!.call(this);
      return name === "status" ? 101 : name === "ok" ? false : answer.statusText;
    },
  });
}

/** The WebSocket end a response hands over, if it is a 101 answer with one. */
export function responseWebSocket(response: Response): WorkersWebSocket | null {
  return response instanceof NodeResponse &&
    (response as WorkersResponse).webSocket instanceof WorkersWebSocket
    ? (response as WorkersResponse).webSocket
    : null;
}
