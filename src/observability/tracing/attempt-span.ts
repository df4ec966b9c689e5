// The span of one attempt of a step's callback (or of a rollback handler), a child of its run's
// span. The callback runs in the span's context, so spans the workflow's own code starts there
// nest under the attempt; the attempt's end records its outcome, its error and the retry to come.

import { type Context, context, type Span, SpanStatusCode, type Tracer, trace } from "@opentelemetry/api";
import type { AttemptEnd, AttemptObserver, AttemptStart } from "../../engine/observer.js";
import type { InstanceRecord } from "../../storage/types.js";
import { ATTR, ROLLBACK_SPAN, STEP_SPAN } from "./names.js";

/** Observes one attempt through a span started now under `run` (the run span's context). */
export class AttemptSpan implements AttemptObserver {
  private readonly span: Span;
  private readonly inside: Context;

  constructor(tracer: Tracer, run: Context, instance: InstanceRecord, start: AttemptStart) {
    const name = `${start.kind === "rollback" ? ROLLBACK_SPAN : STEP_SPAN} ${start.name}`;
    this.span = tracer.startSpan(
      name,
      {
        attributes: {
          [ATTR.workflow]: instance.workflow,
          [ATTR.instanceId]: instance.id,
          [ATTR.stepName]: start.name,
          [ATTR.stepKind]: start.kind,
          [ATTR.stepCount]: start.count,
          [ATTR.attempt]: start.attempt,
        },
      },
      run,
    );
    this.inside = trace.setSpan(run, this.span);
  }

  run<T>(fn: () => T): T {
    return context.with(this.inside, fn);
  }

  ended(end: AttemptEnd): void {
    const span = this.span;
    span.setAttribute(ATTR.outcome, end.outcome);
    if (end.outcome !== "success") {
      if (end.retryDelayMs !== null) span.setAttribute(ATTR.retryDelayMs, end.retryDelayMs);
      span.recordException({ name: end.error.name, message: end.error.message });
      span.setStatus({ code: SpanStatusCode.ERROR, message: end.error.message });
    }
    span.end();
  }
}
