// The modifier that `modify(fn)` and `modifyAll(fn)` hand to `fn`: Cloudflare's
// WorkflowInstanceModifier. Each method checks its arguments, turns values into what the
// overrides keep (a result's stored bytes, a stream's chunks, an error's name and message), and
// passes one Operation on: to an instance's overrides, or to a session's recording.

import { isStreamResult } from "../engine/steps/stream-results.js";
import { validateEventType } from "../engine/validate.js";
import { encodeValue } from "../engine/values.js";
import { cloudflare, invalidArgument } from "./errors.js";
import type { MockedResult, Operation, WorkflowStepSelector } from "./overrides.js";

/**
 * What `modify` and `modifyAll` hand to their callback. Steps are selected by name and 1-based
 * occurrence (`{ name: "charge", index: 2 }` is the second `step.do("charge")`; `index` defaults to 1).
 */
export interface WorkflowInstanceModifier {
  /** Every `step.sleep`/`sleepUntil`, or the selected ones, ends at once (still journaled and logged). */
  disableSleeps(steps?: WorkflowStepSelector[]): Promise<void>;
  /** No wait between the attempts of every `step.do`, or of the selected ones. */
  disableRetryDelays(steps?: WorkflowStepSelector[]): Promise<void>;
  /** The step returns `stepResult` (any value, or a ReadableStream) without running its callback. */
  mockStepResult(step: WorkflowStepSelector, stepResult: unknown): Promise<void>;
  /** Every attempt of the step, or the next `times` attempts, throw an error with `error`'s name and message. */
  mockStepError(step: WorkflowStepSelector, error: Error, times?: number): Promise<void>;
  /** Every attempt of the step, or the next `times` attempts, time out at once. */
  forceStepTimeout(step: WorkflowStepSelector, times?: number): Promise<void>;
  /** Delivers an event, as `sendEvent` would; it is delivered again after a restart. */
  mockEvent(event: { type: string; payload: unknown }): Promise<void>;
  /** The selected `step.waitForEvent` times out at once. */
  forceEventTimeout(step: WorkflowStepSelector): Promise<void>;
}

/** Checks arguments and hands each modification to `apply`. */
export class Modifier implements WorkflowInstanceModifier {
  readonly #apply: (op: Operation) => void;

  constructor(apply: (op: Operation) => void) {
    this.#apply = apply;
  }

  async disableSleeps(steps?: WorkflowStepSelector[]): Promise<void> {
    this.#apply({ type: "disableSleeps", steps: selectors("disableSleeps", steps) });
  }

  async disableRetryDelays(steps?: WorkflowStepSelector[]): Promise<void> {
    this.#apply({ type: "disableRetryDelays", steps: selectors("disableRetryDelays", steps) });
  }

  async mockStepResult(step: WorkflowStepSelector, stepResult: unknown): Promise<void> {
    const selector = checkSelector("mockStepResult", step);
    const result = await mockedResult(selector.name, stepResult);
    this.#apply({ type: "mockStepResult", step: selector, result });
  }

  async mockStepError(step: WorkflowStepSelector, error: Error, times?: number): Promise<void> {
    const selector = checkSelector("mockStepError", step);
    this.#apply({
      type: "mockStepError",
      step: selector,
      error: errorRecord(error),
      times: checkTimes("mockStepError", times),
    });
  }

  async forceStepTimeout(step: WorkflowStepSelector, times?: number): Promise<void> {
    const selector = checkSelector("forceStepTimeout", step);
    this.#apply({ type: "forceStepTimeout", step: selector, times: checkTimes("forceStepTimeout", times) });
  }

  async mockEvent(event: { type: string; payload: unknown }): Promise<void> {
    if (typeof event !== "object" || event === null) {
      throw invalidArgument("the event given to mockEvent", "{ type, payload }", event);
    }
    const type = validateEventType(event.type);
    const payload = encodeValue(
      event.payload,
      `the payload of mocked event "${type}"`,
      "event.payload_too_large",
    );
    this.#apply({ type: "mockEvent", event: { type, payload } });
  }

  async forceEventTimeout(step: WorkflowStepSelector): Promise<void> {
    this.#apply({ type: "forceEventTimeout", step: checkSelector("forceEventTimeout", step) });
  }
}

/** Checks a step selector: `{ name: string, index?: positive integer }`. */
export function checkSelector(method: string, step: unknown): WorkflowStepSelector {
  const s = step as { name?: unknown; index?: unknown } | null;
  const ok =
    typeof s === "object" &&
    s !== null &&
    typeof s.name === "string" &&
    s.name.length > 0 &&
    (s.index === undefined || (Number.isInteger(s.index) && (s.index as number) >= 1));
  if (!ok) {
    throw invalidArgument(
      `the step selector given to ${method}`,
      "{ name: string, index?: integer ≥ 1 }",
      step,
    );
  }
  return s.index === undefined
    ? { name: s.name as string }
    : { name: s.name as string, index: s.index as number };
}

function selectors(method: string, steps: unknown): WorkflowStepSelector[] | undefined {
  if (steps === undefined) return undefined;
  if (!Array.isArray(steps)) {
    throw invalidArgument(
      `the steps given to ${method}`,
      "an array of step selectors, or nothing for all",
      steps,
    );
  }
  return steps.map((step) => checkSelector(method, step));
}

function checkTimes(method: string, times: unknown): number | undefined {
  if (times === undefined) return undefined;
  if (typeof times !== "number" || !Number.isInteger(times) || times < 1 || times > 10_000) {
    // 10,000 retries is the most a step can have, so no step makes more attempts than this.
    throw invalidArgument(
      `times given to ${method}`,
      "an integer from 1 to 10000, or nothing for every attempt",
      times,
    );
  }
  return times;
}

function errorRecord(error: unknown): { name: string; message: string } {
  const e = error as { name?: unknown; message?: unknown } | null;
  if (typeof e !== "object" || e === null || typeof e.message !== "string") {
    throw invalidArgument("the error given to mockStepError", "an Error (or { name?, message })", error);
  }
  return { name: typeof e.name === "string" && e.name.length > 0 ? e.name : "Error", message: e.message };
}

/** A result as the overrides keep it: a stream read to its end into chunks, a value as stored bytes. */
async function mockedResult(step: string, value: unknown): Promise<MockedResult> {
  if (isStreamResult(value)) return { chunks: await readChunks(value) };
  return { bytes: encodeValue(value, `the mocked result of step "${step}"`, "step.result_too_large") };
}

/** Reads a mocked stream now: its chunks must be ArrayBuffers or typed arrays (empty ones are dropped). */
async function readChunks(stream: ReadableStream<unknown>): Promise<Uint8Array[]> {
  if (stream.locked) throw cloudflare.lockedStream();
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return chunks;
      }
      const chunk = toBytes(next.value);
      if (chunk.byteLength > 0) chunks.push(chunk.slice());
    }
  } finally {
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  throw cloudflare.badChunk();
}
