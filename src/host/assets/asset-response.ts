// Builds the HTTP response for an asset as Cloudflare sends it: Content-Type from the file name,
// a strong ETag from the content hash, `Cache-Control: public, max-age=0, must-revalidate`
// (left off when the request carries Authorization or Range), 304 for a matching If-None-Match,
// 206 with Content-Range for a satisfiable Range and 416 for one that is not, no body for HEAD.

import { open, readFile } from "node:fs/promises";
import parseRange from "range-parser";
import type { AssetFile } from "./asset-files.js";

/** The browser must check back before using its cached copy (what Cloudflare sends). */
export const ASSET_CACHE_CONTROL = "public, max-age=0, must-revalidate";

function ifNoneMatchHits(header: string | null, etag: string): boolean {
  if (header === null) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((tag) => {
    const value = tag.trim();
    return value === etag || value === `W/${etag}`;
  });
}

async function readSlice(path: string, start: number, end: number): Promise<Uint8Array> {
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.alloc(end - start + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** A single satisfiable byte range of `size` bytes, "unsatisfiable", or null to send the whole file. */
function requestedRange(
  request: Request,
  etag: string,
  size: number,
): { start: number; end: number } | "unsatisfiable" | null {
  const header = request.headers.get("Range");
  if (header === null) return null;
  // If-Range names the version the client has; any other version is sent whole.
  const ifRange = request.headers.get("If-Range");
  if (ifRange !== null && ifRange.trim() !== etag) return null;
  const ranges = parseRange(size, header, { combine: true });
  if (ranges === -1) return "unsatisfiable";
  // A malformed header, a unit other than bytes, or several ranges: the whole file is sent.
  if (ranges === -2 || ranges.type !== "bytes" || ranges.length !== 1) return null;
  return ranges[0]!;
}

/** The response serving `file` with `status` (200, or 404 for a 404 page) to `request`. */
export async function assetResponse(request: Request, file: AssetFile, status: 200 | 404): Promise<Response> {
  const etag = `"${file.etag}"`;
  const headers = new Headers({ ETag: etag, "Content-Type": file.contentType });
  if (!request.headers.has("Authorization") && !request.headers.has("Range")) {
    headers.set("Cache-Control", ASSET_CACHE_CONTROL);
  }
  if (ifNoneMatchHits(request.headers.get("If-None-Match"), etag)) {
    return new Response(null, { status: 304, headers });
  }
  const head = request.method === "HEAD";
  if (status === 200) {
    headers.set("Accept-Ranges", "bytes");
    const range = requestedRange(request, etag, file.size);
    if (range === "unsatisfiable") {
      headers.set("Content-Range", `bytes */${file.size}`);
      return new Response(null, { status: 416, headers });
    }
    if (range) {
      headers.set("Content-Range", `bytes ${range.start}-${range.end}/${file.size}`);
      headers.set("Content-Length", String(range.end - range.start + 1));
      if (head) return new Response(null, { status: 206, headers });
      return new Response(await readSlice(file.path, range.start, range.end), { status: 206, headers });
    }
  }
  if (head) {
    headers.set("Content-Length", String(file.size));
    return new Response(null, { status, headers });
  }
  const body = await readFile(file.path);
  headers.set("Content-Length", String(body.length));
  return new Response(body, { status, headers });
}
