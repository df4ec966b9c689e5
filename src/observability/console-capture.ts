// Sends `console.log/info/warn/error/debug` through Cairn's logger, so that what workflow and
// Worker code prints shares the log's format and level filter: inside an instance the line is
// tagged with its workflow, instance and (inside a step) step and attempt; elsewhere (a fetch
// handler) it is tagged only as console output. Installed by the host, never by `Cairn.open`.

import { format } from "node:util";
import { currentInstanceTag } from "./instance-context.js";
import type { CairnLogger, LineLevel } from "./log-types.js";

/** The console methods captured, and the level each one's lines get. */
const METHOD_LEVELS = {
  debug: "debug",
  log: "info",
  info: "info",
  warn: "warn",
  error: "error",
} as const satisfies Record<string, LineLevel>;

type Method = keyof typeof METHOD_LEVELS;

/**
 * Replaces the console's methods with ones writing log lines to `logger` (`msg`: the text as
 * console would print it; `source: "console"`). Returns the function that puts the originals back.
 */
export function captureConsole(logger: CairnLogger): () => void {
  const originals = new Map<Method, (...args: unknown[]) => void>();
  for (const [method, level] of Object.entries(METHOD_LEVELS) as [Method, LineLevel][]) {
    originals.set(method, console[method]);
    console[method] = (...args: unknown[]) => {
      logger[level]({ source: "console", ...currentInstanceTag() }, format(...args));
    };
  }
  return () => {
    for (const [method, original] of originals) console[method] = original;
  };
}
