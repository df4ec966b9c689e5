// `instances describe`: an instance's details as a person reads them — the labelled facts
// (status, times, error, params, output), a table of its steps, and a table of attempts for
// each step that retried or is still trying. Pure: it takes the server's answer and `now`.

import type { InstanceDetails, InstanceStep } from "../wire-types.js";
import type { Colours } from "./colour.js";
import { formatStatus } from "./status.js";
import {
  attemptsWorthShowing,
  formatError,
  retriesSummary,
  stepError,
  stepOutput,
  stepStatus,
  stepTypeLabel,
} from "./steps.js";
import { type Column, renderFields, renderTable } from "./table.js";
import { compactJson, oneLine, truncate } from "./text.js";
import { formatSpan, formatWhen } from "./time.js";

export type DescribeOptions = {
  workflow: string;
  id: string;
  colours: Colours;
  now: number;
  /** Show step outputs (the OUTPUT column); --step-output. */
  stepOutput: boolean;
  /** Characters of each output (and params) shown; --truncate-output-limit. */
  outputLimit: number;
};

/** Errors in the step table are cut at this many characters; the attempts table has them whole. */
const ERROR_CELL_LIMIT = 100;

function lastSuccessfulStep(steps: InstanceStep[]): string {
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i]!;
    if (step.type === "step" && step.success === true && !step.rollback_of) return step.name;
    if (step.type === "sleep" && step.finished && step.end) return step.name;
  }
  return "";
}

function header(details: InstanceDetails, options: DescribeOptions): string {
  const { colours, now } = options;
  const steps = details.steps ?? [];
  const fields: [string, string][] = [["Status", formatStatus(details.status, colours)]];
  if (details.trigger?.source) fields.push(["Trigger", oneLine(details.trigger.source)]);
  if (details.versionId) fields.push(["Version", oneLine(details.versionId)]);
  fields.push(["Queued", formatWhen(details.queued, now)]);
  fields.push(["Started", formatWhen(details.start, now)]);
  fields.push(["Ended", formatWhen(details.end, now)]);
  fields.push(["Duration", formatSpan(details.start, details.end, now)]);
  if (details.waiting_for && details.waiting_for.length > 0)
    fields.push(["Waiting for", oneLine(`event ${details.waiting_for.map((t) => `"${t}"`).join(", ")}`)]);
  if (details.wake_at !== undefined)
    fields.push(["Wakes", details.wake_at ? formatWhen(details.wake_at, now) : "when an event arrives"]);
  if (details.rollback)
    fields.push([
      "Rollback",
      oneLine(`${details.rollback.state ?? "?"} (after ${details.rollback.reason ?? "?"})`),
    ]);
  const last = lastSuccessfulStep(steps);
  if (last) fields.push(["Last success", oneLine(last)]);
  if (details.error) fields.push(["Error", colours.red(oneLine(formatError(details.error)))]);
  fields.push(["Params", oneLine(truncate(compactJson(details.params ?? null), options.outputLimit))]);
  if (details.output !== undefined && details.output !== null)
    fields.push(["Output", oneLine(truncate(compactJson(details.output), options.outputLimit))]);
  const title = `Instance ${colours.bold(oneLine(options.id))} of workflow ${colours.bold(oneLine(options.workflow))}`;
  return `${title}\n${renderFields(fields, { colours, indent: 2 })}`;
}

function stepRow(step: InstanceStep, index: number, options: DescribeOptions): string[] {
  const { colours, now } = options;
  const source = step.type === "termination" ? step.trigger?.source : undefined;
  const name = step.type !== "termination" ? step.name : source && source !== "unknown" ? `by ${source}` : "";
  const finished = step.type === "sleep" || step.type === "waitForEvent" ? step.finished : true;
  const row = [
    String(index + 1),
    stepTypeLabel(step),
    oneLine(name),
    stepStatus(step, colours, now),
    formatWhen(step.start, now),
    // An unfinished sleep's end is when it wakes, not when it ended; a termination is a moment.
    step.type === "termination"
      ? ""
      : finished
        ? formatSpan(step.start, step.end, now)
        : formatSpan(step.start, null, now),
    step.type === "step" ? String(step.attempts?.length ?? 0) : "",
    colours.red(oneLine(truncate(stepError(step), ERROR_CELL_LIMIT))),
  ];
  if (options.stepOutput) row.push(oneLine(truncate(stepOutput(step), options.outputLimit)));
  return row;
}

function stepsTable(steps: InstanceStep[], options: DescribeOptions): string {
  const columns: Column[] = [
    { header: "#", align: "right" },
    { header: "TYPE" },
    { header: "NAME" },
    { header: "STATUS" },
    { header: "START" },
    { header: "DURATION" },
    { header: "ATTEMPTS", align: "right" },
    { header: "ERROR" },
  ];
  if (options.stepOutput) columns.push({ header: "OUTPUT" });
  const rows = steps.map((step, i) => stepRow(step, i, options));
  return renderTable(columns, rows, { colours: options.colours, indent: 2 });
}

function attemptsTables(steps: InstanceStep[], options: DescribeOptions): string[] {
  const { colours, now } = options;
  return steps.filter(attemptsWorthShowing).map((step) => {
    const retries = retriesSummary(step);
    const title = `Attempts of ${colours.bold(oneLine(step.name))}${retries ? colours.dim(` (retries: ${retries})`) : ""}`;
    const rows = (step.attempts ?? []).map((attempt, i) => [
      String(i + 1),
      formatWhen(attempt.start, now),
      attempt.start ? formatSpan(attempt.start, attempt.end, now) : "-",
      attempt.success === true
        ? `✅ ${colours.green("success")}`
        : attempt.success === false
          ? `❌ ${colours.red(oneLine(formatError(attempt.error) || "failed"))}`
          : `▶ ${colours.cyan("running")}`,
    ]);
    const table = renderTable([{ header: "#", align: "right" }, "START", "DURATION", "RESULT"], rows, {
      colours,
      indent: 2,
    });
    return `${title}\n${table}`;
  });
}

/** The whole describe output, without a trailing newline. */
export function renderInstanceDetails(details: InstanceDetails, options: DescribeOptions): string {
  const steps = details.steps ?? [];
  const parts = [header(details, options)];
  const count = details.step_count ?? steps.length;
  if (steps.length === 0) parts.push(options.colours.dim("No steps yet."));
  else parts.push(`Steps (${count})\n${stepsTable(steps, options)}`);
  parts.push(...attemptsTables(steps, options));
  return parts.join("\n\n");
}
