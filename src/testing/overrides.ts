// The test overrides of one instance, as the modifier methods record them and the engine's step
// kinds ask them (StepOverrides). Steps are selected by name and 1-based occurrence, like the
// engine's step keys. The rules are Cloudflare's: per attempt a mocked error comes first, then a
// forced timeout, then a mocked result; errors and timeouts with `times` take the next attempt
// numbers of a per-step counter they share; no mocking a step twice, and no error or timeout
// after its result. Every value is kept as stored bytes (or chunks), so each use gets a fresh copy.

import type { AttemptOverride, MockedEvent, StepOverrides } from "../engine/engine.js";
import { decodeValue } from "../engine/values.js";
import type { ErrorRecord } from "../storage/types.js";
import { cloudflare } from "./errors.js";

/** A step chosen by name and occurrence (1-based, default 1), as Cloudflare selects steps. */
export type WorkflowStepSelector = { name: string; index?: number };

/** A mocked `step.do` result: a value's stored bytes, or a stream's chunks. */
export type MockedResult = { bytes: Uint8Array } | { chunks: Uint8Array[] };

/** One modification, its arguments checked and its values already converted to bytes. */
export type Operation =
  | { type: "disableSleeps"; steps: WorkflowStepSelector[] | undefined }
  | { type: "disableRetryDelays"; steps: WorkflowStepSelector[] | undefined }
  | { type: "mockStepResult"; step: WorkflowStepSelector; result: MockedResult }
  | { type: "mockStepError"; step: WorkflowStepSelector; error: ErrorRecord; times: number | undefined }
  | { type: "forceStepTimeout"; step: WorkflowStepSelector; times: number | undefined }
  | { type: "mockEvent"; event: { type: string; payload: Uint8Array } }
  | { type: "forceEventTimeout"; step: WorkflowStepSelector };

type Failures<T> = { always: T | undefined; byAttempt: Map<number, T> };

const keyOf = (name: string, count: number) => `${count}\u0000${name}`;
const selected = (step: WorkflowStepSelector) => keyOf(step.name, step.index ?? 1);

/** The overrides of one instance. */
export class InstanceOverrides implements StepOverrides {
  #version = 0;
  #allSleeps = false;
  readonly #sleeps = new Set<string>();
  #allRetryDelays = false;
  readonly #retryDelays = new Set<string>();
  readonly #results = new Map<string, MockedResult>();
  readonly #errors = new Map<string, Failures<ErrorRecord>>();
  readonly #timeouts = new Map<string, Failures<true>>();
  /** The next attempt number a mocked error or forced timeout with `times` takes, per step. */
  readonly #nextAttempt = new Map<string, number>();
  readonly #eventTimeouts = new Set<string>();
  readonly #events: MockedEvent[] = [];
  readonly #operations: Operation[] = [];

  get version(): number {
    return this.#version;
  }

  get events(): readonly MockedEvent[] {
    return this.#events;
  }

  // ---- what the step kinds ask -----------------------------------------------------------------

  sleepDisabled(name: string, count: number): boolean {
    return this.#allSleeps || this.#sleeps.has(keyOf(name, count));
  }

  retryDelayDisabled(name: string, count: number): boolean {
    return this.#allRetryDelays || this.#retryDelays.has(keyOf(name, count));
  }

  attempt(name: string, count: number, attempt: number): AttemptOverride | undefined {
    const key = keyOf(name, count);
    const errors = this.#errors.get(key);
    const error = errors?.always ?? errors?.byAttempt.get(attempt);
    if (error) return { kind: "error", error: { ...error } };
    const timeouts = this.#timeouts.get(key);
    if (timeouts?.always || timeouts?.byAttempt.has(attempt)) return { kind: "timeout" };
    const result = this.#results.get(key);
    if (!result) return undefined;
    return { kind: "result", value: "bytes" in result ? decodeValue(result.bytes) : streamOf(result.chunks) };
  }

  eventTimeoutForced(name: string, count: number): boolean {
    return this.#eventTimeouts.has(keyOf(name, count));
  }

  // ---- modifications ---------------------------------------------------------------------------

  /**
   * Applies one modification; `now` is the time a mocked event is sent at. Throws Cloudflare's
   * errors for a step mocked twice, or given an error or a timeout after its result.
   */
  apply(op: Operation, now: number): void {
    switch (op.type) {
      case "disableSleeps":
        if (op.steps === undefined) this.#allSleeps = true;
        else for (const step of op.steps) this.#sleeps.add(selected(step));
        break;
      case "disableRetryDelays":
        if (op.steps === undefined) this.#allRetryDelays = true;
        else for (const step of op.steps) this.#retryDelays.add(selected(step));
        break;
      case "mockStepResult":
        if (this.#results.has(selected(op.step))) throw cloudflare.mockedTwice(op.step.name);
        this.#results.set(selected(op.step), op.result);
        break;
      case "mockStepError":
        if (this.#results.has(selected(op.step))) throw cloudflare.errorAfterResult(op.step.name);
        this.#fail(this.#errors, op.step, op.times, op.error);
        break;
      case "forceStepTimeout":
        if (this.#results.has(selected(op.step))) throw cloudflare.timeoutAfterResult(op.step.name);
        this.#fail(this.#timeouts, op.step, op.times, true);
        break;
      case "mockEvent":
        this.#events.push({ ...op.event, sentAt: now });
        break;
      case "forceEventTimeout":
        this.#eventTimeouts.add(selected(op.step));
        break;
    }
    this.#operations.push(op);
    this.#version += 1;
  }

  /** A copy with the same modifications (mocked events re-sent at `now`). */
  copy(now: number): InstanceOverrides {
    const copy = new InstanceOverrides();
    for (const op of this.#operations) copy.apply(op, now);
    return copy;
  }

  /** The modifications made so far, in order. */
  get operations(): readonly Operation[] {
    return this.#operations;
  }

  /** Every attempt (`times` undefined) or the next `times` attempt numbers of the step fail. */
  #fail<T>(
    table: Map<string, Failures<T>>,
    step: WorkflowStepSelector,
    times: number | undefined,
    failure: T,
  ): void {
    const key = selected(step);
    let entry = table.get(key);
    if (!entry) {
      entry = { always: undefined, byAttempt: new Map() };
      table.set(key, entry);
    }
    if (times === undefined) {
      entry.always = failure;
      return;
    }
    const first = this.#nextAttempt.get(key) ?? 1;
    for (let attempt = first; attempt < first + times; attempt += 1) entry.byAttempt.set(attempt, failure);
    this.#nextAttempt.set(key, first + times);
  }
}

/** A fresh stream over mocked chunks (each read gets its own copies). */
export function streamOf(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk.slice());
      controller.close();
    },
  });
}
