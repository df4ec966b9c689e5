// Test overrides of steps, as `cairn/testing`'s introspection sets them (disabled sleeps and retry
// delays, mocked results, errors and timeouts, mocked events, forced event timeouts). The engine
// keeps them in memory, by workflow and instance id, in the process that made them; the step
// kinds ask an instance's overrides only when it has some. The rules of each modifier live in
// cairn/testing; this file is the narrow interface the engine asks through, and the registry.

import type { ErrorRecord } from "../storage/types.js";

/** What one attempt of a `step.do` does instead of running its callback, if anything. */
export type AttemptOverride =
  | { kind: "error"; error: ErrorRecord }
  | { kind: "timeout" }
  /** `value` is fresh for this attempt: decoded anew, or a new stream over the mocked chunks. */
  | { kind: "result"; value: unknown };

/** An event a test delivered with `mockEvent`; its payload as stored values are. */
export type MockedEvent = { type: string; payload: Uint8Array; sentAt: number };

/** The overrides of one instance, as the step kinds ask them (by step name and occurrence). */
export interface StepOverrides {
  /** Grows with every change, so that a hibernating run can tell it missed one. */
  readonly version: number;
  sleepDisabled(name: string, count: number): boolean;
  retryDelayDisabled(name: string, count: number): boolean;
  /** For attempt `attempt` of the `count`-th `step.do(name)`. */
  attempt(name: string, count: number, attempt: number): AttemptOverride | undefined;
  eventTimeoutForced(name: string, count: number): boolean;
  /** Mocked events in the order they were mocked; a wait takes the first of its type not yet taken. */
  readonly events: readonly MockedEvent[];
}

/**
 * A session that captures the instances one workflow creates from now on: `prepare` gives the
 * overrides of an instance about to be created (installed before its first run), `captured`
 * confirms that it was created, `existing` that an already introspected instance was.
 */
export interface CreationWatch {
  prepare(id: string): StepOverrides;
  captured(id: string): void;
  existing(id: string, overrides: StepOverrides): void;
}

/** What `creating` found: the ids that are introspected, and what to do once the store answered. */
export type CreationTicket = {
  readonly introspected: ReadonlySet<string>;
  settle(created: ReadonlySet<string>): void;
};

/** The overrides of the instances this process introspects, and the sessions that watch creations. */
export class OverrideRegistry {
  readonly #instances = new Map<string, StepOverrides>();
  readonly #sessions = new Map<string, CreationWatch>();

  /** False in every process that introspects nothing: the engine asks nothing more then. */
  get active(): boolean {
    return this.#instances.size > 0 || this.#sessions.size > 0;
  }

  get(workflow: string, id: string): StepOverrides | undefined {
    return this.#instances.get(key(workflow, id));
  }

  install(workflow: string, id: string, overrides: StepOverrides): void {
    this.#instances.set(key(workflow, id), overrides);
  }

  /** Removes the overrides of an instance, if they are still `overrides`. */
  uninstall(workflow: string, id: string, overrides: StepOverrides): void {
    if (this.#instances.get(key(workflow, id)) === overrides) this.#instances.delete(key(workflow, id));
  }

  session(workflow: string): CreationWatch | undefined {
    return this.#sessions.get(workflow);
  }

  watch(workflow: string, session: CreationWatch): void {
    this.#sessions.set(workflow, session);
  }

  unwatch(workflow: string, session: CreationWatch): void {
    if (this.#sessions.get(workflow) === session) this.#sessions.delete(workflow);
  }

  /**
   * Called before instances of `workflow` are created: installs a session's overrides on each new
   * id it captures (before anything can run it). Null when none of the ids is introspected.
   */
  creating(workflow: string, ids: readonly string[]): CreationTicket | null {
    const session = this.#sessions.get(workflow);
    const introspected = new Set<string>();
    const prepared = new Map<string, StepOverrides>();
    for (const id of ids) {
      const existing = this.get(workflow, id);
      if (existing) introspected.add(id);
      else if (session && !prepared.has(id)) {
        const overrides = session.prepare(id);
        this.install(workflow, id, overrides);
        prepared.set(id, overrides);
        introspected.add(id);
      }
    }
    if (introspected.size === 0) return null;
    return {
      introspected,
      settle: (created) => {
        for (const id of introspected) {
          const mine = prepared.get(id);
          if (!created.has(id)) {
            if (mine) this.uninstall(workflow, id, mine);
          } else if (mine) session?.captured(id);
          else {
            const overrides = this.get(workflow, id);
            if (overrides && session) session.existing(id, overrides);
          }
        }
      },
    };
  }
}

function key(workflow: string, id: string): string {
  return `${workflow}\u0000${id}`;
}
