// Sends `console.log/info/warn/error/debug` through Cairn's logger, so that what workflow and
// Worker code prints shares the log's format and level filter: inside an instance the line is
// tagged with its workflow, instance and (inside a step) step and attempt; elsewhere (a fetch
// handler) it is tagged only as console output. Installed by the host, never by `Cairn.open`.
// One call writes one line at most MAX_CONSOLE_LINE_CHARS long: a 10 MB string printed by a
// workflow must not become a 10 MB log line. Lines are written synchronously, none is dropped.

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

/** Longest message of one console line (64 KiB of characters); the rest is cut off and counted. */
export const MAX_CONSOLE_LINE_CHARS = 64 * 1024;

/**
 * Replaces the console's methods with ones writing log lines to `logger` (`msg`: the text as
 * console would print it; `source: "console"`). Returns the function that puts the originals back.
 */
export function captureConsole(logger: CairnLogger): () => void {
  const originals = new Map<Method, (...args: unknown[]) => void>();
  for (const [method, level] of Object.entries(METHOD_LEVELS) as [Method, LineLevel][]) {
    originals.set(method, console[method]);
    console[method] = (...args: unknown[]) => {
      logger[level]({ source: "console", ...currentInstanceTag() }, capped(format(...args)));
    };
  }
  return () => {
    for (const [method, original] of originals) console[method] = original;
  };
}

/** `text`, or its first MAX_CONSOLE_LINE_CHARS characters and how long it was. */
export function capped(text: string): string {
  if (text.length <= MAX_CONSOLE_LINE_CHARS) return text;
  return `${text.slice(0, MAX_CONSOLE_LINE_CHARS)}… (truncated: the line was ${text.length} characters; console lines are cut at ${MAX_CONSOLE_LINE_CHARS})`;
}
