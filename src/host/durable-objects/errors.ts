// Errors Durable Objects raise that are Cairn's own (not Cloudflare's TypeErrors and RangeErrors,
// which are thrown as those plain types with Cloudflare's messages): each has a stable string code
// so that callers and tests branch on the code, never on the message.

const brand = Symbol.for("cairn.DurableObjectError");

export type DurableObjectErrorCode =
  /** The object's file is held by another process (another `cairn start` worker on the same data dir). */
  | "durable_object.hosted_elsewhere"
  /** The host is shutting down or reloading its config; the object takes no more events here. */
  | "durable_object.closed"
  /** The object's file could not be opened or read. */
  | "durable_object.storage_failed"
  /** The process holding the object's lease could not be reached, or its answer made no sense. */
  | "durable_object.forward_failed"
  /** The holder refused a forwarded call: the API token was missing or wrong. */
  | "durable_object.forward_unauthorized"
  /** The holder no longer hosts the object (its lease moved on); the caller looks it up again. */
  | "durable_object.moved"
  /** A WebSocket upgrade to an object that another process hosts: Cairn does not forward those. */
  | "durable_object.websocket_elsewhere"
  /** The object's lease table on PostgreSQL could not be read or written. */
  | "durable_object.lease_failed";

/** A problem hosting a Durable Object that is Cairn's, not the object's code's. */
export class DurableObjectError extends Error {
  readonly code: DurableObjectErrorCode;
  readonly [brand] = true;

  constructor(code: DurableObjectErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = "DurableObjectError";
  }

  static is(value: unknown): value is DurableObjectError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }
}
