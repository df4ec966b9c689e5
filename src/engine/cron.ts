// Cron expressions and the ids of the instances they create: parsing (UTC, with a clear error
// naming the workflow) and the "<cron>-<scheduledTime>" id format, read back into
// `event.schedule` when a cron-created instance runs.

import { Cron } from "croner";
import { WorkflowsError } from "../errors.js";

export const MAX_CRON_LENGTH = 256;

/** Parses a cron expression (UTC), failing with `workflow.invalid_definition` naming it. */
export function parseCron(expression: unknown, workflow: string): Cron {
  if (typeof expression !== "string" || expression.length === 0 || expression.length > MAX_CRON_LENGTH) {
    throw new WorkflowsError(
      "workflow.invalid_definition",
      `workflow "${workflow}" has a schedule ${JSON.stringify(expression)}; a schedule is a cron expression of 1 to ${MAX_CRON_LENGTH} characters`,
    );
  }
  try {
    return new Cron(expression, { paused: true, timezone: "UTC" });
  } catch (error) {
    throw new WorkflowsError(
      "workflow.invalid_definition",
      `workflow "${workflow}" has an invalid schedule "${expression}": ${(error as Error).message}`,
    );
  }
}

/** The id of the instance a cron firing creates: the expression and the firing time in ms. */
export function scheduledInstanceId(cron: string, scheduledTime: number): string {
  return `${cron}-${scheduledTime}`;
}

/** Reads `{ cron, scheduledTime }` back from a cron-created instance's id. */
export function scheduleFromId(id: string): { cron: string; scheduledTime: number } | undefined {
  const at = id.lastIndexOf("-");
  const time = Number(id.slice(at + 1));
  if (at <= 0 || !Number.isSafeInteger(time)) return undefined;
  return { cron: id.slice(0, at), scheduledTime: time };
}
