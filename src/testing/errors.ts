// The errors of cairn/testing's introspection. Where Cloudflare's `cloudflare:test` helpers throw
// a message that its tests check, Cairn throws the same text word for word (without the usual
// "(code) " prefix), so that a test written for Cloudflare passes unchanged; `code` still tells
// each error apart. Every other message names the value and what was expected.

import { describeValue } from "../engine/validate.js";
import { type ErrorCode, WorkflowsError } from "../errors.js";

/** An error of `introspectWorkflow`, `introspectWorkflowInstance` and what they return. */
export class IntrospectionError extends WorkflowsError {
  constructor(code: ErrorCode, message: string, options: { verbatim?: boolean } = {}) {
    super(code, message);
    this.name = "IntrospectionError";
    // Cloudflare's own wording, kept exactly: tests compare it.
    if (options.verbatim) this.message = message;
  }
}

/** Cloudflare's messages, word for word. */
export const cloudflare = {
  required: () =>
    new IntrospectionError(
      "introspection.invalid_argument",
      "[WorkflowIntrospector] Workflow binding and instance id are required.",
      { verbatim: true },
    ),
  sessionExists: (workflow: string, binding: string) =>
    new IntrospectionError(
      "introspection.session_exists",
      `Workflow ${JSON.stringify(workflow)} already has an active introspection session for binding ${JSON.stringify(binding)}.`,
      { verbatim: true },
    ),
  noSession: (workflow: string) =>
    new IntrospectionError(
      "introspection.no_session",
      `Workflow ${JSON.stringify(workflow)} does not have an active introspection session for this introspector.`,
      { verbatim: true },
    ),
  mockedTwice: (step: string) =>
    new IntrospectionError(
      "introspection.mock_conflict",
      `[WorkflowIntrospector] Trying to mock step '${step}' multiple times!`,
      { verbatim: true },
    ),
  errorAfterResult: (step: string) =>
    new IntrospectionError(
      "introspection.mock_conflict",
      `[WorkflowIntrospector] Trying to mock error on step '${step}' after mocking its result!`,
      { verbatim: true },
    ),
  timeoutAfterResult: (step: string) =>
    new IntrospectionError(
      "introspection.mock_conflict",
      `[WorkflowIntrospector] Trying to force timeout on step '${step}' after mocking its result!`,
      { verbatim: true },
    ),
  unreachable: (id: string, reached: string, expected: string) =>
    new IntrospectionError(
      "introspection.unreachable_status",
      `[WorkflowIntrospector] The Workflow instance ${id} has reached status '${reached}'. This is a finite status that prevents it from ever reaching the expected status of '${expected}'.`,
      { verbatim: true },
    ),
  noOutput: (status: string) =>
    new IntrospectionError(
      "introspection.wrong_status",
      `Cannot retrieve output: Workflow instance is in status "${status}" but must be "complete" to have an output available`,
      { verbatim: true },
    ),
  noError: (status: string) =>
    new IntrospectionError(
      "introspection.wrong_status",
      `Cannot retrieve error: Workflow instance is in status "${status}" but must be "errored" to have error information available`,
      { verbatim: true },
    ),
  disposed: () =>
    new IntrospectionError("introspection.disposed", "Workflow instance introspector has been disposed.", {
      verbatim: true,
    }),
  lockedStream: () =>
    new IntrospectionError(
      "introspection.invalid_argument",
      "Workflow mockStepResult() received a locked or unreadable ReadableStream.",
      { verbatim: true },
    ),
  badChunk: () =>
    new IntrospectionError(
      "introspection.invalid_argument",
      "Workflow mockStepResult() ReadableStream chunks must be ArrayBuffer or TypedArray values.",
      { verbatim: true },
    ),
};

/** An argument that is not what a helper takes: names the helper, what it takes and what it got. */
export function invalidArgument(what: string, expected: string, got: unknown): IntrospectionError {
  return new IntrospectionError(
    "introspection.invalid_argument",
    `${what} must be ${expected}, got ${describeValue(got)}`,
  );
}
