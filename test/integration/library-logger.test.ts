// `Cairn.open({ logger, logInstances })` for library users: errors that reach no caller go to
// the logger (a real pino logger, or any object with its four methods) unless `onError` is
// given; with `logInstances` each instance's life is logged there too, tagged with workflow,
// instance and step; bad options are refused at open.

import {
  type CairnLogger,
  FakeClock,
  type LogFields,
  WorkflowEntrypoint,
  type WorkflowEvent,
  type WorkflowStep,
  WorkflowsError,
} from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { useLifecycleHarness } from "../helpers/lifecycle-harness.js";

class Tidy extends WorkflowEntrypoint<unknown, { lateFailure?: boolean }> {
  async run(event: WorkflowEvent<{ lateFailure?: boolean }>, step: WorkflowStep) {
    if (event.payload.lateFailure) this.ctx.waitUntil(Promise.reject(new Error("late failure")));
    await step.do("dust", { retries: { limit: 1, delay: 10, backoff: "constant" } }, async (ctx) => {
      if (ctx.attempt === 1) throw new Error("sneeze");
      return "clean";
    });
    await step.sleep("nap", 10);
  }
}

class Waiter extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    await step.waitForEvent("nod", { type: "nod", timeout: "1 minute" }).catch(() => null);
  }
}

type Line = Record<string, unknown>;

/** A real pino logger at `level` whose lines land, parsed, in the returned array. */
function pinoInMemory(level: string): { logger: pino.Logger; lines: Line[] } {
  const lines: Line[] = [];
  const logger = pino(
    { level, base: undefined, timestamp: false, formatters: { level: (label) => ({ level: label }) } },
    { write: (line: string) => void lines.push(JSON.parse(line) as Line) },
  );
  return { logger, lines };
}

/** Any object with the four methods (no `child`), writing down each call. */
function plainLogger(): { logger: CairnLogger; calls: [string, LogFields, string][] } {
  const calls: [string, LogFields, string][] = [];
  const method = (level: string) => (fields: LogFields, msg: string) => void calls.push([level, fields, msg]);
  return {
    logger: { debug: method("debug"), info: method("info"), warn: method("warn"), error: method("error") },
    calls,
  };
}

const workflows = { TIDY: { name: "tidy", class: Tidy } };

