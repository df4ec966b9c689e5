// `cairn.inspect` on a real SQLite file: workflows with counts, filtered and paged instance lists,
// one instance in full (steps in start order with their attempts, redacted sensitive outputs,
// events received, timeouts, termination), the event log, stream results, and bad options.

import { Cairn, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus } from "cairn/testing";
import { afterEach, describe, expect, it } from "vitest";
import { WorkflowsError } from "../../src/errors.js";
import { tempDir } from "../helpers/temp-store.js";

let failuresLeft = 1;

class Order extends WorkflowEntrypoint<unknown, { amount: number }> {
  override async run(event: WorkflowEvent<{ amount: number }>, step: WorkflowStep) {
    const charged = await step.do("charge", { retries: { limit: 2, delay: 0 } }, async () => {
      if (failuresLeft-- > 0) throw new Error("card declined");
      return { charged: event.payload.amount };
    });
    await step.do("token", { sensitive: "output" }, async () => "s3cr3t");
    await step.do(
      "receipt",
      async () =>
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode("receipt bytes"));
            controller.close();
          },
        }),
    );
    await step.sleep("cool off", 1);
    const approval = await step.waitForEvent<{ ok: boolean }>("approval", {
      type: "approve",
      timeout: "1 hour",
    });
    return { ...charged, approved: approval.payload.ok };
  }
}

class Quick extends WorkflowEntrypoint {
  override async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    return step.do("only", async () => 1);
  }
}

class Waiter extends WorkflowEntrypoint {
  override async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    await step.waitForEvent("never", { type: "never", timeout: "1 second" });
  }
}

const workflows = {
  ORDERS: { name: "orders", class: Order },
  QUICK: { name: "quick", class: Quick },
  WAITER: { name: "waiter", class: Waiter },
};

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function open() {
  const dir = tempDir();
  const cairn = await Cairn.open({ storage: `sqlite:${dir.dbPath}`, workflows });
  cleanups.push(dir.cleanup, () => cairn.close());
  return cairn;
}

const code = (c: string) => (e: unknown) => WorkflowsError.is(e) && e.code === c;

