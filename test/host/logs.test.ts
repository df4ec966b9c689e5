// End-to-end: what `cairn dev` and `cairn start` print. A workflow that logs with console, fails a
// step once, sleeps, waits for an event and finishes is driven over HTTP, and stdout is read:
// JSON lines with level, time and msg, each instance's life tagged with workflow, instance and
// step, the retry to come, console output tagged by instance and step; `--log-level` and
// CAIRN_LOG_LEVEL (the flag wins, a bad value stops start-up), and readable lines with
// `--log-format pretty`.

import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitUntil } from "cairn/testing";
import { afterEach, describe, expect, it } from "vitest";
import { CairnProcess, type LogLine } from "./helpers/cairn-process.js";
import { copyFixture, postJson, removeProjects, waitForHttpStatus } from "./helpers/projects.js";

afterEach(async () => {
  await CairnProcess.killAll();
  removeProjects();
});

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Runs one chore to its end: created, retried, slept, waited for its approval, finished. */
async function runChore(url: string, id: string, options: { fail?: boolean } = {}): Promise<void> {
  expect((await postJson(url, `/chores/${id}${options.fail ? "?fail=1" : ""}`, {})).status).toBe(201);
  await waitForHttpStatus(url, `/chores/${id}`, "waiting");
  await postJson(url, `/chores/${id}/approve`, {});
  await waitForHttpStatus(url, `/chores/${id}`, options.fail ? "errored" : "complete");
}

/** The lines about instance `id`, in order. */
function linesOf(cairn: CairnProcess, id: string): LogLine[] {
  return cairn.logs().filter((l) => l.instance === id);
}

/** A port nothing listens on right now (for a process that prints no "ready" line to learn it from). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Waits until the Worker at `url` answers (any status). */
function answering(url: string): Promise<unknown> {
  return waitUntil(
    () =>
      fetch(`${url}/nothing`).then(
        (r) => r.status,
        () => null,
      ),
    (status) => status !== null,
    { timeoutMs: 20_000, intervalMs: 50, what: `${url} to answer` },
  );
}

