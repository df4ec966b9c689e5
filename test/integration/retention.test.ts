// Retention: a finished instance is deleted with its journal and log once its retention passes, and
// not before; its id can then be created again. Retention is set per engine, per workflow and per
// instance (`create({ retention })`), separately for success and for errors (terminated instances
// count as errors). A FakeClock drives the sweeps.

import {
  FakeClock,
  NonRetryableError,
  WorkflowEntrypoint,
  type WorkflowEvent,
  type WorkflowStep,
} from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";
import { describe, expect, it } from "vitest";
import { countOf, expectCode, logTypes, useLifecycleHarness } from "../helpers/lifecycle-harness.js";

const HOUR = 3_600_000;
const MINUTE = 60_000;
const SWEEP_MS = 10;

class Quick extends WorkflowEntrypoint<unknown, { fail?: boolean; wait?: boolean }> {
  async run(event: WorkflowEvent<{ fail?: boolean; wait?: boolean }>, step: WorkflowStep) {
    if (event.payload.wait) await step.waitForEvent("forever", { type: "never", timeout: "365 days" });
    return step.do("only", async () => {
      if (event.payload.fail) throw new NonRetryableError("failed on purpose");
      return event.instanceId;
    });
  }
}

type Opened = Awaited<ReturnType<ReturnType<typeof useLifecycleHarness>["open"]>>;

const exists = async (cairn: Opened, workflow: string, id: string) =>
  (await cairn.engine.store.getInstance(workflow, id)) !== undefined;

/**
 * Moves the clock by one sweep interval per poll until `id` is gone. A sweep reads the time when
 * its timer fires, so it takes a small step after a big jump to sweep at the new time.
 */
function sweepUntilGone(cairn: Opened, clock: FakeClock, workflow: string, id: string) {
  return waitUntil(
    async () => {
      clock.advance(SWEEP_MS);
      return exists(cairn, workflow, id);
    },
    (present) => !present,
    { what: `instance "${id}" to be deleted` },
  );
}

describe("retention", () => {
  const h = useLifecycleHarness();

  it("deletes a complete instance after the engine's retention, not before, and frees its id", async () => {
    const clock = new FakeClock();
    const cairn = await h.open({
      workflows: { QUICK: { name: "quick", class: Quick } },
      retention: { successRetention: "1 hour" },
      sweepIntervalMs: SWEEP_MS,
      clock,
    });
    const kept = await cairn.env.QUICK.create({ id: "kept" });
    // Per-instance retention: a shorter-lived witness that proves a sweep ran.
    const witness = await cairn.env.QUICK.create({
      id: "witness",
      retention: { successRetention: "30 minutes" },
    });
    await waitForStatus(kept, "complete");
    await waitForStatus(witness, "complete");

    clock.advance(59 * MINUTE);
    await sweepUntilGone(cairn, clock, "quick", "witness");
    // The sweep that removed the witness saw "kept" as not yet expired.
    expect(await kept.status()).toEqual({ status: "complete", output: "kept" });
    await expectCode(cairn.env.QUICK.create({ id: "kept" }), "instance.already_exists");

    clock.advance(MINUTE);
    await sweepUntilGone(cairn, clock, "quick", "kept");
    await expectCode(cairn.env.QUICK.get("kept"), "instance.not_found");
    await expectCode(kept.status(), "instance.not_found");

    // The id is free again, and the new instance starts with an empty journal and log.
    const again = await cairn.env.QUICK.create({ id: "kept" });
    expect(await waitForStatus(again, "complete")).toEqual({ status: "complete", output: "kept" });
    const log = await logTypes(cairn, "quick", "kept");
    expect(countOf(log, "WORKFLOW_QUEUED")).toBe(1);
    expect(countOf(log, "WORKFLOW_SUCCESS")).toBe(1);
    expect(await cairn.engine.readJournal("quick", "kept")).toHaveLength(1);
  });

  it("applies a workflow's own retention over the engine default", async () => {
    const clock = new FakeClock();
    const cairn = await h.open({
      workflows: {
        SHORT: { name: "short-lived", class: Quick, retention: { successRetention: "1 hour" } },
        DEFAULT: { name: "default-lived", class: Quick },
      },
      sweepIntervalMs: SWEEP_MS,
      clock,
    });
    const short = await cairn.env.SHORT.create({ id: "short" });
    const long = await cairn.env.DEFAULT.create({ id: "long" });
    await waitForStatus(short, "complete");
    await waitForStatus(long, "complete");

    clock.advance(HOUR);
    await sweepUntilGone(cairn, clock, "short-lived", "short");
    // The default is 30 days: the other workflow's instance survives the same sweep.
    expect(await long.status()).toEqual({ status: "complete", output: "long" });
    const again = await cairn.env.SHORT.create({ id: "short" });
    await waitForStatus(again, "complete");
  });

  it("uses errorRetention for errored and terminated instances and never deletes unfinished ones", async () => {
    const clock = new FakeClock();
    const cairn = await h.open({
      workflows: { QUICK: { name: "quick", class: Quick } },
      retention: { successRetention: "1 day", errorRetention: "10 minutes" },
      sweepIntervalMs: SWEEP_MS,
      clock,
    });
    const errored = await cairn.env.QUICK.create({ id: "errored", params: { fail: true } });
    const terminated = await cairn.env.QUICK.create({ id: "terminated", params: { wait: true } });
    const waiting = await cairn.env.QUICK.create({ id: "waiting", params: { wait: true } });
    const complete = await cairn.env.QUICK.create({ id: "complete" });
    await waitForStatus(errored, "errored");
    await waitForStatus(terminated, "waiting");
    await terminated.terminate();
    await waitForStatus(waiting, "waiting");
    await waitForStatus(complete, "complete");

    clock.advance(10 * MINUTE);
    await sweepUntilGone(cairn, clock, "quick", "errored");
    await sweepUntilGone(cairn, clock, "quick", "terminated");
    expect(await complete.status()).toEqual({ status: "complete", output: "complete" });
    expect(await waiting.status()).toEqual({ status: "waiting" });

    // A per-instance errorRetention overrides the engine's.
    const patient = await cairn.env.QUICK.create({
      id: "patient",
      params: { fail: true },
      retention: { errorRetention: "2 days" },
    });
    await waitForStatus(patient, "errored");
    clock.advance(1 * 24 * HOUR);
    await sweepUntilGone(cairn, clock, "quick", "complete");
    expect(await patient.status()).toMatchObject({ status: "errored" });
    expect(await waiting.status()).toEqual({ status: "waiting" });
  });

  it("rejects a malformed retention with instance.invalid_options", async () => {
    const cairn = await h.open({ workflows: { QUICK: { name: "quick", class: Quick } } });
    await expectCode(
      cairn.env.QUICK.create({ id: "bad", retention: { successRetention: "soon" as never } }),
      "instance.invalid_options",
    );
    await expectCode(cairn.env.QUICK.get("bad"), "instance.not_found");
  });
});
