// The engine's observer hooks, which metrics, traces and logs are built on: what one run reports
// (attempts with their outcome and the retry to come, sleeps with the time they woke, events
// received, the run's end with its error), instances created and statuses written, and that two
// observers both hear everything, the first one's context wrapping the second's.

import {
  type AttemptEnd,
  type EngineObserver,
  FakeClock,
  NonRetryableError,
  WorkflowEntrypoint,
  type WorkflowEvent,
  type WorkflowStep,
} from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";
import { describe, expect, it } from "vitest";
import { useLifecycleHarness } from "../helpers/lifecycle-harness.js";

const MINUTE = 60_000;

/** Attempts of "flaky" per instance (a replay after hibernation must not reset them). */
const tries = new Map<string, number>();

class Story extends WorkflowEntrypoint {
  async run(event: WorkflowEvent<unknown>, step: WorkflowStep) {
    await step.do("flaky", { retries: { limit: 2, delay: 10, backoff: "constant" } }, async () => {
      tries.set(event.instanceId, (tries.get(event.instanceId) ?? 0) + 1);
      if (tries.get(event.instanceId) === 1) throw new Error("first try fails");
      return "ok";
    });
    await step.sleep("nap", "1 minute");
    const go = await step.waitForEvent<string>("go", { type: "go" });
    await step.do("doomed", async () => {
      throw new NonRetryableError(`no way: ${go.payload}`);
    });
  }
}

type Heard = string[];

/** Waits (bounded) until what was heard satisfies `holds`. */
function until(heard: Heard, holds: () => boolean, what: string): Promise<Heard> {
  return waitUntil(() => heard, holds, { what });
}

/** An observer that writes down what it hears, tagging each line with `tag`. */
function recorder(tag: string, heard: Heard, clockNow: () => number): EngineObserver {
  const say = (line: string) => heard.push(`${tag} ${line}`);
  return {
    created: (workflow, id, trigger) => say(`created ${workflow}/${id} by ${trigger}`),
    statusWritten: (_workflow, id, status) => say(`status ${id} ${status}`),
    run: ({ instance, fresh }) => {
      say(`run ${instance.id} ${fresh ? "fresh" : "resumed"}`);
      return {
        enter: (fn) => {
          say("enter");
          return fn();
        },
        attempt: ({ name, attempt }) => ({
          run: (fn) => {
            say(`attempt ${name} #${attempt} runs`);
            return fn();
          },
          ended: (end: AttemptEnd) =>
            say(
              end.outcome === "success"
                ? `attempt ${name} #${attempt} success`
                : `attempt ${name} #${attempt} ${end.outcome} "${end.error.message}" retry ${end.retryDelayMs}`,
            ),
        }),
        sleeping: (name, wakeAt) => say(`sleeping ${name} for ${wakeAt - clockNow()}`),
        woke: (name, wakeAt, at) => say(`woke ${name} late ${at - wakeAt}`),
        waiting: (name, type) => say(`waiting ${name} for ${type}`),
        received: (name, type, sentAt, at) => say(`received ${name} ${type} after ${at - sentAt}`),
        ended: (reason, status, error) => say(`ended ${reason} ${status} ${error?.message ?? ""}`.trim()),
      };
    },
  };
}

