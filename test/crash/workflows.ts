// The workflows the crash test runs in its child process, one per kind of durable operation:
// sequential steps, parallel steps, a step that fails and retries, sleeps, waits for events sent
// from outside, stream results (stream-workflow.ts) and a rollback chain (rollback-workflow.ts).
// Every step callback and every settled `step.do` leaves a line in the effects file (see
// effects.ts); results are deterministic so the parent can predict outputs.

import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep, type WorkflowStepConfig } from "cairn";
import {
  expectedUndoerError,
  FAILING_STEP,
  UNDO_STEP_NAMES,
  UNDO_STREAM,
  Undoer,
} from "./rollback-workflow.js";
import { streamChunks } from "./stream-bytes.js";
import { expectedStreamer, STREAM_STEPS, Streamer, stalls, streamerChunks } from "./stream-workflow.js";
import { type CrashEnv, FLAKY, mix, PLAIN, type Seeded, tracked } from "./tracked-step.js";

export { type CrashEnv, mix } from "./tracked-step.js";

export const SEQ_STEPS = 10;
export const PAR_ROUNDS = 3;
export const PAR_WIDTH = 5;
/** Flaky steps throw while ctx.attempt is below this. */
export const FLAKY_UNTIL = 3;
export const NAPS = 3;
export const NAP_MS = 200;
/** Events carry k = 1, 2, 3; the workflow stops at the first k = 3. */
export const LAST_K = 3;

export class Sequential extends WorkflowEntrypoint<CrashEnv, Seeded> {
  async run(event: WorkflowEvent<Seeded>, step: WorkflowStep) {
    let acc = event.payload.seed;
    for (let i = 0; i < SEQ_STEPS; i++) {
      const prev = acc;
      acc = await tracked(step, this.env.EFFECTS, event.instanceId, `s${i}`, PLAIN, () => mix(prev, i));
    }
    return { acc };
  }
}

export function expectedSequential(seed: number) {
  let acc = seed;
  for (let i = 0; i < SEQ_STEPS; i++) acc = mix(acc, i);
  return { acc };
}

export class Parallel extends WorkflowEntrypoint<CrashEnv, Seeded> {
  async run(event: WorkflowEvent<Seeded>, step: WorkflowStep) {
    const { seed } = event.payload;
    const track = (name: string, fn: () => number) =>
      tracked(step, this.env.EFFECTS, event.instanceId, name, PLAIN, fn);
    let total = 0;
    for (let r = 0; r < PAR_ROUNDS; r++) {
      const lanes = Array.from({ length: PAR_WIDTH }, (_, j) =>
        track(`p${r}-${j}`, () => mix(seed, r * 10 + j)),
      );
      const values = await Promise.all(lanes);
      const prev = total;
      total = await track(`sum${r}`, () => prev + values.reduce((a, b) => a + b, 0));
    }
    return { total };
  }
}

export function expectedParallel(seed: number) {
  let total = 0;
  for (let r = 0; r < PAR_ROUNDS; r++) {
    for (let j = 0; j < PAR_WIDTH; j++) total += mix(seed, r * 10 + j);
  }
  return { total };
}

export class Retrying extends WorkflowEntrypoint<CrashEnv, Seeded> {
  async run(event: WorkflowEvent<Seeded>, step: WorkflowStep) {
    const track = <T>(name: string, config: WorkflowStepConfig, fn: (attempt: number) => T) =>
      tracked(step, this.env.EFFECTS, event.instanceId, name, config, fn);
    const before = await track("before", PLAIN, () => event.payload.seed * 2);
    // Each flaky step throws on attempts 1 and 2; a crash during an attempt also uses one up.
    const flaky = (name: string, input: number) =>
      track(name, FLAKY, (attempt) => {
        if (attempt < FLAKY_UNTIL) throw new Error(`${name} fails attempt ${attempt}`);
        return { value: input + 1, attempt };
      });
    const a = await flaky("flaky-a", before);
    const b = await flaky("flaky-b", a.value);
    const after = await track("after", PLAIN, () => b.value * 3);
    return { after, lateEnough: a.attempt >= FLAKY_UNTIL && b.attempt >= FLAKY_UNTIL };
  }
}

export function expectedRetrying(seed: number) {
  return { after: (seed * 2 + 2) * 3, lateEnough: true };
}

export class Sleeper extends WorkflowEntrypoint<CrashEnv, Seeded> {
  async run(event: WorkflowEvent<Seeded>, step: WorkflowStep) {
    const track = <T>(name: string, fn: () => T) =>
      tracked(step, this.env.EFFECTS, event.instanceId, name, PLAIN, fn);
    let acc = event.payload.seed;
    let sleptEnough = true;
    let before = await track("w0", () => Date.now());
    for (let n = 1; n <= NAPS; n++) {
      // Same name each time: the keys are sleep:1:nap, sleep:2:nap, … (the duration is not in the key).
      await step.sleep("nap", NAP_MS);
      const prev = acc;
      const [after, next] = await track(`w${n}`, () => [Date.now(), mix(prev, n)] as const);
      // The wake time is journaled when the sleep starts, so restarts must never shorten a nap.
      if (after - before < NAP_MS) sleptEnough = false;
      before = after;
      acc = next;
    }
    return { acc, sleptEnough };
  }
}

export function expectedSleeper(seed: number) {
  let acc = seed;
  for (let n = 1; n <= NAPS; n++) acc = mix(acc, n);
  return { acc, sleptEnough: true };
}

/** The payload the parent sends; `send` numbers every send (resends included) uniquely. */
export type Pay = { k: number; send: number };

