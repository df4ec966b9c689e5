// The logging vocabulary shared by the host and by library users, without loading pino: the
// levels Cairn accepts, and the smallest logger shape it writes to (pino's, so a pino logger
// fits as is, and so does any object with the same four methods).

/** The levels `--log-level`, `CAIRN_LOG_LEVEL` and the lifecycle lines use, quietest last. */
export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** A level a line is written at (`silent` only filters). */
export type LineLevel = Exclude<LogLevel, "silent">;

/** Fields of one log line: what varies goes here, the message stays a fixed phrase. */
export type LogFields = Record<string, unknown>;

/**
 * What Cairn writes its lines to: pino's `(fields, msg)` methods, and optionally `child` to bind
 * fields once (a run's workflow and instance). A pino logger is one.
 */
export interface CairnLogger {
  debug(fields: LogFields, msg: string): void;
  info(fields: LogFields, msg: string): void;
  warn(fields: LogFields, msg: string): void;
  error(fields: LogFields, msg: string): void;
  child?(bindings: LogFields): CairnLogger;
  /** Whether lines at `level` are written (pino has it); without it, every level counts as on. */
  isLevelEnabled?(level: string): boolean;
}

/** The level named by `value`, or undefined when it names none. */
export function parseLogLevel(value: string): LogLevel | undefined {
  const level = value.trim().toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(level) ? (level as LogLevel) : undefined;
}

/** True for an object with the four methods Cairn calls. */
export function isCairnLogger(value: unknown): value is CairnLogger {
  if (typeof value !== "object" || value === null) return false;
  const methods = value as Record<string, unknown>;
  return ["debug", "info", "warn", "error"].every((name) => typeof methods[name] === "function");
}