describe("cairn.inspect", () => {
  it("lists every declared workflow with its binding, class and counts by status", async () => {
    const cairn = await open();
    const done = await cairn.env.QUICK.create({ id: "q1" });
    await waitForStatus(done, "complete");
    await cairn.env.QUICK.create({ id: "q2" }).then((i) => waitForStatus(i, "complete"));
    const summaries = await cairn.inspect.workflows();
    expect(summaries.map((w) => w.name).sort()).toEqual(["orders", "quick", "waiter"]);
    expect(await cairn.inspect.workflow("quick")).toEqual({
      name: "quick",
      binding: "QUICK",
      className: "Quick",
      counts: { complete: 2 },
      total: 2,
    });
    await expect(cairn.inspect.workflow("nope")).rejects.toSatisfy(code("workflow.not_found"));
  });

  it("pages instances newest first by cursor or by number, with the filter's total and all counts", async () => {
    const cairn = await open();
    const ids = Array.from({ length: 12 }, (_, i) => `run-${String(i).padStart(2, "0")}`);
    for (const id of ids) await waitForStatus(await cairn.env.QUICK.create({ id }), "complete");
    await cairn.env.WAITER.create({ id: "other-workflow" });
    const first = await cairn.inspect.instances("quick", { limit: 5 });
    expect(first.instances.map((i) => i.id)).toEqual(ids.slice(7).reverse());
    expect(first.total).toBe(12);
    expect(first.counts).toEqual({ complete: 12 });
    expect(first.instances[0]).toMatchObject({ workflow: "quick", status: "complete", trigger: "binding" });
    const second = await cairn.inspect.instances("quick", { limit: 5, cursor: first.nextCursor! });
    expect(second.instances.map((i) => i.id)).toEqual(ids.slice(2, 7).reverse());
    const third = await cairn.inspect.instances("quick", { limit: 5, page: 3 });
    expect(third.instances.map((i) => i.id)).toEqual(["run-01", "run-00"]);
    expect(third.nextCursor).toBeNull();
    const oldest = await cairn.inspect.instances("quick", { limit: 2, order: "asc" });
    expect(oldest.instances.map((i) => i.id)).toEqual(["run-00", "run-01"]);
  });

  it("filters by status, id prefix and creation time", async () => {
    const cairn = await open();
    for (const id of ["a-1", "a-2", "b-1"])
      await waitForStatus(await cairn.env.QUICK.create({ id }), "complete");
    const before = Date.now();
    await cairn.env.QUICK.create({ id: "a-3" }).then((i) => i.terminate().catch(() => {}));
    const byPrefix = await cairn.inspect.instances("quick", { idPrefix: "a-" });
    expect(byPrefix.instances.map((i) => i.id).sort()).toEqual(["a-1", "a-2", "a-3"]);
    expect(byPrefix.total).toBe(3);
    const complete = await cairn.inspect.instances("quick", { status: "complete", idPrefix: "a-" });
    expect(complete.instances.map((i) => i.id).sort()).toEqual(["a-1", "a-2"]);
    expect(complete.total).toBe(2);
    const recent = await cairn.inspect.instances("quick", { createdFrom: new Date(before) });
    expect(recent.instances.map((i) => i.id)).toEqual(["a-3"]);
    const none = await cairn.inspect.instances("quick", { createdTo: before - 3_600_000 });
    expect(none).toMatchObject({ instances: [], total: 0, nextCursor: null });
  });

  it("shows one instance in full: steps in start order with attempts, redactions, streams and the event", async () => {
    failuresLeft = 1;
    const cairn = await open();
    const instance = await cairn.env.ORDERS.create({ id: "order-1", params: { amount: 42 } });
    await waitForStatus(instance, "waiting");
    const waiting = await cairn.inspect.instance("orders", "order-1");
    expect(waiting).toMatchObject({ status: "waiting", params: { amount: 42 }, waitingFor: ["approve"] });
    expect(waiting.steps.map((s) => [s.type, s.name, s.status])).toEqual([
      ["do", "charge", "succeeded"],
      ["do", "token", "succeeded"],
      ["do", "receipt", "succeeded"],
      ["sleep", "cool off", "succeeded"],
      ["waitForEvent", "approval", "waiting"],
    ]);
    const [charge, token, receipt] = waiting.steps;
    expect(charge!.attempts.map((a) => [a.attempt, a.success, a.error?.message ?? null])).toEqual([
      [1, false, "card declined"],
      [2, true, null],
    ]);
    expect(charge!.attempts[0]!.retryDelayMs).toBe(0);
    expect(charge!.output).toEqual({ charged: 42 });
    expect(charge!.config).toMatchObject({ retries: { limit: 2, delay: 0 } });
    expect(token!.output).toBe("[REDACTED]");
    expect(receipt).toMatchObject({ stream: true });
    expect(
      new TextDecoder().decode(await cairn.inspect.streamResult("orders", "order-1", receipt!.key)),
    ).toBe("receipt bytes");
    expect(waiting.steps[4]).toMatchObject({ eventType: "approve", event: null });

    await instance.sendEvent({ type: "approve", payload: { ok: true } });
    await waitForStatus(instance, "complete");
    const done = await cairn.inspect.instance("orders", "order-1");
    expect(done).toMatchObject({
      status: "complete",
      output: { charged: 42, approved: true },
      rollback: null,
    });
    expect(done.endedAt).toBeGreaterThanOrEqual(done.startedAt!);
    expect(done.steps[4]).toMatchObject({
      status: "succeeded",
      event: { type: "approve", payload: { ok: true } },
    });
    const log = await cairn.inspect.log("orders", "order-1");
    expect(log[0]!.type).toBe("WORKFLOW_QUEUED");
    expect(log.at(-1)!.type).toBe("WORKFLOW_SUCCESS");
  });

  it("shows a wait that timed out, and a terminated instance's termination step", async () => {
    const cairn = await open();
    const timedOut = await cairn.env.WAITER.create({ id: "w1" });
    await waitForStatus(timedOut, "errored", { timeoutMs: 10_000 });
    const detail = await cairn.inspect.instance("waiter", "w1");
    expect(detail.error?.name).toBe("WorkflowTimeoutError");
    expect(detail.steps[0]).toMatchObject({ type: "waitForEvent", status: "failed", timedOut: true });

    const ended = await cairn.env.WAITER.create({ id: "w2" });
    await ended.terminate();
    const terminated = await cairn.inspect.instance("waiter", "w2");
    expect(terminated.status).toBe("terminated");
    expect(terminated.steps.at(-1)).toMatchObject({ type: "termination", name: "termination" });
  });

  it("refuses bad input with a code and a message naming the value and the rule", async () => {
    const cairn = await open();
    await expect(cairn.inspect.instance("quick", "missing")).rejects.toSatisfy(code("instance.not_found"));
    await expect(cairn.inspect.instance("quick", "")).rejects.toSatisfy(code("instance.invalid_id"));
    await expect(cairn.inspect.instances("nope")).rejects.toSatisfy(code("workflow.not_found"));
    const cases: [object, RegExp][] = [
      [{ limit: 0 }, /limit must be a whole number from 1 to 1000, got 0/],
      [{ limit: 5000 }, /from 1 to 1000, got 5000/],
      [{ status: "done" }, /status must be one of queued, .*; got "done"/],
      [{ createdFrom: "yesterday" }, /createdFrom must be a Date or a number/],
      [{ createdFrom: 10, createdTo: 5 }, /must not be after createdTo/],
      [{ cursor: "abc", page: 2 }, /either cursor or page/],
      [{ cursor: "garbage" }, /the list cursor "garbage" is not one this store returned/],
      [{ page: 0 }, /page must be a whole number from 1/],
      // Numbered pages stop 100,000 instances deep; a cursor goes further.
      [{ page: 5000 }, /page must be a whole number from 1 to 4001, got 5000/],
      [{ order: "up" }, /order must be "desc" or "asc"/],
    ];
    for (const [options, message] of cases) {
      const error = await cairn.inspect.instances("quick", options as never).catch((e: unknown) => e);
      expect(WorkflowsError.is(error) && error.code).toBe("query.invalid");
      expect((error as Error).message).toMatch(message);
    }
    await expect(cairn.inspect.streamResult("quick", "missing", "do:1:x")).rejects.toSatisfy(
      code("instance.not_found"),
    );
    await cairn.close();
    await expect(cairn.inspect.instances("quick")).rejects.toSatisfy(code("engine.closed"));
    await expect(cairn.inspect.instance("quick", "any")).rejects.toSatisfy(code("engine.closed"));
  });
});
