// `Cairn.open`'s `tracing` option: whether this process traces its runs, and with which tracer
// provider. The default is the global provider, which an SDK registered at startup (or later)
// fills in; until one is, the global provider's tracers make no spans.

import { readFileSync } from "node:fs";
import { type TracerProvider, trace } from "@opentelemetry/api";
import type { EngineObserver } from "../../engine/observer.js";
import { describeValue } from "../../engine/validate.js";
import { WorkflowsError } from "../../errors.js";
import { tracingObserver } from "./tracing-observer.js";

/** Off (`false`), or the provider whose tracer makes the spans (default: the global provider). */
export type TracingOption = false | { tracerProvider?: TracerProvider };

/** The name Cairn's tracer carries (the instrumentation scope). */
export const TRACER_NAME = "cairn";

/** The package's version, read once from its package.json (src/ and dist/ sit at the same depth). */
function packageVersion(): string | undefined {
  try {
    const url = new URL("../../../package.json", import.meta.url);
    return (JSON.parse(readFileSync(url, "utf8")) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

let version: string | undefined | null = null;

/** The observers `tracing` asks for: none when off, else one tracing every run. */
export function tracingObservers(option: TracingOption | undefined): EngineObserver[] {
  if (option === false) return [];
  const given = option as { tracerProvider?: unknown } | null | undefined;
  const provider = typeof given === "object" && given !== null ? given.tracerProvider : undefined;
  const valid =
    given === undefined ||
    (typeof given === "object" &&
      given !== null &&
      (provider === undefined || typeof (provider as TracerProvider).getTracer === "function"));
  if (!valid) {
    throw new WorkflowsError(
      "engine.invalid_options",
      `tracing must be false or { tracerProvider?: TracerProvider }, got ${describeValue(option)}`,
    );
  }
  if (version === null) version = packageVersion();
  const tracerProvider = (provider as TracerProvider | undefined) ?? trace.getTracerProvider();
  return [tracingObserver(tracerProvider.getTracer(TRACER_NAME, version))];
}
