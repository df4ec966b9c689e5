// Errors of the host layer (config, build, module loading): each with a stable string code and a
// message meant for a person at a terminal, naming the file, key or binding at fault. The CLI
// prints the message and exits non-zero; nothing here is thrown at workflow code.

export type HostErrorCode =
  | "config.not_found"
  | "config.invalid"
  | "config.unsupported_binding"
  | "config.unknown_script"
  | "config.unknown_entrypoint"
  | "config.invalid_rule"
  | "build.failed"
  | "module.invalid"
  | "listen.failed"
  | "api.token_required"
  | "log.invalid_level"
  | "workers.needs_postgres"
  | "metrics.unavailable";

/** A problem with the project being hosted, not with Cairn itself. */
export class HostError extends Error {
  readonly code: HostErrorCode;

  constructor(code: HostErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = "HostError";
  }

  static is(value: unknown): value is HostError {
    return value instanceof HostError;
  }
}
