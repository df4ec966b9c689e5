// Pause and resume: a pause lets in-flight steps finish and blocks new ones, takes effect at once
// during sleeps and waits, shifts timers by the paused time, survives a process that died while
// pausing, and `resume` on an instance that is not paused is a no-op (Cloudflare's docs; see the
// `resume` row of docs/cloudflare-compatibility.md).

import { FakeClock, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";
import { describe, expect, it } from "vitest";
import { gates } from "../helpers/lifecycle-gates.js";
import { countOf, logTypes, useLifecycleHarness, waitForLog } from "../helpers/lifecycle-harness.js";

const HOUR = 3_600_000;
const MINUTE = 60_000;
/** Gated steps must not time out while a test moves a FakeClock by hours. */
const PATIENT = { timeout: "30 days" } as const;

/** "a" blocks on a gate, "b" follows. */
class OneInFlight extends WorkflowEntrypoint {
  async run(event: WorkflowEvent<unknown>, step: WorkflowStep) {
    const id = event.instanceId;
    const a = await step.do("a", PATIENT, async () => {
      await gates.get(`${id}:a`).wait();
      return "a";
    });
    const b = await step.do("b", async () => {
      gates.mark(`${id}:b`);
      return "b";
    });
    return [a, b];
  }
}

/** "a" and "b" run side by side, "c" follows. */
class TwoInFlight extends WorkflowEntrypoint {
  async run(event: WorkflowEvent<unknown>, step: WorkflowStep) {
    const id = event.instanceId;
    const both = await Promise.all(
      ["a", "b"].map((name) =>
        step.do(name, async () => {
          await gates.get(`${id}:${name}`).wait();
          return name;
        }),
      ),
    );
    const c = await step.do("c", async () => {
      gates.mark(`${id}:c`);
      return "c";
    });
    return [...both, c];
  }
}

/** "a" runs throughout; "b" finishes first, then "c" is asked for while a pause is pending. */
class BlockedByPause extends WorkflowEntrypoint {
  async run(event: WorkflowEvent<unknown>, step: WorkflowStep) {
    const id = event.instanceId;
    const a = step.do("a", async () => {
      await gates.get(`${id}:a`).wait();
      return "a";
    });
    await step.do("b", async () => {
      await gates.get(`${id}:b`).wait();
      return "b";
    });
    gates.mark(`${id}:reached c`);
    const c = step.do("c", async () => {
      gates.mark(`${id}:c`);
      return "c";
    });
    return Promise.all([a, c]);
  }
}

/** A step, a one-hour sleep, a step: a pause during the sleep, and the timer shift. */
class Napper extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    await step.do("before", async () => "before");
    await step.sleep("nap", "1 hour");
    await step.do("after", async () => "after");
    return "rested";
  }
}

/** Waits for "go". */
class Waiter extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    return (await step.waitForEvent<string>("go", { type: "go" })).payload;
  }
}

/** One gated step that may be retried at once (its attempt is lost with its process). */
class Retryable extends WorkflowEntrypoint {
  async run(event: WorkflowEvent<unknown>, step: WorkflowStep) {
    const id = event.instanceId;
    await step.do("work", { retries: { limit: 2, delay: 0 } }, async () => {
      await gates.get(`${id}:work`).wait();
    });
    return step.do("next", async () => "next");
  }
}

const workflows = {
  ONE: { name: "one-in-flight", class: OneInFlight },
  TWO: { name: "two-in-flight", class: TwoInFlight },
  BLOCKED: { name: "blocked-by-pause", class: BlockedByPause },
  NAPPER: { name: "napper", class: Napper },
  WAITER: { name: "waiter", class: Waiter },
  RETRYABLE: { name: "retryable", class: Retryable },
};

