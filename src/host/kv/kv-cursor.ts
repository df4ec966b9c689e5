// The opaque `cursor` of a KV list page: the last key returned, with a short digest of it and its
// namespace so that a cursor altered by hand, or taken from another namespace, is refused as
// Cloudflare refuses one ("Invalid cursor") instead of listing from an arbitrary place.

import { createHash } from "node:crypto";
import { KvError } from "./kv-errors.js";

function digest(namespace: string, key: string): string {
  return createHash("sha256").update(namespace).update("\0").update(key).digest("base64url").slice(0, 12);
}

/** The cursor that continues a listing after `key`. */
export function encodeCursor(namespace: string, key: string): string {
  return `${Buffer.from(key).toString("base64url")}.${digest(namespace, key)}`;
}

/** The key a cursor continues after; throws Cloudflare's "Invalid cursor" for anything else. */
export function decodeCursor(namespace: string, cursor: string): string {
  const dot = cursor.indexOf(".");
  const encoded = cursor.slice(0, dot);
  const key = Buffer.from(encoded, "base64url").toString("utf8");
  const valid =
    dot > 0 &&
    Buffer.from(key).toString("base64url") === encoded &&
    cursor.slice(dot + 1) === digest(namespace, key);
  if (!valid) throw new KvError("kv.invalid_cursor", "GET", 400, "Invalid cursor");
  return key;
}
