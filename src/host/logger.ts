// Structured logs for `cairn dev` and `cairn start`: one JSON object per line when the output is
// not a terminal (for log shippers and tests), short readable lines when it is. A message is a
// fixed phrase; what varies goes into fields, so that logs can be filtered by field.

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;
export type LogFormat = "json" | "pretty";

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const colours: Record<LogLevel, string> = { debug: "90", info: "36", warn: "33", error: "31" };

/** Errors become `{ name, message, stack }` so that JSON.stringify keeps them. */
function plain(value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code ? { code } : {}), stack: value.stack };
  }
  return value;
}

function prettyValue(value: unknown): string {
  if (value instanceof Error) return `\n${value.stack ?? value.message}`;
  if (typeof value === "string") return value.includes("\n") ? `\n${value}` : value;
  return JSON.stringify(value);
}

/** A logger writing to stdout (JSON) or stdout/stderr (pretty: warnings and errors on stderr). */
export function createLogger(format: LogFormat, options: { debug?: boolean } = {}): Logger {
  const write = (level: LogLevel, msg: string, fields: LogFields = {}) => {
    if (level === "debug" && !options.debug) return;
    if (format === "json") {
      const entries = Object.entries(fields).map(([k, v]) => [k, plain(v)]);
      const line = { time: new Date().toISOString(), level, msg, ...Object.fromEntries(entries) };
      process.stdout.write(`${JSON.stringify(line)}\n`);
      return;
    }
    const details = Object.entries(fields)
      .map(([k, v]) => `${k}=${prettyValue(v)}`)
      .join(" ");
    const stream = level === "warn" || level === "error" ? process.stderr : process.stdout;
    const label = level === "info" ? "cairn" : level;
    const tag = stream.isTTY ? `\x1b[${colours[level]}m${label}\x1b[0m` : label;
    stream.write(`${tag} ${msg}${details ? ` ${details}` : ""}\n`);
  };
  return {
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
  };
}

/** JSON when stdout is not a terminal, unless the user chose. */
export function defaultLogFormat(): LogFormat {
  return process.stdout.isTTY ? "pretty" : "json";
}
