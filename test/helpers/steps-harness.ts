// Test helper for the `step.do` integration tests: opens Cairn on a real SQLite file with one
// workflow whose `run` is a plain function, re-opens it on the same file (a process restart, as
// far as replay is concerned), and reads an instance's event log in the forms the tests assert on.
// `sharedStepsRig` runs many small cases on one Cairn. Every Cairn it opens is closed and every
// temp folder removed when its test (or block) ends.

import {
  Cairn,
  type FakeClock,
  type InstanceStatus,
  type InstanceStatusName,
  WorkflowEntrypoint,
  type WorkflowEvent,
  type WorkflowInstance,
  type WorkflowStep,
} from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";
import { afterAll, afterEach, beforeAll } from "vitest";
import type { LogEntry, LogType } from "../../src/storage/types.js";
import { tempDir } from "./temp-store.js";

export type { LogEntry } from "../../src/storage/types.js";

/** The body of the test workflow: what a `WorkflowEntrypoint.run` would do. */
export type RunFn = (event: WorkflowEvent<any>, step: WorkflowStep) => Promise<unknown>;

export type RigOptions = {
  clock?: FakeClock;
  /** The workflow's `limits.steps`. */
  stepLimit?: number;
  /** How long `close()` lets in-flight attempts finish; 0 simulates a crash mid-attempt. */
  shutdownGraceMs?: number;
  /** 0 hibernates every wait not yet due, retry delays included (reliably so on a FakeClock). */
  hibernateAfterMs?: number;
};

export const WORKFLOW = "steps";

function classOf(run: RunFn) {
  return class StepsWorkflow extends WorkflowEntrypoint {
    override async run(event: WorkflowEvent<unknown>, step: WorkflowStep): Promise<unknown> {
      return run(event, step);
    }
  };
}

/** One Cairn on one SQLite file, re-openable. */
export class StepsRig {
  cairn!: Cairn<{ STEPS: { name: string; class: ReturnType<typeof classOf> } }>;
  readonly #run: RunFn;
  readonly #options: RigOptions;
  readonly #dbPath: string;
  #open = false;

  constructor(run: RunFn, options: RigOptions, dbPath: string) {
    this.#run = run;
    this.#options = options;
    this.#dbPath = dbPath;
  }

  async open(): Promise<this> {
    const { clock, stepLimit, shutdownGraceMs, hibernateAfterMs } = this.#options;
    this.cairn = await Cairn.open({
      storage: `sqlite:${this.#dbPath}`,
      workflows: {
        STEPS: {
          name: WORKFLOW,
          class: classOf(this.#run),
          ...(stepLimit === undefined ? {} : { limits: { steps: stepLimit } }),
        },
      },
      ...(clock ? { clock } : {}),
      ...(shutdownGraceMs === undefined ? {} : { shutdownGraceMs }),
      ...(hibernateAfterMs === undefined ? {} : { hibernateAfterMs }),
    });
    this.#open = true;
    return this;
  }

  /** Closes this Cairn and opens a new one on the same file: the instances replay from their journal. */
  async reopen(): Promise<this> {
    await this.close();
    return this.open();
  }

  async close(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    await this.cairn.close();
  }

  create(id = "i1", params: unknown = {}): Promise<WorkflowInstance> {
    return this.cairn.env.STEPS.create({ id, params });
  }

  get(id = "i1"): Promise<WorkflowInstance> {
    return this.cairn.env.STEPS.get(id);
  }

  log(id = "i1"): Promise<LogEntry[]> {
    return this.cairn.engine.readLog(WORKFLOW, id);
  }

  /** Waits until the log holds at least `n` entries of `type`, and returns the log. */
  waitForLog(type: LogType, n = 1, id = "i1"): Promise<LogEntry[]> {
    return waitUntil(
      () => this.log(id),
      (log) => ofType(log, type).length >= n,
      { what: `${n} ${type} entries in the log of "${id}"` },
    );
  }
}

/**
 * Factory of rigs: call once at the top of a `describe`; each `open` gets a fresh file. With
 * scope "each" (default) rigs are closed after each test, with "all" after the block's last one.
 * @example const rigs = stepsRigs(); const rig = await rigs.open(async (_e, step) => step.do("a", async () => 1));
 */
export function stepsRigs(scope: "each" | "all" = "each"): {
  open(run: RunFn, options?: RigOptions): Promise<StepsRig>;
} {
  const cleanups: (() => Promise<void> | void)[] = [];
  (scope === "each" ? afterEach : afterAll)(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    async open(run, options = {}) {
      const { dbPath, cleanup } = tempDir("cairn-steps-");
      cleanups.push(cleanup);
      const rig = new StepsRig(run, options, dbPath);
      cleanups.push(() => rig.close());
      return rig.open();
    },
  };
}

/**
 * One workflow body per instance, so that many cases share one Cairn (opening one costs far more
 * than running a small instance): `add` registers a body and returns a fresh instance id for it.
 */
export class Scenarios {
  readonly #bodies = new Map<string, RunFn>();

  readonly run: RunFn = (event, step) => {
    const body = this.#bodies.get(event.instanceId);
    if (!body) throw new Error(`no scenario registered for instance "${event.instanceId}"`);
    return body(event, step);
  };

  add(body: RunFn): string {
    const id = `case-${this.#bodies.size + 1}`;
    this.#bodies.set(id, body);
    return id;
  }
}

export type CaseResult = { id: string; status: InstanceStatus; log: LogEntry[] };

/**
 * One Cairn shared by every test of the enclosing `describe`, each case an instance of its own.
 * For cases that need no clock, no re-open and no per-workflow options.
 * @example const shared = sharedStepsRig(); const { status } = await shared.run(async (_e, step) => …);
 */
export function sharedStepsRig(): {
  run(body: RunFn, options?: { params?: unknown; until?: InstanceStatusName[] }): Promise<CaseResult>;
} {
  const scenarios = new Scenarios();
  const rigs = stepsRigs("all");
  let rig: StepsRig | undefined;
  beforeAll(async () => {
    rig = await rigs.open(scenarios.run);
  });
  return {
    async run(body, options = {}) {
      const { params = {}, until = ["complete", "errored"] satisfies InstanceStatusName[] } = options;
      if (!rig) throw new Error("sharedStepsRig: run() called outside a test");
      const id = scenarios.add(body);
      const status = await waitForStatus(await rig.create(id, params), until);
      return { id, status, log: await rig.log(id) };
    },
  };
}

export function ofType(log: LogEntry[], type: LogType): LogEntry[] {
  return log.filter((entry) => entry.type === type);
}

/** The `retryDelayMs` of each retried attempt, in order. */
export function retryDelays(log: LogEntry[]): unknown[] {
  return ofType(log, "ATTEMPT_FAILURE")
    .filter((entry) => entry.data !== null && "retryDelayMs" in entry.data)
    .map((entry) => entry.data?.retryDelayMs);
}

/** A promise with its resolve function, for steps that must wait on one another. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