describe("pause and resume", () => {
  const h = useLifecycleHarness();

  it("waits for the in-flight step, then pauses before the next one", async () => {
    const cairn = await h.open({ workflows });
    const instance = await cairn.env.ONE.create({ id: "p21" });
    await gates.get("p21:a").reached();
    await instance.pause();
    expect(await instance.status()).toEqual({ status: "waitingForPause" });

    gates.get("p21:a").open();
    expect(await waitForStatus(instance, "paused")).toEqual({ status: "paused" });
    const log = await logTypes(cairn, "one-in-flight", "p21");
    expect(countOf(log, "STEP_SUCCESS")).toBe(1);
    expect(countOf(log, "STEP_START")).toBe(1);
    expect(gates.marks("p21:b")).toBe(0);

    await instance.resume();
    expect(await waitForStatus(instance, "complete")).toEqual({ status: "complete", output: ["a", "b"] });
    expect(gates.marks("p21:b")).toBe(1);
  });

  it("waits for every concurrent in-flight step before pausing", async () => {
    const cairn = await h.open({ workflows });
    const instance = await cairn.env.TWO.create({ id: "p22" });
    await gates.get("p22:a").reached();
    await gates.get("p22:b").reached();
    await instance.pause();

    gates.get("p22:a").open();
    await waitForLog(cairn, "two-in-flight", "p22", (t) => countOf(t, "STEP_SUCCESS") === 1, "step a");
    expect(await instance.status()).toEqual({ status: "waitingForPause" });

    gates.get("p22:b").open();
    await waitForStatus(instance, "paused");
    expect(countOf(await logTypes(cairn, "two-in-flight", "p22"), "STEP_SUCCESS")).toBe(2);
    expect(gates.marks("p22:c")).toBe(0);

    await instance.resume();
    expect(await waitForStatus(instance, "complete")).toEqual({
      status: "complete",
      output: ["a", "b", "c"],
    });
  });

  it("resume while the pause is pending cancels it and unblocks the waiting step", async () => {
    const cairn = await h.open({ workflows });
    const instance = await cairn.env.BLOCKED.create({ id: "p23" });
    await gates.get("p23:a").reached();
    await gates.get("p23:b").reached();
    await instance.pause();

    gates.get("p23:b").open();
    await waitUntil(
      () => gates.marks("p23:reached c"),
      (n) => n === 1,
      { what: "the workflow to ask for step c" },
    );
    // "c" was asked for after the pause: it must not start while the pause is pending.
    expect(gates.marks("p23:c")).toBe(0);
    expect(await instance.status()).toEqual({ status: "waitingForPause" });

    await instance.resume();
    expect(await instance.status()).toEqual({ status: "running" });
    await waitUntil(
      () => gates.marks("p23:c"),
      (n) => n === 1,
      { what: "step c to run after resume" },
    );
    gates.get("p23:a").open();
    expect(await waitForStatus(instance, "complete")).toEqual({ status: "complete", output: ["a", "c"] });
    const log = await logTypes(cairn, "blocked-by-pause", "p23");
    expect(countOf(log, "STEP_SUCCESS")).toBe(3);
    expect(log).not.toContain("WORKFLOW_PAUSED");
  });

  it("pauses at once during a sleep and honours the remaining time after resume", async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const cairn = await h.open({ workflows, clock });
    const instance = await cairn.env.NAPPER.create({ id: "p24" });
    await waitForStatus(instance, "waiting");

    clock.advance(30 * MINUTE);
    await instance.pause();
    expect(await instance.status()).toEqual({ status: "paused" });
    expect(countOf(await logTypes(cairn, "napper", "p24"), "STEP_SUCCESS")).toBe(1);

    // Paused for two hours: the sleep's original end passes while paused.
    clock.advance(2 * HOUR);
    expect(await instance.status()).toEqual({ status: "paused" });
    await instance.resume();

    // 30 minutes of the sleep were left; the wake time moved by the two paused hours.
    await waitForLog(cairn, "napper", "p24", (t) => countOf(t, "WORKFLOW_WAITING") === 2, "re-hibernation");
    const record = await cairn.engine.get("napper", "p24");
    expect(record).toMatchObject({ status: "waiting", wakeAt: start + 3 * HOUR });
    const nap = (await cairn.engine.readJournal("napper", "p24")).find((r) => r.kind === "sleep");
    expect(nap).toMatchObject({ status: "waiting", wakeAt: start + 3 * HOUR });

    clock.advance(29 * MINUTE);
    expect(await instance.status()).toEqual({ status: "waiting" });
    clock.advance(MINUTE);
    expect(await waitForStatus(instance, "complete")).toEqual({ status: "complete", output: "rested" });
    const log = await logTypes(cairn, "napper", "p24");
    expect(countOf(log, "STEP_SUCCESS")).toBe(2);
    expect(countOf(log, "SLEEP_START")).toBe(1);
    expect(countOf(log, "SLEEP_COMPLETE")).toBe(1);
  });

  it("pauses at once during waitForEvent; an event sent after resume is delivered", async () => {
    const cairn = await h.open({ workflows });
    const instance = await cairn.env.WAITER.create({ id: "p25" });
    await waitForStatus(instance, "waiting");
    await instance.pause();
    expect(await instance.status()).toEqual({ status: "paused" });
    await instance.resume();
    await waitForStatus(instance, "waiting");
    await instance.sendEvent({ type: "go", payload: "after resume" });
    expect(await waitForStatus(instance, "complete")).toEqual({ status: "complete", output: "after resume" });
  });

  it("keeps an event sent while paused and delivers it on resume", async () => {
    const cairn = await h.open({ workflows });
    const instance = await cairn.env.WAITER.create({ id: "p25b" });
    await waitForStatus(instance, "waiting");
    await instance.pause();
    await instance.sendEvent({ type: "go", payload: "while paused" });
    expect(await instance.status()).toEqual({ status: "paused" });
    await instance.resume();
    expect(await waitForStatus(instance, "complete")).toEqual({ status: "complete", output: "while paused" });
  });

  it("settles as paused an instance left in waitingForPause by a process that died", async () => {
    const first = await h.open({ workflows, shutdownGraceMs: 0 });
    const instance = await first.env.RETRYABLE.create({ id: "p26" });
    await gates.get("p26:work").reached();
    await instance.pause();
    expect(await instance.status()).toEqual({ status: "waitingForPause" });
    // Closing without waiting for the attempt leaves the row as a dead process would.
    await first.close();

    const second = await h.open({ workflows, dbPath: first.dbPath });
    const again = await second.env.RETRYABLE.get("p26");
    expect(await waitForStatus(again, "paused")).toEqual({ status: "paused" });
    expect(await logTypes(second, "retryable", "p26")).toContain("WORKFLOW_PAUSED");

    gates.get("p26:work").open();
    await again.resume();
    expect(await waitForStatus(again, "complete")).toEqual({ status: "complete", output: "next" });
    // The attempt lost with the first process counts as failed, as after any crash.
    const failures = (await second.engine.readLog("retryable", "p26")).filter(
      (e) => e.type === "ATTEMPT_FAILURE",
    );
    expect(failures).toHaveLength(1);
    expect(failures[0]!.data).toMatchObject({ error: { name: "WorkflowInternalError" } });
  });

  it("pauses a queued instance, which keeps its place until resumed", async () => {
    const cairn = await h.open({ workflows, maxRunning: 1 });
    const holder = await cairn.env.ONE.create({ id: "holder" });
    await gates.get("holder:a").reached();
    const queued = await cairn.env.ONE.create({ id: "queued" });
    const later = await cairn.env.ONE.create({ id: "later" });
    expect(await queued.status()).toEqual({ status: "queued" });
    await queued.pause();
    expect(await queued.status()).toEqual({ status: "paused" });

    gates.get("holder:a").open();
    await waitForStatus(holder, "complete");
    // The slot went to the next queued instance, not to the paused one.
    await gates.get("later:a").reached();
    expect(await queued.status()).toEqual({ status: "paused" });
    expect(gates.get("queued:a").arrivals).toBe(0);

    gates.get("later:a").open();
    gates.get("queued:a").open();
    await waitForStatus(later, "complete");
    await queued.resume();
    expect(await waitForStatus(queued, "complete")).toEqual({ status: "complete", output: ["a", "b"] });
  });

  it("resume on an instance that is not paused is a no-op, as Cloudflare's docs say", async () => {
    const cairn = await h.open({ workflows, maxRunning: 1 });
    const running = await cairn.env.ONE.create({ id: "running" });
    await gates.get("running:a").reached();
    const queued = await cairn.env.ONE.create({ id: "queued" });
    await running.resume();
    await queued.resume();
    expect(await running.status()).toEqual({ status: "running" });
    expect(await queued.status()).toEqual({ status: "queued" });

    gates.get("running:a").open();
    gates.get("queued:a").open();
    await waitForStatus(running, "complete");
    await running.resume();
    await running.pause();
    expect(await running.status()).toEqual({ status: "complete", output: ["a", "b"] });
    await waitForStatus(queued, "complete");
    for (const id of ["running", "queued"]) {
      const log = await logTypes(cairn, "one-in-flight", id);
      expect(log).not.toContain("WORKFLOW_RESUMED");
      expect(log).not.toContain("WORKFLOW_PAUSED");
    }
  });
});
