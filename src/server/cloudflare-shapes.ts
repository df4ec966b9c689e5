// Cairn's read views in Cloudflare's JSON shapes: workflows, instance list items (the explorer's
// and the REST API's), and instance details as wrangler, the explorer UI and production clients
// read them (steps always an array, `attempts` always an array on `step` entries, step names with
// their `-<count>` suffix). Times are ISO strings.

import { createHash } from "node:crypto";
import type {
  InstanceDetail,
  InstanceSummary,
  StatusCounts,
  StepView,
  StoredStatus,
  WorkflowSummary,
} from "../inspect/types.js";

/** The statuses Cloudflare reports, every one present (zero-filled) in a workflow's counts. */
export const CF_STATUSES: readonly StoredStatus[] = [
  "queued",
  "running",
  "paused",
  "errored",
  "terminated",
  "complete",
  "waiting",
  "waitingForPause",
];

export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

/** A stable UUID-shaped id derived from text (workflows and their one version have no stored id). */
export function stableId(text: string): string {
  const h = createHash("sha256").update(text).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const workflowId = (name: string) => stableId(`workflow:${name}`);
export const versionId = (name: string) => stableId(`version:${name}`);

export function zeroFilled(counts: StatusCounts): Record<string, number> {
  const out: Record<string, number> = {};
  for (const status of CF_STATUSES) out[status] = counts[status] ?? 0;
  return out;
}

/** What every workflow shape shares. */
export type WorkflowContext = { scriptName: string; since: number };

/** A workflow as the explorer lists it. */
export function explorerWorkflow(w: WorkflowSummary, ctx: WorkflowContext) {
  return { name: w.name, class_name: w.className ?? w.binding, script_name: ctx.scriptName };
}

/** A workflow as the REST API answers it. */
export function restWorkflow(w: WorkflowSummary, ctx: WorkflowContext, triggeredOn: number | null) {
  return {
    id: workflowId(w.name),
    name: w.name,
    script_name: ctx.scriptName,
    class_name: w.className ?? w.binding,
    binding: w.binding,
    created_on: iso(ctx.since),
    modified_on: iso(ctx.since),
    triggered_on: iso(triggeredOn),
    instances: zeroFilled(w.counts),
  };
}

/** The one version every workflow has (Cairn runs the code it was given, unversioned). */
export function restVersion(w: WorkflowSummary, ctx: WorkflowContext, stepLimit: number | null) {
  return {
    id: versionId(w.name),
    workflow_id: workflowId(w.name),
    class_name: w.className ?? w.binding,
    created_on: iso(ctx.since),
    modified_on: iso(ctx.since),
    has_dag: false,
    language: "javascript",
    limits: stepLimit === null ? {} : { steps: stepLimit },
  };
}

/** An instance as the explorer lists it. */
export function explorerListItem(i: InstanceSummary) {
  return {
    id: i.id,
    status: i.status,
    created_on: iso(i.createdAt),
    modified_on: iso(i.updatedAt),
  };
}

/** An instance as the REST API lists it. */
export function restListItem(i: InstanceSummary) {
  return {
    id: i.id,
    status: i.status,
    version_id: versionId(i.workflow),
    workflow_id: workflowId(i.workflow),
    created_on: iso(i.createdAt),
    modified_on: iso(i.updatedAt),
    started_on: iso(i.startedAt),
    ended_on: iso(i.endedAt),
    trigger_source: i.trigger,
  };
}

/** A step's name as Cloudflare shows it: the name and the call count. */
export function stepName(step: Pick<StepView, "name" | "count">): string {
  return `${step.name}-${step.count}`;
}

/** Output for a step whose result is a stream: read it in full from the step output route. */
export const STREAM_OUTPUT = "[ReadableStream]";

function stepShape(step: StepView): Record<string, unknown> {
  const base = { name: stepName(step), start: iso(step.startedAt), end: iso(step.endedAt) };
  switch (step.type) {
    case "sleep":
      return { ...base, type: "sleep", finished: step.status === "succeeded", error: null };
    case "waitForEvent":
      return {
        ...base,
        type: "waitForEvent",
        finished: step.status === "succeeded" || step.status === "failed",
        error: step.error ? { name: step.error.name, message: step.error.message } : null,
        output: step.event
          ? { type: step.event.type, payload: step.event.payload, timestamp: iso(step.event.sentAt) }
          : null,
      };
    case "termination":
      // Who terminated is not recorded: the binding and the API end an instance alike.
      return { type: "termination", trigger: { source: "unknown" }, start: base.start, end: base.end };
    default: {
      const out: Record<string, unknown> = {
        ...base,
        type: "step",
        success: step.status === "succeeded" ? true : step.status === "failed" ? false : null,
        config: step.config ?? null,
        attempts: step.attempts.map((a) => ({
          start: iso(a.startedAt),
          end: iso(a.endedAt),
          success: a.success,
          error: a.error ? { name: a.error.name, message: a.error.message } : null,
        })),
        error: step.error ? { name: step.error.name, message: step.error.message } : null,
      };
      if (step.type === "rollback") {
        out.name = `rollback: ${base.name}`;
        out.rollback_of = step.rollbackOf ?? null;
      }
      if (step.stream) out.output = STREAM_OUTPUT;
      else if (step.output !== undefined) out.output = step.output;
      if (step.wakeAt !== null && step.status === "retrying") out.retry_at = iso(step.wakeAt);
      return out;
    }
  }
}

/** An instance in full: the superset wrangler, the explorer UI and production clients all read. */
export function instanceDetails(d: InstanceDetail) {
  const steps = d.steps.map(stepShape);
  return {
    id: d.id,
    status: d.status,
    params: d.params ?? null,
    trigger: { source: d.trigger },
    versionId: versionId(d.workflow),
    queued: iso(d.createdAt),
    start: iso(d.startedAt),
    end: iso(d.endedAt),
    modified_on: iso(d.updatedAt),
    success: d.status === "complete" ? true : d.status === "errored" ? false : null,
    output: d.output ?? null,
    error: d.error ? { name: d.error.name, message: d.error.message } : null,
    ...(d.status === "waiting" ? { wake_at: iso(d.wakeAt ?? null), waiting_for: d.waitingFor ?? [] } : {}),
    ...(d.rollback ? { rollback: d.rollback } : {}),
    step_count: steps.length,
    steps,
  };
}
