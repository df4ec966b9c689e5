// Test helper: promises a test opens by hand. A workflow step awaits `gates.get(key).wait()`
// so the test decides when the step finishes, and `arrivals` tells it how many attempts reached
// the gate; this replaces timing guesses with explicit hand-offs between test and workflow.

import { waitUntil } from "cairn/testing";

export class Gate {
  arrivals = 0;
  #opened = false;
  #waiters: (() => void)[] = [];

  /** Resolves once the gate is open (at once if it already is). Counts the arrival. */
  wait(): Promise<void> {
    this.arrivals += 1;
    if (this.#opened) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  open(): void {
    this.#opened = true;
    for (const resolve of this.#waiters.splice(0)) resolve();
  }

  /** Resolves once at least `n` callers reached the gate. */
  async reached(n = 1): Promise<void> {
    await waitUntil(
      () => this.arrivals,
      (count) => count >= n,
      { what: `${n} arrival(s) at a gate` },
    );
  }
}

/** Gates by name, created on first use, plus named counters; reset between tests. */
class GateRegistry {
  #gates = new Map<string, Gate>();
  #marks = new Map<string, number>();

  /** Counts one call under `key` (e.g. a step callback that must or must not run). */
  mark(key: string): void {
    this.#marks.set(key, (this.#marks.get(key) ?? 0) + 1);
  }

  marks(key: string): number {
    return this.#marks.get(key) ?? 0;
  }

  get(key: string): Gate {
    let gate = this.#gates.get(key);
    if (!gate) {
      gate = new Gate();
      this.#gates.set(key, gate);
    }
    return gate;
  }

  /** Opens every gate (so no step stays blocked) and forgets them. */
  reset(): void {
    for (const gate of this.#gates.values()) gate.open();
    this.#gates.clear();
    this.#marks.clear();
  }
}

export const gates = new GateRegistry();
