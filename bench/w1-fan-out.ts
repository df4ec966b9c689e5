// W1 fan-out: 1,000 instances created with createBatch (100 per call), each running 10
// sequential steps. Shows the steps per second one process sustains across many instances,
// where group commit lets many steps share one fsync; compare with the storage's rows/s at 100
// rows per transaction.

import { context, trace } from "@opentelemetry/api";
import { type Workflow, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "../src/index.js";
import type { Store } from "../src/storage/types.js";
import { type BenchOptions, openBench, stepValue, type Workload, within } from "./lib/harness.js";
import { nowMs, perSecond } from "./lib/stats.js";
import { type BenchTracing, benchTracing } from "./lib/tracing.js";

const STEPS = 10;

export class FanOut extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    let last: unknown;
    for (let i = 0; i < STEPS; i++) last = await step.do(`step ${i}`, async () => stepValue(i));
    return last;
  }
}

/**
 * Runs W1's fan-out and measures it. `skipStepWrites` answers every step record at once without
 * writing it (the W1-engine bound). `traced`: with an OpenTelemetry SDK registered (W1-traced),
 * each createBatch inside a span of its own, so that every instance's runs continue its trace.
 * `metrics: false` opens Cairn without its metrics (W1-metrics-off).
 */
export async function runFanOut(
  options: BenchOptions,
  variant: { skipStepWrites?: boolean; traced?: boolean; metrics?: boolean } = {},
) {
  const { skipStepWrites = false, traced = false, metrics = true } = variant;
  const instances = options.quick ? 200 : 1000;
  const tracing: BenchTracing | null = traced ? benchTracing() : null;
  const bench = await openBench(
    options,
    { FAN_OUT: { name: "fan-out", class: FanOut } },
    { skipStepWrites, metrics, ...(tracing ? { tracing: { tracerProvider: tracing.provider } } : {}) },
  );
  let spans = 0;
  try {
    const { cairn, watch } = bench;
    const tracer = tracing?.provider.getTracer("bench");
    const loop = performance.eventLoopUtilization();
    const start = nowMs();
    for (let b = 0; b < instances / 100; b++) {
      const batch = Array.from({ length: 100 }, (_, i) => ({ id: `w1-${b * 100 + i}` }));
      if (!tracer) {
        await cairn.env.FAN_OUT.createBatch(batch);
        continue;
      }
      const span = tracer.startSpan("create batch");
      await context.with(trace.setSpan(context.active(), span), () => cairn.env.FAN_OUT.createBatch(batch));
      span.end();
    }
    const created = nowMs();
    const end = await within(
      watch.whenCount("finished", instances),
      300_000,
      `${instances} instances to complete`,
      () => `${watch.finished} finished`,
    );
    if (watch.completed !== instances) throw new Error(`only ${watch.completed} of ${instances} completed`);
    if (tracing) spans = await tracing.finish();
    const totalMs = end - start;
    const busy = performance.eventLoopUtilization(loop).utilization * 100;
    return {
      metrics: {
        instances,
        steps: instances * STEPS,
        totalMs,
        createMs: created - start,
        stepsPerSecond: perSecond(instances * STEPS, totalMs),
        eventLoopBusyPercent: busy,
      },
      notes: [
        `${instances} instances × ${STEPS} steps${skipStepWrites ? " with every recordStep answered at once and not written (a bound, not durable)" : ""}${metrics ? "" : " with metrics off"}; time from the first createBatch to the last durable finish; the event loop (main thread) was busy ${Math.round(busy)} % of that time`,
        ...(tracing
          ? [
              `traced: an OpenTelemetry SDK (batching span processor, an exporter that drops spans) made ${spans} spans, a run span and ${STEPS} attempt spans per instance plus one per createBatch`,
            ]
          : []),
      ],
      ops: { ...watch.ops },
    };
  } finally {
    await bench.close();
  }
}

export const workload: Workload = {
  id: "W1",
  title: "fan-out",
  run: (options: BenchOptions) => runFanOut(options),
};

/**
 * W1's fan-out driven from a process that may run none of it (W1-workers, pg-scale-model):
 * `instances` created with createBatch (100 per call, ids `${prefix}-<n>`), then the store's
 * counts polled every 5 ms until all are complete. Resolves with the milliseconds from the first
 * createBatch until then.
 */
export async function fanOutAndWait(
  cairn: { env: { FAN_OUT: Workflow }; engine: { store: Store } },
  instances: number,
  prefix: string,
): Promise<number> {
  const start = nowMs();
  for (let b = 0; b < instances / 100; b++) {
    await cairn.env.FAN_OUT.createBatch(
      Array.from({ length: 100 }, (_, i) => ({ id: `${prefix}-${b * 100 + i}` })),
    );
  }
  const complete = async () => (await cairn.engine.store.countByStatus("fan-out")).complete ?? 0;
  await within(
    (async () => {
      while ((await complete()) < instances) await new Promise((r) => setTimeout(r, 5));
    })(),
    300_000,
    `${instances} instances to complete`,
  );
  return nowMs() - start;
}
