// The errors a producer binding throws. Cloudflare throws a plain `Error` whose message starts
// "Queue send failed:" (or "Queue sendBatch failed:") and ends with its error name and number when
// the queue refuses a message, and a `TypeError` when the body or options are of the wrong type;
// these classes keep those names and messages and add a stable `code` to branch on.

export type QueueErrorCode =
  | "queue.body_undefined"
  | "queue.content_type_unsupported"
  | "queue.body_not_serializable"
  | "queue.batch_empty"
  | "queue.message_too_large"
  | "queue.batch_too_large"
  | "queue.batch_too_many_messages"
  | "queue.delay_invalid";

/** Cloudflare's names and numbers for the refusals a producer can meet. */
const CLOUDFLARE_ERRORS: Partial<Record<QueueErrorCode, string>> = {
  "queue.delay_invalid": "MessageMetadataInvalid (10203)",
  "queue.message_too_large": "MessageSizeOutOfBounds (10204)",
  "queue.batch_too_large": "BatchSizeOutOfBounds (10205)",
  "queue.batch_too_many_messages": "BatchCountOutOfBounds (10206)",
};

/** The queue refused a send: too large, too many, or a delay out of range. */
export class QueueSendError extends Error {
  readonly code: QueueErrorCode;

  constructor(code: QueueErrorCode, operation: "send" | "sendBatch", detail: string) {
    const cloudflare = CLOUDFLARE_ERRORS[code];
    super(`Queue ${operation} failed: ${detail}${cloudflare ? ` - ${cloudflare}` : ""}`);
    this.code = code;
    // Cloudflare's is a plain Error; code that checks `error.name` sees the same here.
    this.name = "Error";
  }

  static is(value: unknown): value is QueueSendError {
    return value instanceof QueueSendError;
  }
}

/** A body or option of the wrong type (undefined body, unknown content type, unserializable body). */
export class QueueTypeError extends TypeError {
  readonly code: QueueErrorCode;

  constructor(code: QueueErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = "TypeError";
  }

  static is(value: unknown): value is QueueTypeError {
    return value instanceof QueueTypeError;
  }
}
