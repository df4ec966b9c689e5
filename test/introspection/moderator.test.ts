// Cloudflare's own introspection tests, ported: the ModeratorWorkflow example of
// vitest-pool-workers (unit.test.ts: one known instance; integration.test.ts: a session that
// captures what the Worker's fetch creates) and the flows of wrangler's createTestHarness e2e
// test (a second session refused, a disposed session, a batch with a given id, a stream mock).
// Each runs on a real SQLite file and on a real PostgreSQL, on a FakeClock that only the retry
// test moves: every other wait is disabled or mocked, which is what makes these tests fast.

import { FakeClock, type WorkflowInstance } from "cairn";
import { introspectWorkflow, introspectWorkflowInstance } from "cairn/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { advanceUntil, type StoreKind, useCairns } from "./harness.js";
import worker, { type Env, workflows } from "./moderator-workflow.js";

const STATUS_COMPLETE = "complete";
const STEP_NAME = "AI content scan";
const mockResult = { violationScore: 0 };

const cairns = useCairns();

describe.each(cairns.kinds)("the ModeratorWorkflow example on %s", (kind: StoreKind) => {
  const clock = new FakeClock();
  let env: Env;
  let cairn: Awaited<ReturnType<typeof cairns.open<typeof workflows>>>;
  let n = 0;
  const nextId = () => `moderation-${++n}`;
  const fetch = (path: string) => worker.fetch(new Request(`https://mock-worker.local${path}`), env);

  beforeAll(async () => {
    cairn = await cairns.open({ storage: cairns.storage(kind), workflows, clock });
    env = cairn.env;
  });

  describe("unit: one instance, introspected before it is created", () => {
    it("should be able to reach the end and be successful", async () => {
      const id = nextId();
      // CONFIG with `await using` to ensure the instance's cleanup:
      await using instance = await introspectWorkflowInstance(env.MODERATOR, id);
      await instance.modify(async (m) => {
        await m.disableSleeps();
        await m.mockStepResult({ name: STEP_NAME }, mockResult);
      });

      await env.MODERATOR.create({ id });

      expect(await instance.waitForStepResult({ name: STEP_NAME })).toEqual(mockResult);
      expect(await instance.waitForStepResult({ name: "auto approve content" })).toEqual({
        status: "auto_approved",
      });
      await expect(instance.waitForStatus(STATUS_COMPLETE)).resolves.not.toThrow();
      expect(await instance.getOutput()).toEqual({ status: "auto_approved" });
    });

    it("should be able to mock an error a number of times, then succeed (waiting out the retry delays)", async () => {
      const id = nextId();
      const instance = await introspectWorkflowInstance(env.MODERATOR, id);
      try {
        await instance.modify(async (m) => {
          await m.disableSleeps();
          await m.mockStepError({ name: STEP_NAME }, new Error("Something went wrong"), 2);
          await m.mockStepResult({ name: STEP_NAME }, mockResult);
        });
        await env.MODERATOR.create({ id });

        // The default retry delay is 10 seconds, exponential: 10 s, then 20 s, on the FakeClock.
        const failures = async () =>
          (await cairn.inspect.log("moderator-workflow", id)).filter((e) => e.type === "ATTEMPT_FAILURE");
        await advanceUntil(clock, async () => (await failures()).length === 2, 5_000, "two failed attempts");
        const statuses = advanceUntil(
          clock,
          async () => (await env.MODERATOR.get(id).then((i) => i.status())).status === "complete",
          5_000,
          "the instance to complete",
        );
        expect(await instance.waitForStepResult({ name: STEP_NAME })).toEqual(mockResult);
        await statuses;
        await expect(instance.waitForStatus(STATUS_COMPLETE)).resolves.not.toThrow();
        expect(await instance.getOutput()).toEqual({ status: "auto_approved" });
        expect((await failures()).map((e) => e.data?.error)).toEqual([
          { name: "Error", message: "Something went wrong" },
          { name: "Error", message: "Something went wrong" },
        ]);
      } finally {
        await instance.dispose();
      }
    });

    it("should auto-reject content with a high violation score", async () => {
      const id = nextId();
      await using instance = await introspectWorkflowInstance(env.MODERATOR, id);
      await instance.modify(async (m) => {
        await m.disableSleeps();
        await m.mockStepResult({ name: STEP_NAME }, { violationScore: 99 });
      });
      await env.MODERATOR.create({ id });

      expect(await instance.waitForStepResult({ name: "auto reject content" })).toEqual({
        status: "auto_rejected",
      });
      await instance.waitForStatus(STATUS_COMPLETE);
      expect(await instance.getOutput()).toEqual({ status: "auto_rejected" });
    });

    it("should send an event for human review with an ambiguous score", async () => {
      const id = nextId();
      await using instance = await introspectWorkflowInstance(env.MODERATOR, id);
      await instance.modify(async (m) => {
        await m.disableSleeps();
        await m.mockStepResult({ name: STEP_NAME }, { violationScore: 50 });
        await m.mockEvent({ type: "moderation-decision", payload: { moderatorAction: "approve" } });
      });
      await env.MODERATOR.create({ id });

      expect(await instance.waitForStepResult({ name: "apply moderator decision" })).toEqual({
        status: "moderated",
        decision: "approve",
      });
      await instance.waitForStatus(STATUS_COMPLETE);
      expect(await instance.getOutput()).toEqual({ status: "moderated", decision: "approve" });
    });

    it("should disable the retry delays: two failures, then success, without the clock moving", async () => {
      const id = nextId();
      await using instance = await introspectWorkflowInstance(env.MODERATOR, id);
      await instance.modify(async (m) => {
        await m.disableSleeps();
        await m.disableRetryDelays();
        await m.mockStepError({ name: STEP_NAME }, new Error("Something went wrong"), 2);
        await m.mockStepResult({ name: STEP_NAME }, mockResult);
      });
      const before = clock.now();
      await env.MODERATOR.create({ id });

      await instance.waitForStatus(STATUS_COMPLETE);
      expect(await instance.getOutput()).toEqual({ status: "auto_approved" });
      expect(clock.now()).toBe(before);
      const log = await cairn.inspect.log("moderator-workflow", id);
      expect(log.filter((e) => e.type === "ATTEMPT_FAILURE").map((e) => e.data?.retryDelayMs)).toEqual([
        0, 0,
      ]);
    });

    it("should force the event to time out: the instance errors", async () => {
      const id = nextId();
      await using instance = await introspectWorkflowInstance(env.MODERATOR, id);
      await instance.modify(async (m) => {
        await m.disableSleeps();
        await m.mockStepResult({ name: STEP_NAME }, { violationScore: 50 });
        await m.forceEventTimeout({ name: "human review" });
      });
      await env.MODERATOR.create({ id });

      await instance.waitForStatus("errored");
      const error = await instance.getError();
      // Cloudflare reports name "Error" here (its RPC drops the class); Cairn keeps the real name.
      expect(error.name).toBe("WorkflowTimeoutError");
      expect(error.message).toContain("Execution timed out");
      await expect(instance.waitForStatus(STATUS_COMPLETE)).rejects.toThrow(
        `[WorkflowIntrospector] The Workflow instance ${id} has reached status 'errored'. This is a finite status that prevents it from ever reaching the expected status of 'complete'.`,
      );
    });
  });

  describe("integration: a session captures what the Worker creates", () => {
    it("workflow should be able to reach the end and be successful", async () => {
      // CONFIG with `await using` to ensure Workflow instances cleanup:
      await using introspector = await introspectWorkflow(env.MODERATOR);
      await introspector.modifyAll(async (m) => {
        await m.disableSleeps();
        await m.mockStepResult({ name: STEP_NAME }, mockResult);
      });

      await fetch("/moderate");

      const instances = await introspector.get();
      expect(instances.length).toBe(1);

      // ASSERTIONS:
      const instance = instances[0]!;
      expect(await instance.waitForStepResult({ name: STEP_NAME })).toEqual(mockResult);
      await expect(instance.waitForStatus(STATUS_COMPLETE)).resolves.not.toThrow();
      const output = await instance.getOutput();
      expect(output).toEqual({ status: "auto_approved" });
    });

    it("workflow batch should be able to reach the end and be successful", async () => {
      const introspector = await introspectWorkflow(env.MODERATOR);
      let ids: string[] = [];
      try {
        await introspector.modifyAll(async (m) => {
          await m.disableSleeps();
          await m.mockStepResult({ name: STEP_NAME }, mockResult);
        });

        ids = ((await (await fetch("/moderate-batch")).json()) as { ids: string[] }).ids;
        expect(ids).toHaveLength(3);
        expect(ids).toContain("321");

        const instances = await introspector.get();
        expect(instances.length).toBe(3);
        for (const instance of instances) {
          expect(await instance.waitForStepResult({ name: STEP_NAME })).toEqual(mockResult);
          await expect(instance.waitForStatus(STATUS_COMPLETE)).resolves.not.toThrow();
          const output = await instance.getOutput();
          expect(output).toEqual({ status: "auto_approved" });
        }
      } finally {
        // Disposing the session disposes every captured instance: they are deleted.
        await introspector.dispose();
      }
      for (const id of ids)
        await expect(env.MODERATOR.get(id)).rejects.toMatchObject({ code: "instance.not_found" });
    });

    it("should terminate a workflow instance", async () => {
      await using introspector = await introspectWorkflow(env.MODERATOR);
      await introspector.modifyAll(async (m) => {
        await m.disableSleeps();
        await m.mockStepResult({ name: STEP_NAME }, { violationScore: 50 });
      });

      const data = (await (await fetch("/moderate")).json()) as { id: string };
      const instances = await introspector.get();
      expect(instances.length).toBe(1);
      const instance = instances[0]!;
      expect(await instance.waitForStepResult({ name: STEP_NAME })).toEqual({ violationScore: 50 });

      const handle = await env.MODERATOR.get(data.id);
      await handle.terminate();

      await expect(instance.waitForStatus("terminated")).resolves.not.toThrow();
    });

    it("should restart a workflow instance: the mocks survive the restart", async () => {
      await using introspector = await introspectWorkflow(env.MODERATOR);
      await introspector.modifyAll(async (m) => {
        await m.disableSleeps();
        await m.mockStepResult({ name: STEP_NAME }, { violationScore: 50 });
        await m.mockEvent({ type: "moderation-decision", payload: { moderatorAction: "approve" } });
      });

      const data = (await (await fetch("/moderate")).json()) as { id: string };
      const [instance] = await introspector.get();
      expect(await instance!.waitForStepResult({ name: STEP_NAME })).toEqual({ violationScore: 50 });
      await instance!.waitForStatus(STATUS_COMPLETE);

      const handle = await env.MODERATOR.get(data.id);
      await handle.restart();

      // Mocks survive the restart, so the restarted workflow re-runs with the same config: the
      // mocked score again, and the mocked event delivered again (restart empties the inbox).
      await expect(instance!.waitForStatus(STATUS_COMPLETE)).resolves.not.toThrow();
      expect(await instance!.getOutput()).toEqual({ status: "moderated", decision: "approve" });
      const log = await cairn.inspect.log("moderator-workflow", data.id);
      const types = log.map((e) => e.type);
      expect(types[0]).toBe("WORKFLOW_RESTARTED");
      expect(types).toContain("WAIT_COMPLETE");
      expect(types.filter((t) => t === "WORKFLOW_START")).toHaveLength(1);
    });

    it("should pause a workflow instance", async () => {
      await using introspector = await introspectWorkflow(env.MODERATOR);
      await introspector.modifyAll(async (m) => {
        await m.disableSleeps();
        await m.mockStepResult({ name: STEP_NAME }, { violationScore: 50 });
      });

      const data = (await (await fetch("/moderate")).json()) as { id: string };
      const [instance] = await introspector.get();
      expect(await instance!.waitForStepResult({ name: STEP_NAME })).toEqual({ violationScore: 50 });

      const handle: WorkflowInstance = await env.MODERATOR.get(data.id);
      await handle.pause();

      await expect(instance!.waitForStatus("paused")).resolves.not.toThrow();
    });
  });

  describe("the test harness flows (wrangler's createTestHarness e2e test)", () => {
    it("refuses a second session, and a disposed one, with Cloudflare's messages", async () => {
      const id = nextId();
      const instance = await introspectWorkflowInstance(env.MODERATOR, id);
      try {
        await instance.modify(async (m) => {
          await m.disableSleeps();
          await m.mockStepResult({ name: STEP_NAME }, mockResult);
        });
        await env.MODERATOR.create({ id });
        await expect(instance.waitForStatus("complete")).resolves.not.toThrow();
        await expect(instance.getOutput()).resolves.toEqual({ status: "auto_approved" });
      } finally {
        await instance.dispose();
      }

      const workflow = await introspectWorkflow(env.MODERATOR);
      try {
        await expect(introspectWorkflow(env.MODERATOR)).rejects.toThrow(
          'Workflow "moderator-workflow" already has an active introspection session for binding "MODERATOR".',
        );
        await workflow.modifyAll(async (m) => {
          await m.disableSleeps();
          await m.mockStepResult({ name: STEP_NAME }, mockResult);
        });
        const unknown = (await (await fetch("/moderate")).json()) as { id: string };
        expect(unknown.id).not.toBe(id);
        const instances = await workflow.get();
        expect(instances).toHaveLength(1);
        await instances[0]!.waitForStatus("complete");
      } finally {
        await workflow.dispose();
      }
      const gone =
        'Workflow "moderator-workflow" does not have an active introspection session for this introspector.';
      await expect(workflow.get()).rejects.toThrow(gone);
      await expect(workflow.modifyAll(async () => {})).rejects.toThrow(gone);
      // The session is over: a new one may start.
      await (await introspectWorkflow(env.MODERATOR)).dispose();
    });

    it("mocks a step's result with a ReadableStream", async () => {
      await using workflow = await introspectWorkflow(env.STREAMER);
      await workflow.modifyAll(async (m) => {
        await m.mockStepResult(
          { name: "stream step" },
          new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(new TextEncoder().encode("mock "));
              controller.enqueue(new TextEncoder().encode("stream"));
              controller.close();
            },
          }),
        );
      });
      // Two instances: each gets the mocked stream anew.
      await env.STREAMER.createBatch([{}, {}]);
      const instances = await workflow.get();
      expect(instances).toHaveLength(2);
      for (const instance of instances) {
        await instance.waitForStatus("complete");
        expect(await instance.getOutput()).toEqual({ streamResult: "mock stream" });
      }
    });
  });
});
