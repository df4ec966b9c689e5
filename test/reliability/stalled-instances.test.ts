// A promise that never settles, awaited by workflow code: outside any step the instance stays
// running and, after 5 minutes without a journal write and with nothing the engine waits for,
// counts in `cairn_instances_stalled`; inside a step the step's timeout ends the attempt. Either
// way the engine and a healthy instance of another workflow are unaffected. Time is a FakeClock.

import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { FakeClock, waitForStatus, waitUntil } from "cairn/testing";
import { afterEach, describe, expect, it } from "vitest";
import { useLifecycleHarness, waitForLog } from "../helpers/lifecycle-harness.js";
import { parseExposition } from "../helpers/prometheus.js";
import { type ApiServer, startApiServer } from "../server/helpers/api-server.js";

const never = () => new Promise<never>(() => {});
const MINUTE = 60_000;

class Hangs extends WorkflowEntrypoint {
  override async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    await step.do("first", async () => 1);
    await never();
  }
}

class HangsInStep extends WorkflowEntrypoint {
  override async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    return step.do("stuck", { retries: { limit: 0, delay: 1 }, timeout: "10 minutes" }, never);
  }
}

class Healthy extends WorkflowEntrypoint {
  override async run(event: WorkflowEvent<{ n: number }>, step: WorkflowStep) {
    return step.do("double", async () => event.payload.n * 2);
  }
}

const workflows = {
  HANGS: { name: "hangs", class: Hangs },
  IN_STEP: { name: "in-step", class: HangsInStep },
  HEALTHY: { name: "healthy", class: Healthy },
};

describe("a promise that never settles", () => {
  const harness = useLifecycleHarness();

  it("outside steps: stays running and is counted as stalled after 5 minutes; inside a step: times out", async () => {
    const clock = new FakeClock();
    const cairn = await harness.open({ workflows, clock });
    const stalled = async () => {
      const m = parseExposition(await cairn.metrics());
      return {
        hangs: m.value("cairn_instances_stalled", { workflow: "hangs" }),
        inStep: m.value("cairn_instances_stalled", { workflow: "in-step" }),
        healthy: m.value("cairn_instances_stalled", { workflow: "healthy" }),
      };
    };
    const hangs = await cairn.env.HANGS.create({ id: "hangs" });
    const inStep = await cairn.env.IN_STEP.create({ id: "in-step" });
    await waitForLog(cairn, "hangs", "hangs", (t) => t.includes("STEP_SUCCESS"), "the first step");
    await waitForLog(cairn, "in-step", "in-step", (t) => t.includes("ATTEMPT_START"), "the attempt");
    expect(await stalled()).toEqual({ hangs: 0, inStep: 0, healthy: 0 });

    clock.advance(5 * MINUTE - 1);
    expect(await stalled()).toEqual({ hangs: 0, inStep: 0, healthy: 0 });
    clock.advance(1);
    // The step attempt is in flight (its timeout bounds it): not stalled.
    await waitUntil(stalled, (s) => s.hangs === 1, { what: "the stall to show" });
    expect(await stalled()).toEqual({ hangs: 1, inStep: 0, healthy: 0 });
    expect(await hangs.status()).toMatchObject({ status: "running" });

    const healthy = await cairn.env.HEALTHY.create({ id: "h", params: { n: 4 } });
    expect(await waitForStatus(healthy, "complete")).toMatchObject({ output: 8 });

    clock.advance(5 * MINUTE);
    expect(await waitForStatus(inStep, "errored")).toMatchObject({
      error: { name: "WorkflowTimeoutError", message: "Execution timed out after 600000ms" },
    });
    expect(await stalled()).toEqual({ hangs: 1, inStep: 0, healthy: 0 });
    expect(await hangs.status()).toMatchObject({ status: "running" });

    // Terminating it ends the stall.
    await hangs.terminate();
    await waitForStatus(hangs, "terminated");
    await waitUntil(stalled, (s) => s.hangs === 0, { what: "the stall to clear" });
  });
});

describe("a stalled instance in /cairn/api", () => {
  let server: ApiServer<typeof workflows> | undefined;
  afterEach(async () => {
    await server?.close();
  });

  it("says since when and for how long a running instance made no progress, and counts it on its workflow", async () => {
    const clock = new FakeClock();
    server = await startApiServer(workflows, { open: { clock } });
    const { cairn } = server;
    const hangs = await cairn.env.HANGS.create({ id: "hangs" });
    await waitForLog(cairn, "hangs", "hangs", (t) => t.includes("STEP_SUCCESS"), "the first step");
    const progressAt = clock.now();
    const detail = async () =>
      (await server!.call("GET", "/cairn/api/workflows/hangs/instances/hangs")).body.result;
    expect(await detail()).not.toHaveProperty("no_progress");
    const summary = async () => (await server!.call("GET", "/cairn/api/workflows/hangs")).body.result;
    expect(await summary()).not.toHaveProperty("stalled");

    clock.advance(7 * MINUTE);
    await waitUntil(detail, (d) => d.no_progress !== undefined, { what: "no_progress to show" });
    expect(await detail()).toMatchObject({
      status: "running",
      no_progress: { since: new Date(progressAt).toISOString(), for_ms: 7 * MINUTE },
    });
    expect(await summary()).toMatchObject({ name: "hangs", stalled: 1 });
    await hangs.terminate();
    await waitForStatus(hangs, "terminated");
    expect(await detail()).not.toHaveProperty("no_progress");
    expect(await summary()).not.toHaveProperty("stalled");
  });
});
