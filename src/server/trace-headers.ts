// The trace a create request continues: its W3C `traceparent` (and `tracestate`) headers, read
// strictly. An absent or malformed `traceparent` is ignored, as W3C Trace Context asks of a
// receiver, so the request still creates its instances, outside any trace.

import { traceContextFromHeaders } from "../engine/trace-context.js";
import type { TraceContext } from "../storage/types.js";

/** The trace context of a request's headers; null when it carries no valid `traceparent`. */
export function requestTraceContext(request: Request): TraceContext | null {
  // Several `traceparent` headers arrive joined by ", ", which no longer parses: W3C counts them invalid.
  return traceContextFromHeaders(request.headers.get("traceparent"), request.headers.get("tracestate"));
}
