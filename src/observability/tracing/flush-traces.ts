// Before `cairn dev` or `cairn start` exits, the spans an SDK still holds (a batching processor
// exports every few seconds) are handed to its exporter: the CLI ends the process itself, so an
// SDK's own exit handling would not run. A library Cairn never does this; the SDK is its owner's.

import { type TracerProvider, trace } from "@opentelemetry/api";

type Flushable = { forceFlush?: () => Promise<void> };

/** The registered SDK provider behind the API's global proxy, if any. */
function registeredProvider(): TracerProvider & Flushable {
  const global = trace.getTracerProvider() as TracerProvider & { getDelegate?: () => TracerProvider };
  return (global.getDelegate?.() ?? global) as TracerProvider & Flushable;
}

/**
 * Asks the registered tracer provider to export what it holds, waiting up to `timeoutMs`.
 * Resolves either way (nothing registered, a flush that fails or takes too long).
 */
export async function flushTraces(timeoutMs: number): Promise<void> {
  const provider = registeredProvider();
  if (typeof provider.forceFlush !== "function") return;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  try {
    await Promise.race([provider.forceFlush().catch(() => {}), late]);
  } finally {
    clearTimeout(timer);
  }
}
