// How one step of an instance reads in describe's step table: its type as the workflow code
// calls it (do, sleep, waitForEvent), a status with a symbol, its error and its output; and
// which attempts are worth their own table.

import type { DoStep, ErrorInfo, InstanceStep, StepAttempt } from "../wire-types.js";
import type { Colours } from "./colour.js";
import { compactJson } from "./text.js";
import { formatRelative, toMs } from "./time.js";

/** The type as the workflow code calls it: `step.do` is "do"; a rollback handler is "rollback". */
export function stepTypeLabel(step: InstanceStep): string {
  if (step.type === "step") return step.rollback_of ? "rollback" : "do";
  return step.type;
}

export function formatError(error: ErrorInfo | undefined): string {
  if (!error) return "";
  const name = error.name ?? "Error";
  return error.message ? `${name}: ${error.message}` : name;
}

function lastAttempt(step: DoStep): StepAttempt | undefined {
  return step.attempts?.[step.attempts.length - 1];
}

/** True while a `do` step waits to run again after a failed attempt. */
export function isRetrying(step: DoStep): boolean {
  return (step.success ?? null) === null && lastAttempt(step)?.success === false;
}

/**
 * "✅ complete", "❌ errored", "🔄 retrying in 2 s", "▶ running", "💤 sleeping", "👀 waiting", …
 * (`now` places a retry in time).
 */
export function stepStatus(step: InstanceStep, colours: Colours, now: number): string {
  switch (step.type) {
    case "step": {
      if (step.success === true) return `✅ ${colours.green("complete")}`;
      if (step.success === false) return `❌ ${colours.red("errored")}`;
      if (!isRetrying(step)) return `▶ ${colours.cyan("running")}`;
      const at = toMs(step.retry_at);
      return `🔄 ${colours.yellow("retrying")}${at === null ? "" : ` ${formatRelative(at, now)}`}`;
    }
    case "sleep":
      if (step.error) return `❌ ${colours.red("errored")}`;
      return step.finished ? `✅ ${colours.green("complete")}` : `💤 ${colours.blue("sleeping")}`;
    case "waitForEvent":
      if (step.output) return `✅ ${colours.green("received")}`;
      if (step.error?.name === "WorkflowTimeoutError" || (step.finished && !step.error))
        return `⌛ ${colours.yellow("timed out")}`;
      if (step.error) return `❌ ${colours.red("errored")}`;
      return `👀 ${colours.blue("waiting")}`;
    case "termination":
      return `🚫 ${colours.magenta("terminated")}`;
    default:
      return "❓ unknown";
  }
}

/** The error a step's row shows: the last failed attempt's for `do`, the step's own otherwise. */
export function stepError(step: InstanceStep): string {
  if (step.type === "step") {
    if (step.success === true) return "";
    const failed = [...(step.attempts ?? [])].reverse().find((a) => a.success === false);
    return formatError(failed?.error);
  }
  if (step.type === "termination") return "";
  return formatError(step.error);
}

/** A step's output as one line of JSON ("" when it has none yet). */
export function stepOutput(step: InstanceStep): string {
  if (step.type === "step") return step.success === true ? compactJson(step.output) : "";
  if (step.type === "waitForEvent") return step.output ? compactJson(step.output) : "";
  return "";
}

/** Whether a `do` step's attempts get their own table: more than one, or one that did not succeed. */
export function attemptsWorthShowing(step: InstanceStep): step is DoStep {
  if (step.type !== "step") return false;
  const attempts = step.attempts ?? [];
  return attempts.length > 1 || attempts.some((a) => a.success !== true);
}

/** "limit 3, delay 100, constant" from a step's config; "" without one. */
export function retriesSummary(step: DoStep): string {
  const retries = step.config?.retries;
  if (!retries) return "";
  const parts: string[] = [];
  if (retries.limit !== undefined) parts.push(`limit ${retries.limit}`);
  if (retries.delay !== undefined)
    parts.push(`delay ${typeof retries.delay === "number" ? `${retries.delay} ms` : String(retries.delay)}`);
  if (retries.backoff) parts.push(retries.backoff);
  return parts.join(", ");
}
