// Traces of runs with a real OpenTelemetry SDK: a span per run and per step attempt with their
// attributes, retries, sleeps and waits as events, a workflow's own spans nested under the
// attempt, the trace context captured at create from the caller's active span and continued
// across a hibernation, by instances a step creates, and by a sampled-out parent; and with no
// SDK, no spans, nothing stored and no per-run observer.

import { context, type SpanContext, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import {
  type Cairn,
  type EngineObserver,
  FakeClock,
  NonRetryableError,
  WorkflowEntrypoint,
  type WorkflowEvent,
  type WorkflowStep,
} from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectCode, useLifecycleHarness } from "../helpers/lifecycle-harness.js";
import { idsOf, parentOf, type SpanRecorder, spanRecorder } from "../helpers/span-recorder.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let recorder: SpanRecorder;

/** Attempts of "charge" per instance. */
const tries = new Map<string, number>();
/** The span context active in the charge step's successful attempt, per instance. */
const seenInside = new Map<string, SpanContext | undefined>();

class Order extends WorkflowEntrypoint {
  async run(event: WorkflowEvent<unknown>, step: WorkflowStep) {
    await step.do("charge", { retries: { limit: 2, delay: 10, backoff: "constant" } }, async () => {
      tries.set(event.instanceId, (tries.get(event.instanceId) ?? 0) + 1);
      if (tries.get(event.instanceId) === 1) throw new Error("card declined");
      // The workflow's own span: a child of whatever span is active in the callback.
      seenInside.set(event.instanceId, trace.getSpanContext(context.active()));
      const own = recorder.provider.getTracer("shop").startSpan("call the bank");
      own.end();
      return "charged";
    });
    await step.sleep("cool off", "1 minute");
    await step.waitForEvent("confirmation", { type: "confirm", timeout: "5 minutes" });
    try {
      await step.waitForEvent("late note", { type: "note", timeout: "1 second" });
    } catch {
      // No note: the wait timed out, which the trace shows as an event.
    }
    await step.do("ship", async () => {
      throw new NonRetryableError("warehouse closed");
    });
  }
}

class Napper extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    await step.do("before", async () => "a");
    await step.sleep("nap", "1 hour");
    return step.do("after", async () => "b");
  }
}

/** Its step creates a Napper instance through the workflow binding. */
class Spawner extends WorkflowEntrypoint<{ NAPPER: { create(o: { id: string }): Promise<unknown> } }> {
  async run(event: WorkflowEvent<unknown>, step: WorkflowStep) {
    await step.do("spawn", async () => {
      await this.env.NAPPER.create({ id: `${event.instanceId}-child` });
    });
  }
}

/** Records when the run reaches a point, so the test knows when to move the clock. */
function milestones(heard: string[]): EngineObserver {
  return {
    run: () => ({
      attempt: ({ name, attempt }) => ({ ended: (end) => heard.push(`${name} #${attempt} ${end.outcome}`) }),
      sleeping: (name) => heard.push(`sleeping ${name}`),
      waiting: (name) => heard.push(`waiting ${name}`),
    }),
  };
}

const until = (heard: string[], line: string) =>
  waitUntil(
    () => heard,
    (h) => h.includes(line),
    { what: line },
  );

/** Waits (bounded) until the finished spans satisfy `holds`; a timeout names the spans there were. */
async function spansUntil(holds: (spans: ReadableSpan[]) => boolean, what: string): Promise<ReadableSpan[]> {
  await waitUntil(
    () => recorder.spans().map((s) => `${s.name} ${JSON.stringify(s.attributes)}`),
    () => holds(recorder.spans()),
    { what },
  );
  return recorder.spans();
}

const runSpans = (workflow: string) => recorder.named(`workflow.run ${workflow}`);

