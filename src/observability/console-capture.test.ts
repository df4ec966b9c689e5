// The console capture writes each call as one log line, and cuts a line over its cap.

import { afterEach, describe, expect, it } from "vitest";
import { captureConsole, MAX_CONSOLE_LINE_CHARS } from "./console-capture.js";
import type { CairnLogger, LogFields } from "./log-types.js";

/** A logger that keeps what it is given. */
function keeping(): CairnLogger & { lines: { fields: LogFields; msg: string }[] } {
  const lines: { fields: LogFields; msg: string }[] = [];
  const keep = (fields: LogFields, msg: string) => lines.push({ fields, msg });
  return { lines, debug: keep, info: keep, warn: keep, error: keep };
}

describe("captureConsole", () => {
  let restore: (() => void) | undefined;
  afterEach(() => restore?.());

  it("writes short lines whole", () => {
    const logger = keeping();
    restore = captureConsole(logger);
    console.log("hello %s", "there");
    restore();
    expect(logger.lines).toEqual([{ fields: { source: "console" }, msg: "hello there" }]);
  });

  it("cuts a line over the cap and says how long it was", () => {
    const logger = keeping();
    restore = captureConsole(logger);
    console.log("x".repeat(10 * 1024 * 1024));
    restore();
    const [line] = logger.lines;
    expect(line?.msg.startsWith("x".repeat(MAX_CONSOLE_LINE_CHARS))).toBe(true);
    expect(line?.msg.slice(MAX_CONSOLE_LINE_CHARS)).toBe(
      `… (truncated: the line was ${10 * 1024 * 1024} characters; console lines are cut at ${MAX_CONSOLE_LINE_CHARS})`,
    );
  });
});
