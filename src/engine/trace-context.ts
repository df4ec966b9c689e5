// The trace context an instance keeps, in W3C Trace Context text (`traceparent`, `tracestate`):
// read strictly from an HTTP header or a caller's active OpenTelemetry span, and turned back into
// a remote span context for the spans of the instance's runs. Independent of any propagator the
// application registers, so that what is stored always means the same thing.

import {
  context,
  createTraceState,
  isSpanContextValid,
  type SpanContext,
  type TraceFlags,
  trace,
} from "@opentelemetry/api";
import type { TraceContext } from "../storage/types.js";

/** The longest `tracestate` kept (the length W3C asks every vendor to propagate at least). */
export const MAX_TRACESTATE_LENGTH = 512;

/** Most list members a `tracestate` may hold. */
const MAX_TRACESTATE_MEMBERS = 32;

// version "-" trace-id "-" parent-id "-" trace-flags, lowercase hex. A version after 00 may carry
// more fields after a further "-"; version ff is forbidden.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE_ID = "0".repeat(32);
const ZERO_SPAN_ID = "0".repeat(16);

// A key is simple (`vendor`) or multi-tenant (`tenant@system`); a value is printable ASCII
// without "," and "=", not ending in a space.
const TRACESTATE_KEY =
  /^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})$/;
const TRACESTATE_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/** The span context a `traceparent` names, or null when it breaks the format in any way. */
export function parseTraceparent(text: string): SpanContext | null {
  const m = TRACEPARENT.exec(text);
  if (!m) return null;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  if (version === "ff") return null;
  // Version 00 has exactly four fields; a later version may add more.
  if (version === "00" && rest !== undefined) return null;
  if (traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return null;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16) as TraceFlags, isRemote: true };
}

/** `tracestate` as given when every member is well formed and it is short enough; null otherwise. */
export function validTracestate(text: string): string | null {
  if (text.length > MAX_TRACESTATE_LENGTH) return null;
  const members = text
    .split(",")
    .map((m) => m.trim())
    .filter((m) => m.length > 0);
  if (members.length === 0 || members.length > MAX_TRACESTATE_MEMBERS) return null;
  const keys = new Set<string>();
  for (const member of members) {
    const eq = member.indexOf("=");
    if (eq <= 0) return null;
    const key = member.slice(0, eq);
    if (!TRACESTATE_KEY.test(key) || !TRACESTATE_VALUE.test(member.slice(eq + 1)) || keys.has(key))
      return null;
    keys.add(key);
  }
  return members.join(",");
}

/** A span context in `traceparent` text (version 00). */
export function formatTraceparent(span: SpanContext): string {
  const flags = (span.traceFlags & 0xff).toString(16).padStart(2, "0");
  return `00-${span.traceId}-${span.spanId}-${flags}`;
}

/**
 * The trace context of request headers: null when `traceparent` is absent or invalid (W3C asks a
 * receiver to ignore it then, and start afresh); an invalid `tracestate` alone is dropped.
 */
export function traceContextFromHeaders(
  traceparent: string | null | undefined,
  tracestate: string | null | undefined,
): TraceContext | null {
  const span = traceparent ? parseTraceparent(traceparent.trim()) : null;
  if (!span) return null;
  return {
    traceparent: formatTraceparent(span),
    tracestate: tracestate ? validTracestate(tracestate) : null,
  };
}

/**
 * The trace context of the caller's active span, whether it is sampled or not (the flags keep the
 * caller's decision for the runs to follow); null when there is no valid span. With no context
 * manager registered (no OpenTelemetry SDK) this reads an empty context and costs next to nothing.
 */
export function activeTraceContext(): TraceContext | null {
  const span = trace.getSpanContext(context.active());
  if (!span || !isSpanContextValid(span)) return null;
  const state = span.traceState?.serialize();
  return { traceparent: formatTraceparent(span), tracestate: state ? validTracestate(state) : null };
}

/** The remote span context a stored trace context stands for (null if it no longer parses). */
export function remoteSpanContext(stored: TraceContext): SpanContext | null {
  const span = parseTraceparent(stored.traceparent);
  if (!span) return null;
  return stored.tracestate ? { ...span, traceState: createTraceState(stored.tracestate) } : span;
}