describe("traces with an OpenTelemetry SDK", () => {
  const h = useLifecycleHarness();
  const contextManager = new AsyncLocalStorageContextManager();

  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
  });
  afterAll(() => {
    context.disable();
  });
  afterEach(async () => {
    await recorder.shutdown();
  });

  it("make a run span with a child span per attempt, retries, sleep and wait events, and the run's error", async () => {
    recorder = spanRecorder();
    const clock = new FakeClock();
    const heard: string[] = [];
    const cairn = await h.open({
      workflows: { ORDER: { name: "order", class: Order } },
      clock,
      hibernateAfterMs: 10 * MINUTE,
      tracing: { tracerProvider: recorder.provider },
      observers: [milestones(heard)],
    });
    const instance = await cairn.env.ORDER.create({ id: "o1" });
    await until(heard, "charge #1 failure");
    clock.advance(10);
    await until(heard, "sleeping cool off");
    clock.advance(MINUTE);
    await until(heard, "waiting confirmation");
    clock.advance(3000);
    await instance.sendEvent({ type: "confirm", payload: null });
    await until(heard, "waiting late note");
    clock.advance(1000);
    await waitForStatus(instance, "errored");
    // A wait hibernates the instance (how many times depends on timing): the runs after the
    // first are resumed ones, and the last one ends the instance.
    await spansUntil(
      () => runSpans("order").some((r) => r.attributes["cairn.run.end_reason"] === "finished"),
      "the last run's span",
    );
    const runs = runSpans("order");
    const first = runs[0]!;
    const last = runs.at(-1)!;
    const common = {
      "cairn.workflow.name": "order",
      "cairn.instance.id": "o1",
      "cairn.run.recovered": false,
    };
    expect(first.attributes).toEqual({
      ...common,
      "cairn.run.fresh": true,
      "cairn.run.end_reason": "hibernated",
      "cairn.instance.status": "waiting",
    });
    expect(last.attributes).toEqual({
      ...common,
      "cairn.run.fresh": false,
      "cairn.run.end_reason": "finished",
      "cairn.instance.status": "errored",
    });
    expect(runs.slice(0, -1).map((r) => r.status.code)).toEqual(
      runs.slice(0, -1).map(() => SpanStatusCode.UNSET),
    );
    expect(last.status).toEqual({ code: SpanStatusCode.ERROR, message: "warehouse closed" });
    // Created outside any trace: each run starts a trace of its own.
    expect(runs.map(parentOf)).toEqual(runs.map(() => undefined));
    const at = (ms: number) => new Date(ms).toISOString();
    const T0 = Date.UTC(2026, 0, 1);
    expect(runs.flatMap((r) => r.events.map((e) => [e.name, e.attributes]))).toEqual([
      [
        "workflow.sleep.started",
        { "cairn.step.name": "cool off", "cairn.sleep.wake_at": at(T0 + 10 + MINUTE) },
      ],
      ["workflow.sleep.woke", { "cairn.step.name": "cool off", "cairn.sleep.lateness_ms": 0 }],
      [
        "workflow.wait.started",
        {
          "cairn.step.name": "confirmation",
          "cairn.event.type": "confirm",
          "cairn.wait.deadline": at(T0 + 10 + MINUTE + 5 * MINUTE),
        },
      ],
      [
        "workflow.wait.received",
        { "cairn.step.name": "confirmation", "cairn.event.type": "confirm", "cairn.event.latency_ms": 0 },
      ],
      [
        "workflow.wait.started",
        {
          "cairn.step.name": "late note",
          "cairn.event.type": "note",
          "cairn.wait.deadline": at(T0 + 10 + MINUTE + 3000 + 1000),
        },
      ],
      ["workflow.wait.timed_out", { "cairn.step.name": "late note", "cairn.event.type": "note" }],
      ["exception", { "exception.type": "NonRetryableError", "exception.message": "warehouse closed" }],
    ]);

    const attempts = recorder.spans().filter((s) => s.name.startsWith("workflow.step "));
    expect(attempts.map((s) => [s.name, s.attributes, s.status.code])).toEqual([
      [
        "workflow.step charge",
        {
          "cairn.workflow.name": "order",
          "cairn.instance.id": "o1",
          "cairn.step.name": "charge",
          "cairn.step.kind": "do",
          "cairn.step.count": 1,
          "cairn.step.attempt": 1,
          "cairn.step.outcome": "failure",
          "cairn.step.retry_delay_ms": 10,
        },
        SpanStatusCode.ERROR,
      ],
      [
        "workflow.step charge",
        expect.objectContaining({ "cairn.step.attempt": 2, "cairn.step.outcome": "success" }),
        SpanStatusCode.UNSET,
      ],
      [
        "workflow.step ship",
        expect.not.objectContaining({ "cairn.step.retry_delay_ms": expect.anything() }),
        SpanStatusCode.ERROR,
      ],
    ]);
    expect(attempts[2]!.attributes).toMatchObject({
      "cairn.step.outcome": "failure",
      "cairn.step.attempt": 1,
    });
    expect(attempts[0]!.events.map((e) => e.attributes?.["exception.message"])).toEqual(["card declined"]);
    expect(attempts.map((a) => idsOf(a.parentSpanContext!))).toEqual([
      idsOf(first.spanContext()),
      idsOf(first.spanContext()),
      idsOf(last.spanContext()),
    ]);
    // The workflow's own span, started in the second attempt's callback, is that attempt's child.
    const [own] = recorder.named("call the bank");
    expect(parentOf(own!)).toBe(attempts[1]!.spanContext().spanId);
    expect(own!.spanContext().traceId).toBe(first.spanContext().traceId);
  });

  it("continue the creator's trace, kept in the store, in each run across a hibernating sleep", async () => {
    recorder = spanRecorder();
    const clock = new FakeClock();
    const cairn = await h.open({
      workflows: { NAPPER: { name: "napper", class: Napper } },
      clock,
      hibernateAfterMs: 0,
      tracing: { tracerProvider: recorder.provider },
    });
    const creator = recorder.provider.getTracer("client").startSpan("place order");
    await context.with(trace.setSpan(context.active(), creator), () => cairn.env.NAPPER.create({ id: "n1" }));
    creator.end();
    const stored = await cairn.engine.store.getInstance("napper", "n1");
    const { traceId, spanId } = creator.spanContext();
    expect(stored?.traceContext).toEqual({ traceparent: `00-${traceId}-${spanId}-01`, tracestate: null });

    await spansUntil(
      () => runSpans("napper").some((s) => s.attributes["cairn.run.end_reason"] === "hibernated"),
      "the first run's hibernation",
    );
    clock.advance(HOUR);
    const instance = await cairn.env.NAPPER.get("n1");
    await waitForStatus(instance, "complete");
    await spansUntil(() => runSpans("napper").length === 2, "the second run");
    const runs = runSpans("napper");
    expect(runs.map((r) => [r.attributes["cairn.run.fresh"], r.attributes["cairn.run.end_reason"]])).toEqual([
      [true, "hibernated"],
      [false, "finished"],
    ]);
    for (const run of runs) {
      expect(run.spanContext().traceId).toBe(traceId);
      expect(run.parentSpanContext).toMatchObject({ spanId, isRemote: true });
    }
    const [after] = recorder.named("workflow.step after");
    expect(parentOf(after!)).toBe(runs[1]!.spanContext().spanId);
    await cairn.close();
  });

  it("continue the creating step's trace in an instance created by a workflow's binding", async () => {
    recorder = spanRecorder();
    const cairn = await h.open({
      workflows: { SPAWNER: { name: "spawner", class: Spawner }, NAPPER: { name: "napper", class: Napper } },
      hibernateAfterMs: 0,
      tracing: { tracerProvider: recorder.provider },
    });
    await cairn.env.SPAWNER.create({ id: "s1" });
    await spansUntil(() => runSpans("napper").length === 1, "the child's first run");
    const [child] = runSpans("napper");
    const [spawn] = recorder.named("workflow.step spawn");
    expect(idsOf(child!.parentSpanContext!)).toBe(idsOf(spawn!.spanContext()));
  });

  it("keep a sampled-out caller's decision: no spans, and the workflow's own spans continue the trace unsampled", async () => {
    recorder = spanRecorder();
    const cairn = await h.open({
      workflows: { ORDER: { name: "order", class: Order } },
      tracing: { tracerProvider: recorder.provider },
    });
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    tries.set("unsampled", 1);
    await cairn.operations.create(
      "order",
      { id: "unsampled" },
      { traceparent: `00-${traceId}-00f067aa0ba902b7-00`, tracestate: null },
    );
    await waitUntil(
      () => tries.get("unsampled"),
      (n) => n === 2,
      { what: "the charge step's callback" },
    );
    expect(recorder.spans()).toEqual([]);
    expect(seenInside.get("unsampled")).toMatchObject({ traceId, traceFlags: 0 });
    await cairn.close();
  });
});

