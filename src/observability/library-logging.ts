// What `Cairn.open({ logger, logInstances })` turns into: engine errors that reach no caller go
// to the logger (unless `onError` is given, which wins), and with `logInstances` each instance's
// life is logged there too. Without a logger nothing changes, and nothing is loaded or observed.

import type { EngineObserver } from "../engine/observer.js";
import { describeValue } from "../engine/validate.js";
import { WorkflowsError } from "../errors.js";
import { lifecycleLogObserver, START_LIFECYCLE_LEVELS } from "./lifecycle-log.js";
import { type CairnLogger, isCairnLogger } from "./log-types.js";

export type LoggingOptionsInput = {
  /**
   * A pino logger, or any object with pino's `debug/info/warn/error(fields, msg)` methods (and
   * optionally `child`). Errors that reach no caller are logged there as "engine error".
   */
  logger?: CairnLogger;
  /** Also log each instance's life (created, step failures and retries, sleeps, waits, end) to `logger`. Default false. */
  logInstances?: boolean;
  onError?: (error: unknown, context: string) => void;
};

export type Logging = {
  onError: ((error: unknown, context: string) => void) | undefined;
  observers: EngineObserver[];
};

function invalid(message: string): WorkflowsError {
  return new WorkflowsError("engine.invalid_options", message);
}

/** Checks the logging options and says where engine errors go and which observers log. */
export function libraryLogging(options: LoggingOptionsInput): Logging {
  const { logger, logInstances } = options;
  if (logger !== undefined && !isCairnLogger(logger)) {
    throw invalid(`logger must have debug, info, warn and error methods, got ${describeValue(logger)}`);
  }
  if (logInstances !== undefined && typeof logInstances !== "boolean") {
    throw invalid(`logInstances must be true or false, got ${describeValue(logInstances)}`);
  }
  if (logInstances && !logger) throw invalid("logInstances needs a logger to write to");
  const onError =
    options.onError ??
    (logger
      ? (error: unknown, context: string) => logger.error({ context, err: error }, "engine error")
      : undefined);
  const observers = logger && logInstances ? [lifecycleLogObserver(logger, START_LIFECYCLE_LEVELS)] : [];
  return { onError, observers };
}