describe("engine observers", () => {
  const h = useLifecycleHarness();

  it("hear a run's attempts, retries, sleeps, events and end, in order", async () => {
    const clock = new FakeClock();
    const heard: Heard = [];
    const cairn = await h.open({
      workflows: { STORY: { name: "story", class: Story } },
      clock,
      hibernateAfterMs: 10 * MINUTE,
      observers: [recorder("a", heard, () => clock.now())],
    });
    const instance = await cairn.env.STORY.create({ id: "s1" });
    await until(heard, () => heard.some((l) => l.includes("retry 10")), "the retry");
    clock.advance(10);
    await until(heard, () => heard.some((l) => l.includes("sleeping")), "the sleep");
    clock.advance(MINUTE);
    await until(heard, () => heard.some((l) => l.includes("waiting go")), "the wait");
    clock.advance(5000);
    await instance.sendEvent({ type: "go", payload: "later" });
    expect(await waitForStatus(instance, "errored")).toMatchObject({ status: "errored" });
    await until(heard, () => heard.some((l) => l.includes("ended")), "the run's end");

    expect(heard.filter((l) => !l.startsWith("a status"))).toEqual([
      "a created story/s1 by binding",
      "a run s1 fresh",
      "a enter",
      "a attempt flaky #1 runs",
      'a attempt flaky #1 failure "first try fails" retry 10',
      "a attempt flaky #2 runs",
      "a attempt flaky #2 success",
      "a sleeping nap for 60000",
      "a woke nap late 0",
      "a waiting go for go",
      // The wait's deadline (a day) is beyond hibernateAfterMs: the run hibernates until the event.
      "a ended hibernated waiting",
      "a run s1 resumed",
      "a enter",
      "a received go go after 0",
      "a attempt doomed #1 runs",
      'a attempt doomed #1 failure "no way: later" retry null',
      "a ended finished errored no way: later",
    ]);
    expect(heard.filter((l) => l.startsWith("a status"))).toEqual([
      "a status s1 running",
      "a status s1 waiting",
      "a status s1 running",
      "a status s1 errored",
    ]);
  });

  it("tell a resumed run from a fresh one, and report hibernation as the run's end", async () => {
    const clock = new FakeClock();
    const heard: Heard = [];
    const cairn = await h.open({
      workflows: { STORY: { name: "story", class: Story } },
      clock,
      hibernateAfterMs: 0,
      observers: [recorder("a", heard, () => clock.now())],
    });
    const instance = await cairn.env.STORY.create({ id: "s2" });
    await until(heard, () => heard.includes("a ended hibernated waiting"), "hibernation");
    clock.advance(10);
    await until(
      heard,
      () => heard.filter((l) => l.startsWith("a ended hibernated")).length === 2,
      "the second hibernation (the sleep)",
    );
    clock.advance(MINUTE + 250);
    await until(heard, () => heard.includes("a waiting go for go"), "the wait");
    expect(heard).toContain("a run s2 resumed");
    // The sleep was due while the instance hibernated: its lateness is how late the run came back.
    expect(heard).toContain("a woke nap late 250");
    await instance.terminate();
    await until(heard, () => heard.includes("a status s2 terminated"), "the terminate");
  });

  it("fan out to every observer, the first one's context wrapping the next one's", async () => {
    const clock = new FakeClock();
    const heard: Heard = [];
    const cairn = await h.open({
      workflows: { STORY: { name: "story", class: Story } },
      clock,
      hibernateAfterMs: 10 * MINUTE,
      observers: [recorder("a", heard, () => clock.now()), recorder("b", heard, () => clock.now())],
    });
    await cairn.env.STORY.create({ id: "s3" });
    await until(
      heard,
      () => heard.includes('b attempt flaky #1 failure "first try fails" retry 10'),
      "the retry",
    );
    clock.advance(10);
    await until(heard, () => heard.includes("b sleeping nap for 60000"), "the sleep");
    expect(heard.filter((l) => !l.includes(" status ")).slice(0, 12)).toEqual([
      "a created story/s3 by binding",
      "b created story/s3 by binding",
      "a run s3 fresh",
      "b run s3 fresh",
      "a enter",
      "b enter",
      "a attempt flaky #1 runs",
      "b attempt flaky #1 runs",
      'a attempt flaky #1 failure "first try fails" retry 10',
      'b attempt flaky #1 failure "first try fails" retry 10',
      "a attempt flaky #2 runs",
      "b attempt flaky #2 runs",
    ]);
  });

  it("cannot break the engine: what an observer throws is reported and the instance goes on", async () => {
    const clock = new FakeClock();
    const reported: string[] = [];
    const boom = (what: string) => () => {
      throw new Error(`observer fails in ${what}`);
    };
    const cairn = await h.open({
      workflows: { STORY: { name: "story", class: Story } },
      clock,
      hibernateAfterMs: 10 * MINUTE,
      onError: (error, context) => reported.push(`${context}: ${(error as Error).message}`),
      observers: [
        {
          created: boom("created"),
          statusWritten: boom("statusWritten"),
          run: () => ({
            enter: boom("enter"),
            attempt: () => ({ run: boom("attempt run"), ended: boom("attempt ended") }),
            sleeping: boom("sleeping"),
            woke: boom("woke"),
            ended: boom("ended"),
          }),
        },
      ],
    });
    const instance = await cairn.env.STORY.create({ id: "s4" });
    await until(reported, () => reported.some((l) => l.includes("attempt ended")), "the first attempt");
    clock.advance(10);
    await waitUntil(
      () => reported,
      () => reported.some((l) => l.includes("sleeping")),
      { what: "the sleep" },
    );
    clock.advance(MINUTE);
    await waitUntil(
      () => cairn.engine.readLog("story", "s4"),
      (log) => log.some((e) => e.type === "WAIT_START"),
      { what: "the wait" },
    );
    await instance.sendEvent({ type: "go", payload: "anyway" });
    expect(await waitForStatus(instance, "errored")).toMatchObject({
      status: "errored",
      error: { message: "no way: anyway" },
    });
    for (const what of [
      "created",
      "statusWritten",
      "enter",
      "attempt run",
      "attempt ended",
      "sleeping",
      "woke",
    ]) {
      expect(reported).toContain(`observer ${what}: observer fails in ${what}`);
    }
  });
});
