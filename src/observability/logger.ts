// The logger of `cairn dev` and `cairn start`: pino, writing synchronously to stdout so that no
// line is lost when the process exits. JSON lines (level by name, ISO time, msg, fields) for log
// shippers and tests, or one readable line per entry on a terminal (see pretty-log-line.ts).

import { pino } from "pino";
import type { LogLevel } from "./log-types.js";
import { prettyLogLine } from "./pretty-log-line.js";

export type LogFormat = "json" | "pretty";
export type { Logger } from "pino";

export type LoggerSettings = {
  format: LogFormat;
  level: LogLevel;
  /** Colour the level in pretty lines (default: when stdout is a terminal and NO_COLOR is unset). */
  colour?: boolean;
};

/** JSON when stdout is not a terminal, unless the user chose. */
export function defaultLogFormat(): LogFormat {
  return process.stdout.isTTY ? "pretty" : "json";
}

/**
 * Errors under `err`, or thrown values under `error`, keep their type, message and stack in the
 * JSON line, and a Cairn error its `code` and `detail` (the explanation a bare-code message
 * leaves out); anything else under `error` (a message, a step's `{ name, message }`) is kept as is.
 * Typed by hand: the inferred type names pino-std-serializers, which declaration output cannot
 * reach when `node_modules` is a link (as in bench/compare.sh's worktree).
 */
export const LOG_SERIALIZERS: Record<"err" | "error", pino.SerializerFn> = {
  err: pino.stdSerializers.err,
  error: (value: unknown) => (value instanceof Error ? pino.stdSerializers.err(value) : value),
};

/** A pino logger writing to stdout in `format`, dropping lines below `level`. */
export function createLogger(settings: LoggerSettings): pino.Logger {
  const colour = settings.colour ?? (process.stdout.isTTY === true && !process.env.NO_COLOR);
  const stdout = pino.destination({ dest: 1, sync: true });
  const destination =
    settings.format === "json"
      ? stdout
      : { write: (line: string) => stdout.write(prettyLogLine(line, colour)) };
  return pino(
    {
      level: settings.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: LOG_SERIALIZERS,
    },
    destination,
  );
}
