// The errors a KV binding throws at Worker code. Cloudflare's runtime reports a rejected call as
// a plain Error whose message reads "KV <METHOD> failed: <status> <reason>", and bad arguments it
// catches itself as a TypeError; Workers match on those messages, so they are kept word for word.
// Each error also carries a stable `code` that Cairn's own tests and logs can rely on.

/** Stable codes of the KV errors, one per kind of bad input. */
export type KvErrorCode =
  | "kv.invalid_key"
  | "kv.key_too_long"
  | "kv.invalid_type"
  | "kv.invalid_value"
  | "kv.value_too_large"
  | "kv.metadata_too_large"
  | "kv.invalid_expiration"
  | "kv.invalid_expiration_ttl"
  | "kv.invalid_cache_ttl"
  | "kv.invalid_limit"
  | "kv.invalid_cursor"
  | "kv.invalid_bulk"
  | "kv.not_json";

/** The operation names Cloudflare puts in its failure messages. */
export type KvMethod = "GET" | "GET_BULK" | "PUT" | "DELETE";

/** A KV call the store refused, with Cloudflare's "KV <METHOD> failed: <status> <reason>" message. */
export class KvError extends Error {
  readonly code: KvErrorCode;
  readonly status: number;

  constructor(code: KvErrorCode, method: KvMethod, status: number, reason: string) {
    super(`KV ${method} failed: ${status} ${reason}`);
    this.code = code;
    this.status = status;
    // Workers see a plain Error on Cloudflare; the name stays "Error" so that checks on it agree.
    this.name = "Error";
  }

  static is(value: unknown): value is KvError {
    return value instanceof KvError;
  }
}

/** An argument of the wrong shape, refused before the store is asked (a TypeError on Cloudflare). */
export class KvTypeError extends TypeError {
  readonly code: KvErrorCode;

  constructor(code: KvErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = "TypeError";
  }

  static is(value: unknown): value is KvTypeError {
    return value instanceof KvTypeError;
  }
}
