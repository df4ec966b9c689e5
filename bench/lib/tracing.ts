// The OpenTelemetry SDK set-up of the traced bench variants: a tracer provider that batches
// spans, as a production set-up does, to an exporter that counts and drops them (no network in
// the figure), and the async-local-storage context manager the Node SDK registers.

import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";

export type BenchTracing = {
  provider: BasicTracerProvider;
  /** Flushes and stops the provider; returns how many spans were exported. */
  finish(): Promise<number>;
};

/** An SDK provider registered with a context manager; every span is sampled. */
export function benchTracing(): BenchTracing {
  let exported = 0;
  const exporter: SpanExporter = {
    export(spans: ReadableSpan[], done) {
      exported += spans.length;
      done({ code: 0 });
    },
    shutdown: async () => {},
  };
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  const provider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 65_536, maxExportBatchSize: 4096 })],
  });
  return {
    provider,
    async finish() {
      await provider.shutdown();
      context.disable();
      return exported;
    },
  };
}
