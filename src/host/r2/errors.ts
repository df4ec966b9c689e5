// R2's errors as a Worker sees them: an `R2Error` whose message is "<operation>: <text> (<code>)"
// with Cloudflare's numeric code, so code written against Cloudflare (matching on the message or
// on `code`) behaves the same on Cairn. Each kind also carries a stable string `reason`, the
// S3-style name Cloudflare documents for that code.

/** The R2 failures Cairn reports, by S3-style name, with Cloudflare's code and text. */
const KINDS = {
  InternalError: { code: 10001, text: "We encountered an internal error. Please try again." },
  EntityTooSmall: {
    code: 10011,
    text: "Your proposed upload is smaller than the minimum allowed object size.",
  },
  MetadataTooLarge: { code: 10012, text: "Your metadata headers exceed the maximum allowed metadata size." },
  InvalidObjectName: { code: 10020, text: "The specified object name is not valid." },
  InvalidMaxKeys: { code: 10022, text: "MaxKeys params must be positive integer <= 1000." },
  NoSuchUpload: { code: 10024, text: "The specified multipart upload does not exist." },
  InvalidPart: { code: 10025, text: "One or more of the specified parts could not be found." },
  BadDigest: { code: 10037, text: "The checksum you specified did not match what we received." },
  InvalidRange: { code: 10039, text: "The requested range is not satisfiable" },
  BadUpload: { code: 10048, text: "There was a problem with the multipart upload." },
  EntityTooLarge: { code: 100100, text: "Your proposed upload exceeds the maximum allowed object size." },
} as const;

export type R2ErrorReason = keyof typeof KINDS;

/** The operation names Cloudflare puts at the front of an R2 error message. */
export type R2Operation =
  | "head"
  | "get"
  | "put"
  | "delete"
  | "list"
  | "createMultipartUpload"
  | "uploadPart"
  | "completeMultipartUpload"
  | "abortMultipartUpload";

/**
 * A failed R2 operation. `code` is Cloudflare's numeric code (also at the end of `message`),
 * `action` the operation and `reason` a stable name for the kind of failure.
 *
 * @example
 * try { await env.BUCKET.head("x".repeat(2000)); }
 * catch (e) { e.message; // "head: The specified object name is not valid. (10020)" }
 */
export class R2Error extends Error {
  readonly code: number;
  readonly action: R2Operation;
  readonly reason: R2ErrorReason;

  constructor(action: R2Operation, reason: R2ErrorReason, text?: string) {
    const kind = KINDS[reason];
    super(`${action}: ${text ?? kind.text} (${kind.code})`);
    this.name = "R2Error";
    this.code = kind.code;
    this.action = action;
    this.reason = reason;
  }

  static is(value: unknown): value is R2Error {
    return (
      value instanceof Error && value.name === "R2Error" && typeof (value as R2Error).reason === "string"
    );
  }
}

/** The checksum a put was given differs from the bytes received (Cloudflare's BadDigest). */
export function badDigest(action: R2Operation, algorithm: string, provided: string, actual: string): R2Error {
  return new R2Error(
    action,
    "BadDigest",
    [
      `The ${algorithm} checksum you specified did not match what we received.`,
      `You provided a ${algorithm} checksum with value: ${provided}`,
      `Actual ${algorithm} was: ${actual}`,
    ].join("\n"),
  );
}
