// When a Worker's process.env shows its vars and secrets (nodejs_compat with a compatibility date
// from 2025-04-01 or the populate flag, unless the do-not flag), and how values become strings.

import { describe, expect, it } from "vitest";
import { populatesProcessEnv, workerProcessEnv } from "./process-env.js";

describe("populatesProcessEnv", () => {
  const cases: [string | undefined, string[], boolean][] = [
    ["2025-04-01", ["nodejs_compat"], true],
    ["2025-03-31", ["nodejs_compat"], false],
    ["2024-01-01", ["nodejs_compat", "nodejs_compat_populate_process_env"], true],
    ["2025-09-01", ["nodejs_compat", "nodejs_compat_do_not_populate_process_env"], false],
    ["2025-09-01", ["nodejs_compat", "disallow_importable_env"], false],
    ["2025-09-01", ["nodejs_compat_v2"], true],
    ["2025-09-01", [], false],
    ["2025-09-01", ["nodejs_compat_populate_process_env"], false],
    [undefined, ["nodejs_compat"], false],
  ];
  for (const [date, flags, expected] of cases) {
    it(`${date ?? "no date"} with [${flags.join(", ")}] → ${expected}`, () => {
      expect(populatesProcessEnv({ date, flags })).toBe(expected);
    });
  }
});

describe("workerProcessEnv", () => {
  it("keeps text values and writes other vars as their JSON text", () => {
    const env = workerProcessEnv(
      { date: "2025-09-01", flags: ["nodejs_compat"] },
      { NAME: "x", COUNT: 3, ON: true, LIST: [1, "a"], OBJECT: { a: null } },
    );
    expect(env).toEqual({ NAME: "x", COUNT: "3", ON: "true", LIST: '[1,"a"]', OBJECT: '{"a":null}' });
  });

  it("is empty when the Worker's settings do not populate process.env", () => {
    expect(workerProcessEnv({ date: "2024-01-01", flags: ["nodejs_compat"] }, { NAME: "x" })).toEqual({});
  });
});
