// Read views of stored instances: the status as the binding reports it, the event log, the
// journal (sensitive results redacted) and a stream step's bytes. Plain functions over a Store,
// so that every surface that shows instances (the engine's methods, tools) reads them alike.

import type { InstanceStatus } from "../api/types.js";
import { WorkflowsError } from "../errors.js";
import type { InstanceRecord, LogEntry, StepRecord, Store } from "../storage/types.js";
import { validateAddressableId } from "./validate.js";
import { decodeValue, encodeValue } from "./values.js";

/** What a person or a tool reads in place of a sensitive step's result. */
export const REDACTED = "[REDACTED]";
const REDACTED_BYTES = encodeValue(REDACTED, "redacted", "step.result_too_large");

/** The error for an id that names no instance of `workflow`. */
export function notFound(workflow: string, id: string): WorkflowsError {
  return new WorkflowsError("instance.not_found", `no instance "${id}" in workflow "${workflow}"`);
}

/** The stored instance, after checking the id's shape; `instance.not_found` if there is none. */
export async function readInstance(store: Store, workflow: string, id: string): Promise<InstanceRecord> {
  validateAddressableId(id);
  const record = await store.getInstance(workflow, id);
  if (!record) throw notFound(workflow, id);
  return record;
}

/** `{ status, output? , error? }` as the binding's `instance.status()` returns it. */
export function statusOf(record: InstanceRecord): InstanceStatus {
  if (record.status === "complete") return { status: "complete", output: decodeValue(record.output) };
  if (record.status === "errored") return { status: "errored", error: { ...record.error } };
  return { status: record.status };
}

/** The instance's event log, oldest first (what the timeline and tests read). */
export async function readLog(store: Store, workflow: string, id: string): Promise<LogEntry[]> {
  const record = await readInstance(store, workflow, id);
  return store.readLog(record.seq);
}

/**
 * The instance's journal: one record per step key, in start order. Results of steps with
 * `sensitive: "output"` read "[REDACTED]" unless `{ redact: false }`, so that secrets a step
 * returns are not shown by the tools that display journals.
 */
export async function readJournal(
  store: Store,
  workflow: string,
  id: string,
  options: { redact?: boolean } = {},
): Promise<StepRecord[]> {
  const record = await readInstance(store, workflow, id);
  const journal = await store.loadJournal(record.seq);
  journal.sort((a, b) => (a.startOrder ?? 0) - (b.startOrder ?? 0));
  return options.redact === false ? journal : journal.map(redactStep);
}

/**
 * The bytes of a stream step's result, for tools that show it: "[REDACTED]" if sensitive, unless
 * `{ redact: false }` (an export that was asked to include sensitive outputs).
 */
export async function readStreamResult(
  store: Store,
  workflow: string,
  id: string,
  stepKey: string,
  options: { redact?: boolean } = {},
): Promise<Uint8Array> {
  const record = await readInstance(store, workflow, id);
  const step = (await store.loadJournal(record.seq)).find((r) => r.key === stepKey);
  if (step?.status !== "succeeded" || !step.stream) {
    throw new WorkflowsError(
      "instance.not_found",
      `instance "${id}" has no finished stream step with key "${stepKey}"`,
    );
  }
  if (isSensitive(step) && options.redact !== false) return new TextEncoder().encode(REDACTED);
  return Buffer.concat(await store.loadStreamChunks(record.seq, stepKey));
}

/** True when the step asked for its output to be hidden from tools (`sensitive: "output"`). */
export function isSensitive(step: StepRecord): boolean {
  return (step.config as { sensitive?: string } | null)?.sensitive === "output";
}

/** A journal record as tools show it: a sensitive step's result replaced by "[REDACTED]". */
export function redactStep(step: StepRecord): StepRecord {
  if (step.status !== "succeeded" || !isSensitive(step)) return step;
  return { ...step, value: REDACTED_BYTES, stream: false };
}
