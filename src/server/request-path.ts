// The request path checked once for every API route, before routing: each segment must decode
// (no broken percent-encoding, no invalid UTF-8), hold no control character (a NUL byte cut at
// some later layer could name something else) and stay within a length no name or id comes near.
// A path failing any of these is a 400 naming the segment, never a 404 of a route that happened
// to match, nor a 500 from a layer below that was not written for it.

import { ApiError } from "./api-error.js";

/** The longest path segment accepted: ids are at most 100 characters, workflow names 64. */
export const MAX_SEGMENT_CHARS = 1024;

/** True when `text` holds a C0 control character or DEL. */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** Throws ApiError 400 `request.invalid_path` for a path no route should see. */
export function checkPath(pathname: string): void {
  for (const raw of pathname.split("/")) {
    if (raw.length > MAX_SEGMENT_CHARS) {
      throw invalid(
        `a path segment is ${raw.length} characters; the limit is ${MAX_SEGMENT_CHARS} (ids are at most 100)`,
      );
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      throw invalid(`the path segment "${raw.slice(0, 100)}" is not valid percent-encoded UTF-8`);
    }
    if (hasControl(decoded)) {
      throw invalid(`the path segment "${raw.slice(0, 100)}" holds a control character`);
    }
  }
}

function invalid(message: string): ApiError {
  return new ApiError(400, "request.invalid_path", message);
}
