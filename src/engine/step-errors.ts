// Errors that the engine raises inside a workflow (a step's timeout, a wait's timeout, an
// attempt lost to a crash, a stream that cannot be stored, the state limit). The timeout and
// internal errors are named like Cloudflare's so that `error.name` checks keep working.

import { WorkflowsError } from "../errors.js";

/** An attempt ran past its step's `timeout`, or a `waitForEvent` past its `timeout`. */
export class WorkflowTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkflowTimeoutError";
  }
}

/**
 * The process died during an attempt. That attempt counts as failed, so a step that kills the
 * process every time runs out of retries and ends in errored instead of looping forever.
 */
export class WorkflowInternalError extends Error {
  constructor(message = "Attempt failed due to internal workflows error") {
    super(message);
    this.name = "WorkflowInternalError";
  }
}

/** A stream result that cannot be stored faithfully: fails the instance, not just the attempt. */
export class StreamResultError extends WorkflowsError {
  constructor(message: string) {
    super("step.invalid_stream", message);
    this.name = "StreamResultError";
  }
}

/**
 * The instance would hold more than `maxInstanceStateBytes`: fails the instance at once. Its
 * `name` stays "StreamResultError", the name stored with (and shown for) instances that failed
 * this way before the two errors were told apart.
 */
export class StateLimitError extends WorkflowsError {
  constructor(message: string) {
    super("instance.state_limit_exceeded", message);
    this.name = "StreamResultError";
  }
}

/** True for the errors that fail the instance rather than the attempt. */
export function failsInstance(error: unknown): boolean {
  return error instanceof StreamResultError || error instanceof StateLimitError;
}
