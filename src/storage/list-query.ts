// What both adapters share to list instances: the filter as column terms, the bounds of an id
// prefix, and the list cursor. A cursor is the (created_at, seq) of a page's last instance, so
// the next page starts right after it whatever was created or deleted meanwhile.

import { WorkflowsError } from "../errors.js";
import type { InstanceFilter } from "./types.js";

export type FilterTerm =
  | { kind: "compare"; column: "workflow" | "status" | "created_at"; op: "=" | ">=" | "<="; value: unknown }
  | { kind: "prefix"; value: string };

/** The filter's terms in a fixed order (workflow first, so every index that leads with it serves). */
export function filterTerms(filter: InstanceFilter): FilterTerm[] {
  const terms: FilterTerm[] = [{ kind: "compare", column: "workflow", op: "=", value: filter.workflow }];
  if (filter.status) terms.push({ kind: "compare", column: "status", op: "=", value: filter.status });
  if (filter.createdFrom !== undefined) {
    terms.push({ kind: "compare", column: "created_at", op: ">=", value: filter.createdFrom });
  }
  if (filter.createdTo !== undefined) {
    terms.push({ kind: "compare", column: "created_at", op: "<=", value: filter.createdTo });
  }
  if (filter.idPrefix) terms.push({ kind: "prefix", value: filter.idPrefix });
  return terms;
}

/** Ids starting with `prefix` are those in [low, high) in binary order. */
export function prefixBounds(prefix: string): [string, string] {
  return [prefix, `${prefix}\uffff`];
}

/** The cursor of a page that ended on the instance created at `createdAt` with `seq`. */
export function encodeListCursor(createdAt: number, seq: number): string {
  return Buffer.from(`${createdAt}:${seq}`).toString("base64url");
}

/** Reads a cursor made by `encodeListCursor`; anything else is `query.invalid`. */
export function decodeListCursor(cursor: string): { createdAt: number; seq: number } {
  const text = Buffer.from(cursor, "base64url").toString();
  const match = /^(-?\d{1,16}):(\d{1,16})$/.exec(text);
  if (!match) {
    throw new WorkflowsError(
      "query.invalid",
      `the list cursor ${JSON.stringify(cursor.slice(0, 80))} is not one this store returned`,
    );
  }
  return { createdAt: Number(match[1]), seq: Number(match[2]) };
}
