// Errors that the engine raises inside a workflow (a step's timeout, a wait's timeout, an
// attempt lost to a crash). Named like Cloudflare's so that `error.name` checks keep working.

/** An attempt ran past its step's `timeout`, or a `waitForEvent` past its `timeout`. */
export class WorkflowTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkflowTimeoutError";
  }
}

/** The process died during an attempt; that attempt counts as failed (SPEC A12). */
export class WorkflowInternalError extends Error {
  constructor(message = "Attempt failed due to internal workflows error") {
    super(message);
    this.name = "WorkflowInternalError";
  }
}
