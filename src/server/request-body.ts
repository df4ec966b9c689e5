// Reads a request body as JSON within a size limit: an empty body is "no value", a body that is
// not JSON is a 400 naming where it broke, and one over the limit is a 413 before it is all read.
// A body that breaks off (the client went away, or the server cut a slow one off) is the
// client's failure, a 400, never reported as the server's.

import { ApiError } from "./api-error.js";

/** The largest body any route accepts: a batch of 100 creates, each with params up to 1 MiB. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** The body's text; `ApiError` 413 once it passes `limit` bytes. */
export async function readText(request: Request, limit = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(declared, limit);
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read().catch((error: unknown) => {
      throw new ApiError(
        400,
        "request.incomplete",
        `the request body broke off after ${size} bytes: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(size, limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The body parsed as JSON; `undefined` for an empty body. */
export async function readJson(request: Request, limit = MAX_BODY_BYTES): Promise<unknown> {
  const text = await readText(request, limit);
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ApiError(
      400,
      "request.invalid_json",
      `the request body is not valid JSON: ${(error as Error).message}`,
    );
  }
}

/** The body as a JSON object (an empty body is `{}`); a 400 for any other JSON value. */
export async function readObject(request: Request, what: string): Promise<Record<string, unknown>> {
  const value = await readJson(request);
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ApiError(400, "request.invalid", `${what} must be a JSON object, got ${kindOf(value)}`);
  }
  return value as Record<string, unknown>;
}

/** "an array", "a string", "null"… for messages about the wrong kind of value. */
export function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  return type === "object" ? "an object" : `a ${type}`;
}

function tooLarge(size: number, limit: number): ApiError {
  return new ApiError(
    413,
    "request.too_large",
    `the request body is ${size} bytes or more; the limit is ${limit} bytes`,
  );
}
