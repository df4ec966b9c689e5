// Checks the arguments of the binding's operations that carry more than an id: create options
// (id, params, retention), batches, and restart's `from` step. Each failure names the value.

import { randomUUID } from "node:crypto";
import type { WorkflowInstanceCreateOptions } from "../api/types.js";
import { WorkflowsError } from "../errors.js";
import type { NewInstance, StepKind, TriggerSource } from "../storage/types.js";
import { parseDuration } from "./duration.js";
import { describeValue, validateInstanceId } from "./validate.js";
import { encodeValue } from "./values.js";

/** Most instances one createBatch or deleteBatch call takes. */
export const MAX_BATCH = 100;

/** The row `create` writes for one set of options (a random id when none is given). */
export function newInstance(
  workflow: string,
  options: WorkflowInstanceCreateOptions | undefined,
  retention: { successMs: number; errorMs: number },
  trigger: TriggerSource,
): NewInstance {
  if (options !== undefined && (typeof options !== "object" || options === null || Array.isArray(options))) {
    throw new WorkflowsError(
      "instance.invalid_options",
      `create options must be an object { id?, params?, retention? }, got ${describeValue(options)}`,
    );
  }
  const id = options?.id === undefined ? randomUUID() : validateInstanceId(options.id);
  const params = encodeValue(
    options?.params ?? {},
    `the params of instance "${id}"`,
    "instance.params_too_large",
  );
  const r = options?.retention;
  const ms = (value: unknown, field: string, fallback: number) =>
    value === undefined ? fallback : parseDuration(value, `retention.${field}`, "instance.invalid_options");
  return {
    workflow,
    id,
    params,
    trigger,
    successRetentionMs: ms(r?.successRetention, "successRetention", retention.successMs),
    errorRetentionMs: ms(r?.errorRetention, "errorRetention", retention.errorMs),
  };
}

/** Checks that a createBatch argument is an array of 1 to MAX_BATCH entries. */
export function validateBatch(batch: unknown): void {
  if (!Array.isArray(batch)) {
    throw new WorkflowsError("batch.invalid", `createBatch needs an array, got ${describeValue(batch)}`);
  }
  if (batch.length === 0) throw new WorkflowsError("batch.invalid", "createBatch needs at least 1 instance");
  if (batch.length > MAX_BATCH) {
    throw new WorkflowsError(
      "batch.invalid",
      `createBatch got ${batch.length} instances; the limit is ${MAX_BATCH}`,
    );
  }
}

const STEP_TYPES = ["do", "sleep", "waitForEvent"] as const;

/** Reads restart's `{ from: { name, count?, type? } }` into the journal key it names. */
export function restartTarget(from: unknown): { kind: StepKind; name: string; count: number } {
  const f = from as { name?: unknown; count?: unknown; type?: unknown } | null;
  const bad = (what: string) =>
    new WorkflowsError(
      "instance.invalid_options",
      `restart({ from }) needs ${what}, got ${describeValue(from)}`,
    );
  if (typeof f !== "object" || f === null) throw bad("{ name, count?, type? }");
  if (typeof f.name !== "string" || f.name.length === 0) throw bad("a step name");
  const count = f.count ?? 1;
  if (typeof count !== "number" || !Number.isInteger(count) || count < 1)
    throw bad("count as an integer ≥ 1");
  const kind = f.type ?? "do";
  if (!STEP_TYPES.includes(kind as never)) throw bad('type "do", "sleep" or "waitForEvent"');
  return { kind: kind as (typeof STEP_TYPES)[number], name: f.name, count };
}
