// `list()`: objects in key order (UTF-8 byte order, as SQLite compares text), filtered by prefix,
// started after `startAfter` or a cursor, with keys that share a prefix up to the delimiter
// rolled into `delimitedPrefixes`. Objects and delimited prefixes both count toward `limit`.
// The cursor is opaque to the Worker: it encodes the last key returned and, when the page ended
// on a delimited prefix, that prefix, so the next page skips the keys under it.

import { R2Error } from "./errors.js";
import { MAX_LIST_LIMIT } from "./limits.js";
import type { ObjectIndex, ObjectRecord } from "./object-index.js";

export type ListQuery = {
  limit: number;
  prefix: string;
  delimiter: string | undefined;
  /** Keys must sort after this. */
  after: string | null;
  /** Keys under this delimited prefix were returned already. */
  skipPrefix: string | undefined;
};

export type ListPage = {
  objects: ObjectRecord[];
  delimitedPrefixes: string[];
  truncated: boolean;
  cursor: string | undefined;
};

type Cursor = { after: string; skip?: string };

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString("base64url");
}

function decodeCursor(text: string): Cursor {
  try {
    const value = JSON.parse(Buffer.from(text, "base64url").toString()) as Cursor;
    if (typeof value.after === "string" && (value.skip === undefined || typeof value.skip === "string"))
      return value;
  } catch {
    // Reported below.
  }
  throw new TypeError(`list: the cursor ${JSON.stringify(text)} is not one a previous list returned`);
}

function optionalText(options: Record<string, unknown>, name: string): string | undefined {
  const value = options[name];
  return value === undefined || value === null ? undefined : String(value);
}

/** Reads list options (limit, prefix, cursor, delimiter, startAfter) into a query. */
export function readListQuery(options: Record<string, unknown>): ListQuery {
  let limit = MAX_LIST_LIMIT;
  if (options.limit !== undefined) {
    limit = Number(options.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT)
      throw new R2Error("list", "InvalidMaxKeys");
  }
  const prefix = optionalText(options, "prefix") ?? "";
  const delimiter = optionalText(options, "delimiter") || undefined;
  const startAfter = optionalText(options, "startAfter");
  const cursorText = optionalText(options, "cursor");
  const cursor = cursorText ? decodeCursor(cursorText) : undefined;
  let after = startAfter ?? null;
  if (cursor && (after === null || cursor.after > after)) after = cursor.after;
  return { limit, prefix, delimiter, after, skipPrefix: cursor?.skip };
}

/** The delimited prefix `key` falls under, if the query has a delimiter and the key contains it. */
function delimitedPrefix(key: string, query: ListQuery): string | undefined {
  if (!query.delimiter) return undefined;
  const at = key.indexOf(query.delimiter, query.prefix.length);
  return at < 0 ? undefined : key.slice(0, at + query.delimiter.length);
}

/** Runs `query` against the index, reading rows in batches. */
export function listObjects(index: ObjectIndex, query: ListQuery): ListPage {
  const objects: ObjectRecord[] = [];
  const delimitedPrefixes: string[] = [];
  let skip = query.skipPrefix;
  let after = query.after;
  let lastKey: string | null = null;
  for (;;) {
    const batch = index.objectsAfter(after, query.prefix, 1000);
    for (const record of batch) {
      after = record.key;
      if (!record.key.startsWith(query.prefix)) return finish(false);
      if (skip !== undefined && record.key.startsWith(skip)) continue;
      const group = delimitedPrefix(record.key, query);
      const full = objects.length + delimitedPrefixes.length >= query.limit;
      // One more entry exists past a full page: the page is truncated.
      if (full) return finish(true);
      if (group !== undefined) {
        delimitedPrefixes.push(group);
        skip = group;
      } else {
        objects.push(record);
        skip = undefined;
      }
      lastKey = record.key;
    }
    if (batch.length < 1000) return finish(false);
  }

  function finish(truncated: boolean): ListPage {
    const cursor =
      truncated && lastKey !== null
        ? encodeCursor(skip === undefined ? { after: lastKey } : { after: lastKey, skip })
        : undefined;
    return { objects, delimitedPrefixes, truncated, cursor };
  }
}