export class Collector extends WorkflowEntrypoint<CrashEnv, Seeded> {
  async run(event: WorkflowEvent<Seeded>, step: WorkflowStep) {
    const got: Pay[] = [];
    for (let n = 1; n <= 20; n++) {
      const received = await step.waitForEvent<Pay>(`pay-${n}`, { type: "pay", timeout: "1 hour" });
      const pay = { k: received.payload.k, send: received.payload.send };
      got.push(await tracked(step, this.env.EFFECTS, event.instanceId, `note-${n}`, PLAIN, () => pay));
      if (pay.k === LAST_K) return { got };
    }
    throw new Error("received 20 events without k = 3");
  }
}

/** The instances the child creates: ids, params, and the output each must end with. */
/** `late` instances are created by the last incarnation only, so they run without kills. */
export type PlannedInstance = { binding: keyof typeof WORKFLOWS; id: string; seed: number; late?: true };

export const WORKFLOWS = {
  SEQUENTIAL: { name: "crash-sequential", class: Sequential, concurrency: 1 },
  PARALLEL: { name: "crash-parallel", class: Parallel, concurrency: 1 },
  RETRYING: { name: "crash-retrying", class: Retrying, concurrency: 1 },
  SLEEPER: { name: "crash-sleeper", class: Sleeper, concurrency: 1 },
  COLLECTOR: { name: "crash-collector", class: Collector },
  // One at a time, so that stream steps run (and are killed) all through the run.
  STREAMER: { name: "crash-streamer", class: Streamer, concurrency: 1 },
  UNDOER: { name: "crash-undoer", class: Undoer, concurrency: 4 },
} as const;

export const COUNTS: Record<keyof typeof WORKFLOWS, number> = {
  SEQUENTIAL: 28,
  PARALLEL: 40,
  RETRYING: 40,
  SLEEPER: 40,
  COLLECTOR: 6,
  STREAMER: 12,
  UNDOER: 16,
};

/**
 * Streamers that only the last incarnation creates: their stalling step surely times out and
 * its producer surely outlives the timeout, which killed incarnations rarely allow.
 */
export const LATE_STREAMERS = 2;

export function plannedInstances(): PlannedInstance[] {
  const out: PlannedInstance[] = [];
  for (const binding of Object.keys(COUNTS) as (keyof typeof WORKFLOWS)[]) {
    for (let i = 0; i < COUNTS[binding]; i++) {
      out.push({ binding, id: `${binding.toLowerCase()}-${i}`, seed: 1000 + out.length * 17 });
    }
  }
  for (let i = 0; i < LATE_STREAMERS; i++) {
    out.push({ binding: "STREAMER", id: `streamer-late-${i}`, seed: 1000 + out.length * 17, late: true });
  }
  return out;
}

/** The output a non-event instance must end with; undefined for collectors (checked by events.ts). */
export function expectedOutput(p: PlannedInstance): unknown {
  switch (p.binding) {
    case "SEQUENTIAL":
      return expectedSequential(p.seed);
    case "PARALLEL":
      return expectedParallel(p.seed);
    case "RETRYING":
      return expectedRetrying(p.seed);
    case "SLEEPER":
      return expectedSleeper(p.seed);
    case "STREAMER":
      return expectedStreamer(p.seed);
    case "COLLECTOR":
    case "UNDOER":
      return undefined;
  }
}

/** How an instance must end: errored (with this error) for the rollback workflow, else complete. */
export function expectedEnd(
  p: PlannedInstance,
): { status: "complete" } | { status: "errored"; error: { name: string; message: string } } {
  return p.binding === "UNDOER"
    ? { status: "errored", error: expectedUndoerError(p.id) }
    : { status: "complete" };
}

/** The chunks a stream step of `p` produces (identical on every attempt); undefined for other steps. */
export function producedChunks(p: PlannedInstance, step: string): Uint8Array[] | undefined {
  if (p.binding === "STREAMER") return streamerChunks(p.seed, step);
  if (p.binding === "UNDOER" && step === "u1") return streamChunks(p.seed, UNDO_STREAM);
  return undefined;
}

/** The `step.do` names an instance runs; a collector's depend on how many events it received. */
export function expectedStepNames(p: PlannedInstance, received: number): string[] {
  const range = (n: number, name: (i: number) => string) => Array.from({ length: n }, (_, i) => name(i));
  switch (p.binding) {
    case "SEQUENTIAL":
      return range(SEQ_STEPS, (i) => `s${i}`);
    case "PARALLEL":
      return range(PAR_ROUNDS, String).flatMap((r) => [...range(PAR_WIDTH, (j) => `p${r}-${j}`), `sum${r}`]);
    case "RETRYING":
      return ["before", "flaky-a", "flaky-b", "after"];
    case "SLEEPER":
      return range(NAPS + 1, (n) => `w${n}`);
    case "COLLECTOR":
      return range(received, (n) => `note-${n + 1}`);
    case "STREAMER":
      return range(STREAM_STEPS, (i) => `st${i}`);
    case "UNDOER":
      return [...UNDO_STEP_NAMES];
  }
}

/** Whether an attempt of `step` may end "fail" on its own: flaky steps, stalls, the failing step. */
export function mayFail(step: string, attempt: number): boolean {
  if (step.startsWith("flaky-")) return attempt < FLAKY_UNTIL;
  return stalls(step, attempt) || step === FAILING_STEP;
}

/** The step whose final outcome is a failure (its journal record ends failed). */
export function failsForGood(step: string): boolean {
  return step === FAILING_STEP;
}
