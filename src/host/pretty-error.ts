// `MF-Disable-Pretty-Error`: a request carrying this header (wrangler's own tooling and many test
// suites send it) gets a Worker's uncaught exception back as JSON, as `wrangler dev` answers it:
// status 500, `{ name, message, stack, cause }` and the `MF-Experimental-Error-Stack: true` header.
// The header itself is taken off before the Worker sees the request, as wrangler does.

const HEADER = "MF-Disable-Pretty-Error";

export function wantsJsonError(request: Request): boolean {
  return request.headers.has(HEADER);
}

/** The request without the header (the same request when it has none). */
export function withoutPrettyErrorHeader(request: Request): Request {
  if (!request.headers.has(HEADER)) return request;
  const headers = new Headers(request.headers);
  headers.delete(HEADER);
  return new Request(request, { headers });
}

type ReducedError = { name?: unknown; message: unknown; stack?: unknown; cause?: ReducedError };

function reduce(error: unknown): ReducedError {
  const e = error as { name?: unknown; message?: unknown; stack?: unknown; cause?: unknown } | null;
  return {
    name: e?.name,
    message: e?.message ?? String(error),
    stack: e?.stack,
    ...(e?.cause === undefined ? {} : { cause: reduce(e.cause) }),
  };
}

export function jsonErrorResponse(error: unknown): Response {
  return new Response(JSON.stringify(reduce(error)), {
    status: 500,
    headers: { "Content-Type": "application/json", "MF-Experimental-Error-Stack": "true" },
  });
}
