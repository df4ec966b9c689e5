// A Cairn error in the logs of `cairn dev` and `cairn start`: whether the message is a bare code
// or not, the JSON line carries `code` and `detail`, and the readable line shows the detail, so
// no log says "instance.not_found" without saying which instance.

import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { WorkflowsError } from "../errors.js";
import { LOG_SERIALIZERS } from "./logger.js";
import { prettyLogLine } from "./pretty-log-line.js";

/** The JSON line the logger of `cairn dev` writes for `fields` and `msg`. */
function logLine(fields: Record<string, unknown>, msg: string): string {
  const written: string[] = [];
  const logger = pino(
    { base: undefined, timestamp: false, serializers: LOG_SERIALIZERS },
    { write: (line: string) => void written.push(line) },
  );
  logger.error(fields, msg);
  return written.join("");
}

const missing = () => new WorkflowsError("instance.not_found", 'no instance "nope" in workflow "orders"');

describe("a Cairn error in a log line", () => {
  it("keeps code and detail beside the bare message in the JSON line", () => {
    const entry = JSON.parse(logLine({ err: missing() }, "fetch handler threw"));
    expect(entry.err).toMatchObject({
      type: "WorkflowsError",
      message: "instance.not_found",
      code: "instance.not_found",
      detail: 'no instance "nope" in workflow "orders"',
    });
  });

  it("shows the detail in the readable line, under `err` or `error`", () => {
    for (const key of ["err", "error"]) {
      const shown = prettyLogLine(logLine({ [key]: missing() }, "engine error"), false);
      const head = shown.split("\n")[0];
      expect(head).toContain(
        `${key}="WorkflowsError: (instance.not_found) no instance \\"nope\\" in workflow \\"orders\\""`,
      );
    }
  });

  it("shows other errors' messages as they are", () => {
    const shown = prettyLogLine(
      logLine({ err: new WorkflowsError("batch.invalid", "empty") }, "refused"),
      false,
    );
    expect(shown.split("\n")[0]).toContain('err="WorkflowsError: (batch.invalid) empty"');
  });
});
