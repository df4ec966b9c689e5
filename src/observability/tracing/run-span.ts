// The span of one run (activation) of an instance: a child of the trace context the instance
// keeps from its creation, so every run of it, in any process and however much later, joins the
// creator's trace. Sleeps and waits are events on it; each step attempt is a child span.

import { type Context, context, type Span, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import type { AttemptStart, EndReason, RunObserver } from "../../engine/observer.js";
import type { ErrorRecord, InstanceRecord, StoredStatus } from "../../storage/types.js";
import { AttemptSpan } from "./attempt-span.js";
import { ATTR, EVENTS } from "./names.js";

const iso = (ms: number) => new Date(ms).toISOString();

/** Observes a run whose span records: attempt spans, events, and the end. */
export class RunSpan implements RunObserver {
  private readonly tracer: Tracer;
  private readonly span: Span;
  /** The context with the run span active: the workflow's code runs in it. */
  private readonly inside: Context;
  private readonly instance: InstanceRecord;

  constructor(tracer: Tracer, span: Span, inside: Context, instance: InstanceRecord) {
    this.tracer = tracer;
    this.span = span;
    this.inside = inside;
    this.instance = instance;
  }

  enter<T>(fn: () => T): T {
    return context.with(this.inside, fn);
  }

  attempt(start: AttemptStart): AttemptSpan {
    return new AttemptSpan(this.tracer, this.inside, this.instance, start);
  }

  sleeping(name: string, wakeAt: number): void {
    this.span.addEvent(EVENTS.sleepStarted, { [ATTR.stepName]: name, [ATTR.wakeAt]: iso(wakeAt) });
  }

  woke(name: string, wakeAt: number, at: number): void {
    this.span.addEvent(EVENTS.sleepWoke, {
      [ATTR.stepName]: name,
      [ATTR.latenessMs]: Math.max(0, at - wakeAt),
    });
  }

  waiting(name: string, type: string, deadline: number): void {
    this.span.addEvent(EVENTS.waitStarted, {
      [ATTR.stepName]: name,
      [ATTR.eventType]: type,
      [ATTR.deadline]: iso(deadline),
    });
  }

  received(name: string, type: string, sentAt: number, at: number): void {
    this.span.addEvent(EVENTS.waitReceived, {
      [ATTR.stepName]: name,
      [ATTR.eventType]: type,
      [ATTR.latencyMs]: Math.max(0, at - sentAt),
    });
  }

  timedOut(name: string, type: string): void {
    this.span.addEvent(EVENTS.waitTimedOut, { [ATTR.stepName]: name, [ATTR.eventType]: type });
  }

  ended(reason: EndReason, status: StoredStatus | undefined, error: ErrorRecord | undefined): void {
    const span = this.span;
    span.setAttribute(ATTR.endReason, reason);
    if (status !== undefined) span.setAttribute(ATTR.status, status);
    if (error) {
      span.recordException({ name: error.name, message: error.message });
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    }
    span.end();
  }
}
