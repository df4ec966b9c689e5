// The `ctx` handed to fetch and scheduled handlers. `waitUntil` keeps a promise's work alive past
// the response: the host tracks it, logs its failure, and lets it finish before shutting down
// (within the grace period), so an instance created just before a redirect is still created.

import type { ExecutionContext } from "../api/types.js";

/** Promises passed to `waitUntil` that have not settled yet. */
export class WaitUntilTracker {
  private readonly pending = new Set<Promise<unknown>>();
  private readonly onError: (error: unknown) => void;

  constructor(onError: (error: unknown) => void) {
    this.onError = onError;
  }

  track(promise: Promise<unknown>): void {
    const settled: Promise<unknown> = Promise.resolve(promise)
      .catch((error) => this.onError(error))
      .finally(() => this.pending.delete(settled));
    this.pending.add(settled);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Resolves when every tracked promise settled, or after `timeoutMs`. */
  async settle(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    const all = (async () => {
      while (this.pending.size > 0) await Promise.all([...this.pending]);
    })();
    await Promise.race([all, timeout]);
    clearTimeout(timer);
  }
}

/** What a handler's `ctx` carries besides waitUntil: its binding's props and the module's loopbacks. */
export type ContextExtras = {
  /** `ctx.props`: set by the service binding that called this entrypoint (else `{}`). */
  props?: unknown;
  /** `ctx.exports`, built when first read: a loopback binding per entrypoint of the module. */
  exports?: () => Record<string, unknown>;
};

export type WorkerExecutionContext = ExecutionContext & { readonly exports: Record<string, unknown> };

export function createExecutionContext(
  tracker: WaitUntilTracker,
  extras: ContextExtras = {},
): WorkerExecutionContext {
  let exports: Record<string, unknown> | undefined;
  return {
    waitUntil: (promise) => tracker.track(promise),
    passThroughOnException: () => {},
    props: extras.props ?? {},
    get exports() {
      exports ??= extras.exports?.() ?? {};
      return exports;
    },
  };
}
