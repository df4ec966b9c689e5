// The events a Worker's WebSocket end fires, shaped as on Cloudflare: `message` is a MessageEvent
// (Node's global one) whose `data` is a string or an ArrayBuffer, `close` a CloseEvent with
// `code`, `reason` and `wasClean`, `error` an ErrorEvent. Node 20 has no CloseEvent or ErrorEvent.

/** What the other side of a connection did, as one end receives it. */
export type Inbound =
  | { kind: "message"; data: string | ArrayBuffer }
  | { kind: "close"; code: number; reason: string; wasClean: boolean }
  | { kind: "error"; error: unknown };

/** The close code and reason a peer that vanished without a Close frame is reported with. */
export const ABNORMAL_CLOSURE = { code: 1006, reason: "WebSocket disconnected without sending Close frame." };

type EventInit = { bubbles?: boolean; cancelable?: boolean; composed?: boolean };

export type CloseEventInit = EventInit & { code?: number; reason?: string; wasClean?: boolean };

/** Fired when the other side closed the connection (or it dropped: code 1006, not clean). */
export class CloseEvent extends Event {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;

  constructor(type: string, init: CloseEventInit = {}) {
    super(type, init);
    this.code = init.code ?? 0;
    this.reason = init.reason ?? "";
    this.wasClean = init.wasClean ?? false;
  }
}

export type ErrorEventInit = EventInit & { message?: string; error?: unknown };

/** Fired when the connection failed in a way that is not a close. */
export class ErrorEvent extends Event {
  readonly message: string;
  readonly error: unknown;

  constructor(type: string, init: ErrorEventInit = {}) {
    super(type, init);
    this.message = init.message ?? "";
    this.error = init.error;
  }
}

/** The DOM event for what arrived. */
export function toEvent(inbound: Inbound): Event {
  switch (inbound.kind) {
    case "message":
      return new MessageEvent("message", { data: inbound.data });
    case "close":
      return new CloseEvent("close", inbound);
    case "error":
      return new ErrorEvent("error", {
        message: inbound.error instanceof Error ? inbound.error.message : String(inbound.error),
        error: inbound.error,
      });
  }
}
