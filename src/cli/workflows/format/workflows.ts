// `workflows list` and `workflows describe`: the workflows a server runs, with their instances
// counted by status, as a table and as labelled facts.

import type { ResultInfo, WorkflowInfo } from "../wire-types.js";
import type { Colours } from "./colour.js";
import { formatStatus, INSTANCE_STATUSES } from "./status.js";
import { renderFields, renderTable } from "./table.js";
import { oneLine } from "./text.js";
import { formatWhen } from "./time.js";

export type RenderOptions = { colours: Colours; now: number };

/** "2 complete, 1 errored" (statuses with none left out); "none" when there are none. */
export function summariseCounts(counts: Record<string, number> | undefined): string {
  const entries = Object.entries(counts ?? {}).filter(([, n]) => n > 0);
  if (entries.length === 0) return "none";
  const order = (status: string) => {
    const i = (INSTANCE_STATUSES as readonly string[]).indexOf(status);
    return i === -1 ? INSTANCE_STATUSES.length : i;
  };
  return entries
    .sort(([a], [b]) => order(a) - order(b))
    .map(([status, n]) => `${n} ${status}`)
    .join(", ");
}

/** A note when more pages follow ("Page 1 of 3 (57 workflows); next: --page 2"); "" otherwise. */
export function pageNote(info: ResultInfo, page: number, noun: string): string {
  const total = info.total_count;
  const perPage = info.per_page;
  const pages = info.total_pages ?? (total !== undefined && perPage ? Math.ceil(total / perPage) : undefined);
  if (pages === undefined || pages <= 1) return "";
  const next = page < pages ? `; next: --page ${page + 1}` : "";
  return `Page ${page} of ${pages} (${total ?? "?"} ${noun})${next}`;
}

export function renderWorkflowList(workflows: WorkflowInfo[], options: RenderOptions): string {
  const rows = workflows.map((w) => [
    oneLine(w.name),
    oneLine(w.class_name ?? "-"),
    oneLine(w.script_name ?? "-"),
    w.triggered_on ? formatWhen(w.triggered_on, options.now) : "never",
    summariseCounts(w.instances),
  ]);
  return renderTable(["NAME", "CLASS", "SCRIPT", "LAST TRIGGERED", "INSTANCES"], rows, {
    colours: options.colours,
  });
}

export function renderWorkflow(workflow: WorkflowInfo, options: RenderOptions): string {
  const { colours, now } = options;
  const fields: [string, string][] = [
    ["Class", oneLine(workflow.class_name ?? "-")],
    ["Script", oneLine(workflow.script_name ?? "-")],
  ];
  if (workflow.id) fields.push(["Id", oneLine(workflow.id)]);
  fields.push(["Created", formatWhen(workflow.created_on, now)]);
  fields.push(["Modified", formatWhen(workflow.modified_on, now)]);
  fields.push(["Last triggered", workflow.triggered_on ? formatWhen(workflow.triggered_on, now) : "never"]);
  const counts = workflow.instances ?? {};
  // Cloudflare's statuses first (zero-filled), then any other the server reports.
  const statuses = [
    ...INSTANCE_STATUSES,
    ...Object.keys(counts).filter((s) => !INSTANCE_STATUSES.includes(s as never)),
  ];
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  const table = renderTable(
    ["STATUS", { header: "COUNT", align: "right" }],
    statuses.map((s) => [formatStatus(s, colours), String(counts[s] ?? 0)]),
    { colours, indent: 2 },
  );
  return [
    `Workflow ${colours.bold(oneLine(workflow.name))}`,
    renderFields(fields, { colours, indent: 2 }),
    "",
    `Instances (${total})`,
    table,
  ].join("\n");
}
