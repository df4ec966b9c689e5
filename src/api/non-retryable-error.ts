// `NonRetryableError` as `cloudflare:workflows` exports it: thrown from a step callback it stops
// that step's retries; uncaught, the instance ends `errored` with the name and message kept.

/**
 * An error that a step does not retry.
 * @example
 * await step.do("charge", async () => { if (declined) throw new NonRetryableError("card declined") })
 */
export class NonRetryableError extends Error {
  constructor(message: string, name = "NonRetryableError") {
    super(message);
    this.name = name;
  }
}

/** True when an error should stop retries: by class, or by name after crossing a boundary. */
export function isNonRetryable(error: unknown): boolean {
  if (error instanceof NonRetryableError) return true;
  if (typeof error !== "object" || error === null) return false;
  const { name, message } = error as { name?: unknown; message?: unknown };
  return (
    name === "NonRetryableError" || (typeof message === "string" && message.startsWith("NonRetryableError"))
  );
}
