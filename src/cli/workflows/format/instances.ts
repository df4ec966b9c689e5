// `instances list`: one page of a workflow's instances as a table (id, status, when created,
// how long it ran, what created it), with the workflow's counts by status and a paging note.

import type { InstanceListItem } from "../wire-types.js";
import type { Colours } from "./colour.js";
import { formatStatus } from "./status.js";
import { renderTable } from "./table.js";
import { oneLine } from "./text.js";
import { formatSpan, formatWhen } from "./time.js";

export type ListOptions = { colours: Colours; now: number };

/** Newest first as the server sends them; oldest first with `reverse` (created_on order). */
export function orderInstances(items: InstanceListItem[], reverse: boolean): InstanceListItem[] {
  const sorted = [...items].sort((a, b) => (b.created_on ?? "").localeCompare(a.created_on ?? ""));
  return reverse ? sorted.reverse() : sorted;
}

export function renderInstanceList(items: InstanceListItem[], options: ListOptions): string {
  const { colours, now } = options;
  const rows = items.map((item) => [
    oneLine(item.id),
    formatStatus(item.status, colours),
    formatWhen(item.created_on, now),
    item.started_on ? formatSpan(item.started_on, item.ended_on, now) : "-",
    oneLine(item.trigger_source ?? "-"),
  ]);
  return renderTable(["ID", "STATUS", "CREATED", "DURATION", "TRIGGER"], rows, { colours });
}
