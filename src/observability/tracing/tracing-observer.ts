// Cairn's OpenTelemetry tracing, built on the engine's observer hooks with @opentelemetry/api
// alone: the application brings (or does not bring) an SDK. A run whose span does not record (no
// SDK, or not sampled) gets no per-step observer, so its steps pay one property read and nothing
// more; with no SDK at all the only cost is starting a no-op span per run.

import { context, isSpanContextValid, ROOT_CONTEXT, type Span, type Tracer, trace } from "@opentelemetry/api";
import type { EngineObserver, RunObserver, RunStart } from "../../engine/observer.js";
import { remoteSpanContext } from "../../engine/trace-context.js";
import { ATTR, RUN_SPAN } from "./names.js";
import { RunSpan } from "./run-span.js";

/**
 * The observer that traces each run with `tracer`. Each run span's parent is the trace context the
 * instance was created in (a remote parent), or none: then the run starts a trace of its own.
 */
export function tracingObserver(tracer: Tracer): EngineObserver {
  return {
    run: (start) => traceRun(tracer, start),
  };
}

function traceRun(tracer: Tracer, { instance, fresh, recovered }: RunStart): RunObserver | undefined {
  // Never the scheduler's ambient context: the run belongs to the instance's trace, not to
  // whatever call happened to start the scheduler pass that claimed it.
  const stored = instance.traceContext ? remoteSpanContext(instance.traceContext) : null;
  const parent = stored ? trace.setSpanContext(ROOT_CONTEXT, stored) : ROOT_CONTEXT;
  const span: Span = tracer.startSpan(
    `${RUN_SPAN} ${instance.workflow}`,
    {
      attributes: {
        [ATTR.workflow]: instance.workflow,
        [ATTR.instanceId]: instance.id,
        [ATTR.fresh]: fresh,
        [ATTR.recovered]: recovered,
      },
    },
    parent,
  );
  const inside = trace.setSpan(parent, span);
  if (span.isRecording()) return new RunSpan(tracer, span, inside, instance);
  // Not recorded: no attempt spans or events. A sampled-out span still has a valid context, which
  // the workflow's code runs in, so that its own spans follow the same decision.
  if (isSpanContextValid(span.spanContext())) return { enter: (fn) => context.with(inside, fn) };
  return undefined;
}
