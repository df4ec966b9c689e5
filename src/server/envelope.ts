// Cloudflare's response envelope, on every answer of the API: `{success, errors, messages,
// result, result_info?}`. Wrangler reads `success`, `errors[0].message` and `result`; the
// explorer UI and paging clients read `result_info`.

import type { WireError } from "./api-error.js";

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };

/** A JSON answer with its length declared, so servers can send it in one write. */
function json(body: unknown, status: number, headers: Record<string, string> = {}): Response {
  const text = JSON.stringify(body);
  return new Response(text, {
    status,
    headers: { ...JSON_HEADERS, ...headers, "content-length": String(Buffer.byteLength(text)) },
  });
}

/** A successful answer. */
export function ok(result: unknown, resultInfo?: Record<string, unknown>, status = 200): Response {
  const body: Record<string, unknown> = { success: true, errors: [], messages: [], result };
  if (resultInfo) body.result_info = resultInfo;
  return json(body, status);
}

/** A failed answer with the error's HTTP status. */
export function fail(error: WireError, headers: Record<string, string> = {}): Response {
  const body = {
    success: false,
    errors: [{ code: error.cfCode, message: error.message, cairn_code: error.code }],
    messages: [],
    result: null,
  };
  return new Response(JSON.stringify(body), {
    status: error.status,
    headers: { ...JSON_HEADERS, ...headers },
  });
}