describe("a library user's logger", () => {
  const h = useLifecycleHarness();

  it("receives errors that reach no caller, and no instance life unless asked", async () => {
    const { logger, lines } = pinoInMemory("debug");
    const cairn = await h.open({ workflows, logger });
    const instance = await cairn.env.TIDY.create({ id: "t1", params: { lateFailure: true } });
    await waitForStatus(instance, "complete");
    await waitUntil(
      () => lines,
      (all) => all.some((l) => l.msg === "engine error"),
      { what: "the engine error line" },
    );
    expect(lines).toEqual([
      {
        level: "error",
        context: "ctx.waitUntil",
        err: expect.objectContaining({ type: "Error", message: "late failure" }),
        msg: "engine error",
      },
    ]);
  });

  it("with logInstances, hears each instance's life: starts and ends at info, steps at debug, failures at warn", async () => {
    const { logger, lines } = pinoInMemory("debug");
    const cairn = await h.open({ workflows, logger, logInstances: true });
    await waitForStatus(await cairn.env.TIDY.create({ id: "t2" }), "complete");
    await waitUntil(
      () => lines,
      (all) => all.some((l) => l.msg === "instance complete"),
      { what: "the instance's end" },
    );
    expect(lines.map(({ level, msg }) => [level, msg])).toEqual([
      ["info", "instance created"],
      ["debug", "instance started"],
      ["warn", "step failed, will retry"],
      ["debug", "step succeeded"],
      ["debug", "sleeping"],
      ["debug", "woke"],
      ["info", "instance complete"],
    ]);
    expect(lines.every((l) => l.workflow === "tidy" && l.instance === "t2")).toBe(true);
    expect(lines[2]).toMatchObject({
      step: "dust",
      attempt: 1,
      maxAttempts: 2,
      error: { name: "Error", message: "sneeze" },
      retryDelayMs: 10,
    });
  });

  it("with logInstances, hears an event wait time out, and an instance paused and terminated", async () => {
    const { logger, lines } = pinoInMemory("debug");
    const clock = new FakeClock();
    const cairn = await h.open({
      workflows: { WAITER: { name: "waiter", class: Waiter } },
      clock,
      hibernateAfterMs: 10 * 60_000,
      logger,
      logInstances: true,
    });
    const late = await cairn.env.WAITER.create({ id: "late" });
    await waitForStatus(late, "waiting");
    clock.advance(60_000);
    await waitForStatus(late, "complete");
    const stopped = await cairn.env.WAITER.create({ id: "stopped" });
    await waitForStatus(stopped, "waiting");
    await stopped.pause();
    await waitForStatus(stopped, "paused");
    await stopped.terminate();
    await waitUntil(
      () => lines,
      (all) => all.some((l) => l.msg === "instance terminated"),
      { what: "the terminate" },
    );
    const said = (id: string) =>
      lines.filter((l) => l.instance === id).map(({ level, msg }) => `${level} ${msg}`);
    expect(said("late")).toContain("debug event wait timed out");
    expect(said("late").at(-1)).toBe("info instance complete");
    expect(said("stopped").filter((line) => !line.startsWith("debug"))).toEqual([
      "info instance created",
      "info instance paused",
      "info instance terminated",
    ]);
  });

  it("may be any object with the four methods; onError, when given, still takes the errors", async () => {
    const { logger, calls } = plainLogger();
    const errors: [string, string][] = [];
    const onError = (error: unknown, context: string) =>
      void errors.push([context, (error as Error).message]);
    const cairn = await h.open({ workflows, logger, logInstances: true, onError });
    await waitForStatus(await cairn.env.TIDY.create({ id: "t3", params: { lateFailure: true } }), "complete");
    await waitUntil(
      () => errors,
      (all) => all.length > 0,
      { what: "the error to reach onError" },
    );
    expect(errors).toEqual([["ctx.waitUntil", "late failure"]]);
    expect(calls.some(([, , msg]) => msg === "engine error")).toBe(false);
    // Without `child`, the instance's fields are merged into each call.
    expect(calls[0]).toEqual([
      "info",
      { workflow: "tidy", instance: "t3", trigger: "binding" },
      "instance created",
    ]);
  });

  it("is checked at open: it needs the four methods, and logInstances needs a logger", async () => {
    const refused = async (options: Record<string, unknown>) => {
      const error = await h.open({ workflows, ...options }).catch((e: unknown) => e);
      expect(WorkflowsError.is(error) && error.code).toBe("engine.invalid_options");
      return (error as Error).message;
    };
    expect(await refused({ logger: { info() {} } })).toContain(
      "logger must have debug, info, warn and error methods",
    );
    expect(await refused({ logInstances: true })).toContain("logInstances needs a logger");
    expect(await refused({ logger: pinoInMemory("info").logger, logInstances: "yes" })).toContain(
      'logInstances must be true or false, got "yes"',
    );
  });

  it("asks isLevelEnabled once and writes no success line when debug is off", async () => {
    const { logger, calls } = plainLogger();
    const asked: string[] = [];
    const cairn = await h.open({
      workflows,
      logger: {
        ...logger,
        isLevelEnabled: (level: string) => {
          asked.push(level);
          return level !== "debug";
        },
      },
      logInstances: true,
    });
    const instance = await cairn.env.TIDY.create({ id: "quiet" });
    await waitForStatus(instance, "complete");
    await waitUntil(
      () => calls,
      () => calls.some(([, , msg]) => msg === "instance complete"),
      { what: "the end line" },
    );
    expect(asked).toEqual(["debug"]);
    expect(calls.map(([, , msg]) => msg)).not.toContain("step succeeded");
    // The failed first attempt is still told.
    expect(calls.map(([, , msg]) => msg)).toContain("step failed, will retry");
  });
});
