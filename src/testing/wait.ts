// Waiting on a condition with a bound, for tests and scripts: polls a cheap read until it holds
// or the time limit passes, then fails with what it last saw. Imports no test runner.

import type { InstanceStatus, InstanceStatusName, WorkflowInstance } from "../api/types.js";

export type WaitOptions = { timeoutMs?: number; intervalMs?: number };

/** Resolves with the first value of `read()` that satisfies `done`; rejects after `timeoutMs`. */
export async function waitUntil<T>(
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  options: WaitOptions & { what?: string } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 5;
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (done(last)) return last;
    if (Date.now() >= deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${options.what ?? "a condition"}; last saw ${JSON.stringify(last)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Resolves with the instance's status once it is one of `wanted`. */
export function waitForStatus(
  instance: WorkflowInstance,
  wanted: InstanceStatusName | InstanceStatusName[],
  options: WaitOptions = {},
): Promise<InstanceStatus> {
  const set = Array.isArray(wanted) ? wanted : [wanted];
  return waitUntil(
    () => instance.status(),
    (s) => set.includes(s.status),
    { ...options, what: `instance "${instance.id}" to be ${set.join(" or ")}` },
  );
}