describe("cairn dev logs", () => {
  it("writes JSON lines telling each instance's life, with console output tagged by instance and step", async () => {
    const dir = copyFixture("logging-project");
    const cairn = CairnProcess.start(["dev", "--port", "0"], dir);
    const url = await cairn.ready();
    await runChore(url, "c1");
    await runChore(url, "c2", { fail: true });
    await cairn.waitForLog((l) => l.instance === "c2" && l.msg === "instance errored", "c2's end");

    // Everything on stdout is a JSON line with a level by name, an ISO time and a message.
    const lines = cairn.stdout.trimEnd().split("\n");
    expect(lines.every((line) => line.startsWith("{"))).toBe(true);
    for (const line of cairn.logs()) {
      expect(["debug", "info", "warn", "error"]).toContain(line.level);
      expect(line.time).toMatch(ISO_TIME);
      expect(typeof line.msg).toBe("string");
    }

    // Every line about c1 names its workflow; below, each without its time, workflow and instance.
    expect(linesOf(cairn, "c1").every((l) => l.workflow === "chores")).toBe(true);
    const c1 = linesOf(cairn, "c1").map(({ time: _t, workflow: _w, instance: _i, ...rest }) => rest);
    const inSweep = { step: "sweep", source: "console" };
    expect(c1).toEqual([
      { level: "info", trigger: "binding", msg: "instance created" },
      { level: "info", msg: "instance started" },
      { level: "info", source: "console", msg: "starting chores for c1" },
      { level: "info", ...inSweep, attempt: 1, msg: "sweeping, attempt 1" },
      {
        level: "warn",
        step: "sweep",
        attempt: 1,
        maxAttempts: 3,
        error: { name: "Error", message: "broom broke" },
        retryDelayMs: 50,
        msg: "step failed, will retry",
      },
      { level: "info", ...inSweep, attempt: 2, msg: "sweeping, attempt 2" },
      { level: "warn", ...inSweep, attempt: 2, msg: "the floor is still dusty" },
      { level: "info", step: "rest", until: expect.stringMatching(ISO_TIME), msg: "sleeping" },
      { level: "info", step: "rest", msg: "woke" },
      {
        level: "info",
        step: "approval",
        eventType: "approved",
        deadline: expect.stringMatching(ISO_TIME),
        msg: "waiting for event",
      },
      // The wait is an hour long: the instance hibernates, and the event resumes it (replaying run()).
      { level: "info", msg: "instance resumed" },
      { level: "info", source: "console", msg: "starting chores for c1" },
      { level: "info", step: "approval", eventType: "approved", msg: "event received" },
      { level: "info", msg: "instance complete" },
    ]);

    // A step with no retries left fails for good, and so does its instance.
    expect(linesOf(cairn, "c2").slice(-2)).toEqual([
      expect.objectContaining({
        level: "warn",
        step: "inspect",
        attempt: 1,
        maxAttempts: 1,
        error: { name: "Error", message: "rejected by ada" },
        msg: "step failed",
      }),
      expect.objectContaining({
        level: "warn",
        workflow: "chores",
        error: { name: "Error", message: "rejected by ada" },
        msg: "instance errored",
      }),
    ]);
    expect(linesOf(cairn, "c2").some((l) => "retryDelayMs" in l && l.step === "inspect")).toBe(false);

    // Console output outside any instance (the fetch handler) is a line of its own, untagged.
    expect(cairn.logs()).toContainEqual({
      level: "info",
      time: expect.stringMatching(ISO_TIME),
      source: "console",
      msg: "handling POST /chores/c1",
    });
  });

  it("--log-level warn leaves out info lines", async () => {
    const dir = copyFixture("logging-project");
    const port = await freePort();
    const cairn = CairnProcess.start(["dev", "--port", String(port), "--log-level", "warn"], dir);
    const url = `http://127.0.0.1:${port}`;
    await answering(url);
    await runChore(url, "w1");
    await cairn.waitForLog((l) => l.msg === "the floor is still dusty", "the console warning");
    expect(cairn.logs().map((l) => [l.level, l.msg])).toEqual([
      ["warn", "step failed, will retry"],
      ["warn", "the floor is still dusty"],
    ]);
  });

  it("takes the level from CAIRN_LOG_LEVEL; --log-level wins over it", async () => {
    const dir = copyFixture("logging-project");
    const debug = CairnProcess.start(["dev", "--port", "0"], dir, { CAIRN_LOG_LEVEL: "debug" });
    await runChore(await debug.ready(), "e1");
    const succeeded = await debug.waitForLog((l) => l.msg === "step succeeded", "a debug line");
    expect(succeeded).toMatchObject({ level: "debug", instance: "e1", step: "sweep", attempt: 2 });
    await debug.kill("SIGTERM");

    const flagWins = CairnProcess.start(["dev", "--port", "0", "--log-level", "info"], dir, {
      CAIRN_LOG_LEVEL: "error",
    });
    await runChore(await flagWins.ready(), "e2");
    await flagWins.waitForLog((l) => l.instance === "e2" && l.msg === "instance complete", "e2's end");
    expect(flagWins.logs().some((l) => l.level === "debug")).toBe(false);
  });

  it("keeps --debug as a deprecated alias of --log-level debug", async () => {
    const dir = copyFixture("logging-project");
    const cairn = CairnProcess.start(["dev", "--port", "0", "--debug"], dir);
    await runChore(await cairn.ready(), "g1");
    await cairn.waitForLog((l) => l.msg === "step succeeded", "a debug line");
    expect(cairn.logs()[0]).toMatchObject({
      level: "warn",
      msg: "--debug is deprecated: use --log-level debug (or CAIRN_LOG_LEVEL=debug)",
    });
  });

  it("refuses a level it does not know, from the flag or from CAIRN_LOG_LEVEL, naming the accepted ones", async () => {
    const dir = copyFixture("logging-project");
    const flag = CairnProcess.start(["dev", "--log-level", "loud"], dir);
    expect((await flag.exited).code).not.toBe(0);
    expect(flag.stderr).toContain("'loud' is invalid");
    expect(flag.stderr).toContain("expected one of debug, info, warn, error, silent");

    const env = CairnProcess.start(["start"], dir, { CAIRN_LOG_LEVEL: "verbose" });
    expect((await env.exited).code).toBe(1);
    expect(env.stderr).toBe(
      'cairn start: CAIRN_LOG_LEVEL is "verbose", which is not a log level; expected one of debug, info, warn, error, silent\n',
    );
    expect(env.stdout).toBe("");
  });

  it("logs and answers an uncaught instance.not_found with the id and workflow it is about", async () => {
    const dir = copyFixture("logging-project");
    const cairn = CairnProcess.start(["dev", "--port", "0"], dir);
    const url = await cairn.ready();
    // The fixture's fetch handler does not catch the binding's error for a chore that is not there.
    const response = await fetch(`${url}/chores/nobody`);
    expect(response.status).toBe(500);
    const body = await response.text();
    expect(body.split("\n")[0]).toBe(
      'WorkflowsError: (instance.not_found) no instance "nobody" in workflow "chores"',
    );
    const line = await cairn.waitForLog((l) => l.msg === "fetch handler threw", "the fetch handler's error");
    expect(line.err).toMatchObject({
      type: "WorkflowsError",
      message: "instance.not_found",
      code: "instance.not_found",
      detail: 'no instance "nobody" in workflow "chores"',
    });
  });

  it("--log-format pretty prints readable lines with the same facts", async () => {
    const dir = copyFixture("logging-project");
    const cairn = CairnProcess.start(["dev", "--port", "0", "--log-format", "pretty"], dir);
    const ready = await waitUntil(
      () => /ready {2}url=(\S+)/.exec(cairn.stdout),
      (match) => match !== null,
      { timeoutMs: 30_000, intervalMs: 20, what: "the ready line" },
    );
    await runChore(ready![1]!, "p1");
    await waitUntil(
      () => cairn.stdout,
      (out) => out.includes("[chores/p1] instance complete"),
      { timeoutMs: 10_000, what: "p1's end" },
    );
    const lines = cairn.stdout.trimEnd().split("\n");
    expect(lines.some((line) => line.startsWith("{"))).toBe(false);
    const time = "\\d\\d:\\d\\d:\\d\\d\\.\\d{3}";
    const expected = [
      `${time} INFO  \\[chores/p1\\] instance created  trigger=binding$`,
      `${time} INFO  \\[chores/p1 › sweep\\] console: sweeping, attempt 1  attempt=1$`,
      `${time} WARN  \\[chores/p1 › sweep\\] step failed, will retry  attempt=1 maxAttempts=3 error="Error: broom broke" retryDelayMs=50$`,
      `${time} WARN  \\[chores/p1 › sweep\\] console: the floor is still dusty  attempt=2$`,
      `${time} INFO  \\[chores/p1 › rest\\] sleeping  until=\\S+Z$`,
      `${time} INFO  \\[chores/p1 › approval\\] waiting for event  eventType=approved deadline=\\S+Z$`,
      `${time} INFO  \\[chores/p1 › approval\\] event received  eventType=approved$`,
      `${time} INFO  \\[chores/p1\\] instance complete$`,
    ];
    const found = expected.map((pattern) => lines.findIndex((line) => new RegExp(`^${pattern}`).test(line)));
    expect(found.every((index) => index >= 0)).toBe(true);
    expect([...found].sort((a, b) => a - b)).toEqual(found);
  });
});

describe("cairn start logs", () => {
  it("keeps step-level lines at debug: instances' starts and ends at info, failures at warn", async () => {
    const dir = copyFixture("logging-project");
    const db = join(mkdtempSync(join(tmpdir(), "cairn-logs-db-")), "prod.db");
    const cairn = CairnProcess.start(
      ["start", "--port", "0", "--admin-port", "0", "--storage", `sqlite:${db}`],
      dir,
    );
    await runChore(await cairn.ready(), "s1");
    await cairn.waitForLog((l) => l.instance === "s1" && l.msg === "instance complete", "s1's end");
    expect(
      linesOf(cairn, "s1")
        .filter((l) => l.source !== "console")
        .map((l) => [l.level, l.msg]),
    ).toEqual([
      ["info", "instance created"],
      ["warn", "step failed, will retry"],
      ["info", "instance complete"],
    ]);
    // The Worker's console output is tagged just as in dev.
    expect(linesOf(cairn, "s1")).toContainEqual(
      expect.objectContaining({ source: "console", step: "sweep", attempt: 2, msg: "sweeping, attempt 2" }),
    );
  });
});
