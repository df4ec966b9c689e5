// Every error Cairn throws at a caller: a base class with a stable string `code`, so callers
// branch on codes, never on messages. `instanceof` survives duplicate copies of
// the package through a Symbol.for brand checked by `WorkflowsError.is`.

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
 * Base class of Cairn's errors.
 * @example
 * try { await binding.get("nope") } catch (e) { if (WorkflowsError.is(e) && e.code === "instance.not_found") … }
 */
export class WorkflowsError extends Error {
  readonly code: ErrorCode;
  /**
   * The message without its "(code) " prefix: what a caller that wraps this error into another
   * one quotes, so that no message repeats a code.
   */
  readonly detail: string;
  readonly [brand] = true;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(`(${code}) ${message}`, options);
    this.code = code;
    this.detail = message;
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