describe("traces with no SDK", () => {
  const h = useLifecycleHarness();

  // Metrics off: they would be the engine's only other observer.
  async function openPlain(options: { tracing?: false }): Promise<Cairn<any>> {
    return h.open({ workflows: { NAPPER: { name: "napper", class: Napper } }, metrics: false, ...options });
  }

  it("store nothing, make no per-run observer, and run as usual", async () => {
    const cairn = await openPlain({});
    const span = trace.getTracer("client").startSpan("place order");
    await context.with(trace.setSpan(context.active(), span), () =>
      cairn.env.NAPPER!.create({ id: "plain" }),
    );
    span.end();
    const stored = (await cairn.engine.store.getInstance("napper", "plain"))!;
    expect(stored.traceContext).toBeNull();
    expect(cairn.engine.observer?.run?.({ instance: stored, fresh: true, recovered: false })).toBeUndefined();
  });

  it("refuses a tracing option that is neither false nor { tracerProvider }", async () => {
    for (const tracing of [true, "on", { tracerProvider: {} }]) {
      await expectCode(
        h.open({ workflows: { NAPPER: { name: "napper", class: Napper } }, tracing: tracing as never }),
        "engine.invalid_options",
      );
    }
  });

  it("with tracing off, the engine has no observer at all", async () => {
    const cairn = await openPlain({ tracing: false });
    expect(cairn.engine.observer).toBeUndefined();
  });
});
