// The CLI's errors, each with a string code and the exit status a script sees: 1 when the
// server refused (or answered something unreadable), 2 for a usage mistake, 3 when no server
// answered at the URL. The command runner turns them into one line on stderr and that status.

export type CliErrorCode =
  | "cli.api_error"
  | "cli.bad_response"
  | "cli.no_instances"
  | "cli.usage"
  | "cli.cannot_connect"
  | "cli.io_error";

export class CliError extends Error {
  readonly code: CliErrorCode;
  readonly exitCode: 1 | 2 | 3;

  constructor(code: CliErrorCode, exitCode: 1 | 2 | 3, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.exitCode = exitCode;
    this.name = "CliError";
  }
}

/** The server answered with an error (non-2xx or `success: false`). */
export class ApiError extends CliError {
  /** The HTTP status. */
  readonly status: number;
  /** Cloudflare's numeric code from `errors[0].code`. */
  readonly apiCode: number | null;
  /** Cairn's string code from `errors[0].cairn_code`, when the server is Cairn. */
  readonly cairnCode: string | null;
  /** The server's message, without the code. */
  readonly detail: string;

  constructor(status: number, detail: string, apiCode: number | null, cairnCode: string | null) {
    const tag = cairnCode ?? (apiCode !== null ? `code ${apiCode}` : `HTTP ${status}`);
    super("cli.api_error", 1, `${detail} (${tag})`);
    this.status = status;
    this.apiCode = apiCode;
    this.cairnCode = cairnCode;
    this.detail = detail;
    this.name = "ApiError";
  }
}

/** Bad flags or arguments found after commander parsed them (invalid JSON, too many ids, …). */
export class UsageError extends CliError {
  constructor(message: string) {
    super("cli.usage", 2, message);
    this.name = "UsageError";
  }
}

/** Nothing answered at the URL (refused, unknown host, timed out). */
export class ConnectionError extends CliError {
  readonly url: string;

  constructor(url: string, reason: string, options?: { cause?: unknown }) {
    super(
      "cli.cannot_connect",
      3,
      `cannot connect to ${url} (${reason}). Is \`cairn dev\` running there? ` +
        "(`cairn start` serves the API on its admin port, 8788 by default.) " +
        "Point at another server with --url or CAIRN_URL.",
      options,
    );
    this.url = url;
    this.name = "ConnectionError";
  }
}
