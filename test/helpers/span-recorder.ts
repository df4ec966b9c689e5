// Test helper: a real OpenTelemetry SDK tracer provider whose finished spans are kept in memory,
// to hand to `Cairn.open({ tracing: { tracerProvider } })`, and short ways to find spans by name
// and to tell a span's parent.

import type { SpanContext } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";

export type SpanRecorder = {
  provider: BasicTracerProvider;
  /** Spans ended so far, oldest first. */
  spans(): ReadableSpan[];
  /** Spans ended so far whose name is `name`. */
  named(name: string): ReadableSpan[];
  shutdown(): Promise<void>;
};

export function spanRecorder(): SpanRecorder {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const spans = () => exporter.getFinishedSpans();
  return {
    provider,
    spans,
    named: (name) => spans().filter((s) => s.name === name),
    shutdown: () => provider.shutdown(),
  };
}

/** The span id of a span's parent (undefined for a root span). */
export function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

/** "traceId/spanId" of a span context, to compare two at once. */
export function idsOf(context: SpanContext): string {
  return `${context.traceId}/${context.spanId}`;
}
