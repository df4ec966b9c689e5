// Every error Cairn throws at a caller: a base class with a stable string `code`, so callers
// branch on codes, and a `detail` saying which id, workflow or limit was at fault. `instanceof`
// survives duplicate copies of the package through a Symbol.for brand checked by
// `WorkflowsError.is`.

const brand = Symbol.for("cairn.WorkflowsError");

/** Stable error codes. Adding a code is fine; renaming one is a breaking change. */
export type ErrorCode =
  | "instance.not_found"
  | "instance.invalid_id"
  | "instance.already_exists"
  | "instance.cannot_terminate"
  | "instance.cannot_restart"
  | "instance.not_running"
  | "instance.params_too_large"
  | "instance.invalid_options"
  | "workflow.invalid_name"
  | "workflow.invalid_event_type"
  | "workflow.not_found"
  | "workflow.invalid_definition"
  | "event.payload_too_large"
  | "event.invalid"
  | "batch.invalid"
  | "query.invalid"
  | "step.invalid_name"
  | "step.invalid_config"
  | "step.limit_exceeded"
  | "step.result_too_large"
  | "step.invalid_stream"
  | "instance.state_limit_exceeded"
  | "value.not_serializable"
  | "output.too_large"
  | "storage.invalid_url"
  | "storage.locked"
  | "storage.stale_lease"
  | "storage.migration_failed"
  | "storage.unavailable"
  | "storage.outcome_unknown"
  | "storage.failed"
  | "storage.full"
  | "storage.file_replaced"
  | "storage.corrupt"
  | "engine.closed"
  | "engine.invalid_options"
  | "metrics.disabled"
  | "introspection.invalid_argument"
  | "introspection.session_exists"
  | "introspection.no_session"
  | "introspection.mock_conflict"
  | "introspection.disposed"
  | "introspection.unreachable_status"
  | "introspection.wrong_status"
  | "history.invalid"
  | "history.unsupported_format";

/**
 * The codes whose `message` is the code alone. Cloudflare's binding throws these with a message
 * that is just the code, and code written for Cloudflare compares it
 * (`e.message === "instance.not_found"`); every other error's message is `(code) detail`.
 */
export const BARE_MESSAGE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["instance.not_found"]);

/**
 * Base class of Cairn's errors. `code` is stable; `detail` explains this occurrence (the id, the
 * workflow, the limit) for people; `message` is `(code) detail`, or the bare code for the codes
 * in `BARE_MESSAGE_CODES`. To show an error to a person, use `readableMessage`.
 * @example
 * try { await binding.get("nope") } catch (e) { if (WorkflowsError.is(e) && e.code === "instance.not_found") … }
 */
export class WorkflowsError extends Error {
  readonly code: ErrorCode;
  /**
   * The explanation, without the code: which id, workflow or limit. Logs, the CLI, the HTTP API
   * and the dashboard show it; a caller that wraps this error into another one quotes it.
   */
  readonly detail: string;
  readonly [brand] = true;

  constructor(code: ErrorCode, detail: string, options?: { cause?: unknown }) {
    super(BARE_MESSAGE_CODES.has(code) ? code : `(${code}) ${detail}`, options);
    this.code = code;
    this.detail = detail;
    this.name = "WorkflowsError";
  }

  /** True for any Cairn error, even one thrown by another copy of the package. */
  static is(value: unknown): value is WorkflowsError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // The base class answers by brand (duplicate package copies); subclasses by prototype.
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class instanceof was asked about.
    const self = this as Function;
    if (self === WorkflowsError) return WorkflowsError.is(value);
    return Function.prototype[Symbol.hasInstance].call(self, value);
  }
}

/** A store refused a write because another process (or a restart) took over the instance. */
export class StaleLeaseError extends WorkflowsError {
  constructor(instance: string, epoch: number) {
    super("storage.stale_lease", `instance "${instance}" is no longer held with lease epoch ${epoch}`);
    this.name = "StaleLeaseError";
  }
}

/** The engine was closed while the call was in progress or before it. */
export class EngineClosedError extends WorkflowsError {
  constructor() {
    super("engine.closed", "the Cairn engine is closed");
    this.name = "EngineClosedError";
  }
}

/** An error, or an error as a log line or an API answer carries it. */
type ErrorLike = { message: string; code?: unknown; detail?: unknown };

/**
 * What to show a person for an error: `(code) detail` when its message is a bare code (so the
 * id or workflow it is about is not lost), else its message. Takes errors and their serialized
 * forms alike, since logs show errors after they became JSON.
 */
export function readableMessage(error: ErrorLike): string {
  const { message, code, detail } = error;
  if (typeof code === "string" && typeof detail === "string" && detail !== "" && message === code) {
    return `(${code}) ${detail}`;
  }
  return message;
}

/**
 * An error's stack for a person: as with `readableMessage`, a bare-code message gains its detail
 * in the stack's first line.
 */
export function readableStack(error: Error): string {
  const stack = error.stack ?? error.message;
  const readable = readableMessage(error);
  if (readable === error.message) return stack;
  const head = `${error.name}: ${error.message}`;
  return stack.startsWith(head)
    ? `${error.name}: ${readable}${stack.slice(head.length)}`
    : `${readable}\n${stack}`;
}
