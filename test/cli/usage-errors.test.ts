// Usage mistakes exit with status 2 and send no request: commander's own (unknown flag, missing
// argument, bad option value) and the ones the commands check (JSON, restart flags, id counts).

import { describe, expect, it } from "vitest";
import { runCli } from "./helpers/run-cli.js";

describe("usage errors", () => {
  it.each([
    ["an unknown subcommand", ["nope"]],
    ["no subcommand", []],
    ["an unknown flag", ["list", "--bogus"]],
    ["a missing argument", ["instances", "describe"]],
    ["a status Cloudflare does not have", ["instances", "list", "orders", "--status", "finished"]],
    ["a page that is not a number", ["instances", "list", "orders", "--page", "two"]],
    ["a page of 0", ["list", "--page", "0"]],
    ["a date that is not a date", ["instances", "list", "orders", "--date-start", "yesterday"]],
    ["--step-output with a non-boolean", ["instances", "describe", "orders", "x", "--step-output=maybe"]],
    ["a negative truncate limit", ["instances", "describe", "orders", "x", "--truncate-output-limit", "-1"]],
    ["params that are not JSON", ["trigger", "orders", "{nope"]],
    [
      "a payload that is not JSON",
      ["instances", "send-event", "orders", "x", "--type", "t", "--payload", "{"],
    ],
    ["send-event without --type", ["instances", "send-event", "orders", "x"]],
    [
      "--from-step-count without --from-step-name",
      ["instances", "restart", "orders", "x", "--from-step-count", "2"],
    ],
    [
      "--from-step-type without --from-step-name",
      ["instances", "restart", "orders", "x", "--from-step-type", "do"],
    ],
    [
      "an unknown step type",
      ["instances", "restart", "orders", "x", "--from-step-name", "a", "--from-step-type", "step"],
    ],
    ["terminate-all of finished instances", ["instances", "terminate-all", "orders", "--status", "complete"]],
    ["delete without ids", ["instances", "delete", "orders"]],
    ["a URL that is not a URL", ["list", "--url", "localhost:8787/x y"]],
  ])("%s exits 2 without a request", async (_what, args) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).not.toBe("");
    expect(run.requests).toEqual([]);
  });

  it("names the problem on stderr", async () => {
    const restart = await runCli(["instances", "restart", "orders", "x", "--from-step-count", "2"]);
    expect(restart.stderr).toBe(
      "cairn workflows: --from-step-count and --from-step-type need --from-step-name\n",
    );
    const json = await runCli(["trigger", "orders", "{nope"]);
    expect(json.stderr).toMatch(/^cairn workflows: params is not valid JSON: /);
    const status = await runCli(["instances", "list", "orders", "--status", "finished"]);
    expect(status.stderr).toContain("expected one of: queued, running, paused, errored");
  });

  it("checks the number of ids to delete: 1 to 100, counted after reading --filename", async () => {
    const ids = Array.from({ length: 101 }, (_, i) => `i${i}`);
    const tooMany = await runCli(["instances", "delete", "orders", ...ids]);
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toContain("at most 100 instances per delete (got 101)");
    const fromFile = await runCli(["instances", "delete", "orders", "a", "--filename", "ids.json"], {
      files: { "ids.json": JSON.stringify(ids.slice(0, 100)) },
    });
    expect(fromFile.code).toBe(2);
    const notArray = await runCli(["instances", "delete", "orders", "--filename", "ids.json"], {
      files: { "ids.json": '{"instances":["a"]}' },
    });
    expect(notArray.code).toBe(2);
    expect(notArray.stderr).toContain("must hold a JSON array of instance ids");
    const missing = await runCli(["instances", "delete", "orders", "--filename", "nope.json"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read nope.json");
  });

  it("exits 0 for --help", async () => {
    const run = await runCli(["instances", "restart", "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("--from-step-name <name>");
  });
});
