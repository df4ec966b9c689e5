// The crash test's stream workflow: steps return `ReadableStream<Uint8Array>` results of a few big
// chunks with real delays between them, so kills land while the engine stores a stream. The
// workflow reads every result back and puts a digest of the bytes in its output. Its first step
// (a small stream) stalls on some attempts until its timeout fires, then keeps producing: the
// engine must stop storing that attempt (a late chunk would corrupt the retry's stream). Its second step registers
// a rollback handler that must never run, since the workflow succeeds
// (a success never rolls back).

import { setTimeout as delay } from "node:timers/promises";
import {
  WorkflowEntrypoint,
  type WorkflowEvent,
  type WorkflowRollbackOptions,
  type WorkflowStep,
  type WorkflowStepConfig,
} from "cairn";
import type { Effects } from "./effects.js";
import { trackedRollback } from "./rollback-handler.js";
import { digest, readAll, streamChunks, totalBytes } from "./stream-bytes.js";
import { type CrashEnv, PLAIN, type Seeded } from "./tracked-step.js";

export const STREAM_STEPS = 3;
/**
 * The stalling step times out after this long, while its producer is still stalled. Its stream
 * is small (one stored group), so an attempt that does not stall ends well within it; if one
 * still times out on a busy machine, check-effects learns it from the log.
 */
const STALL_TIMEOUT_MS = 120;
/**
 * The stall lasts longer than the timeout, so a stalling attempt always times out; short enough
 * that the late chunks come while the retry runs or soon after it commits (both would show).
 */
const STALL_MS = 180;
/** The stall comes after this many chunks. */
const STALL_AFTER = 2;
const STALLING: WorkflowStepConfig = { ...PLAIN, timeout: STALL_TIMEOUT_MS };

/** The name of the step that stalls, and on which attempts (odd ones up to 7: a kill uses one up). */
export const STALLING_STEP = "st0";
export function stalls(step: string, attempt: number): boolean {
  return step === STALLING_STEP && attempt % 2 === 1 && attempt <= 7;
}

/**
 * A stream of `chunks` with 2–12 ms between them. It logs its end when the last chunk is out; a
 * stalling attempt logs its (certain) failure before the stall, then goes on producing.
 */
function producer(
  effects: Effects,
  instance: string,
  name: string,
  attempt: number,
  chunks: Uint8Array[],
): ReadableStream<Uint8Array> {
  const stall = stalls(name, attempt);
  let next = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      await delay(2 + Math.floor(Math.random() * 11));
      if (stall && next === STALL_AFTER) {
        effects.end(instance, name, attempt, false);
        await delay(STALL_MS);
      }
      const chunk = chunks[next++];
      if (chunk) return controller.enqueue(chunk);
      if (!stall) effects.end(instance, name, attempt, true);
      controller.close();
    },
  });
}

/** A tracked `step.do` whose result is the stream of `chunks` (see tracked-step.ts for the lines). */
export async function streamStep(
  step: WorkflowStep,
  effects: Effects,
  instance: string,
  name: string,
  config: WorkflowStepConfig,
  chunks: Uint8Array[],
  rollback?: WorkflowRollbackOptions<ReadableStream<Uint8Array>>,
): Promise<ReadableStream<Uint8Array>> {
  const stream = await step.do(
    name,
    config,
    async (ctx) => {
      effects.start(instance, name, ctx.attempt);
      return producer(effects, instance, name, ctx.attempt, chunks);
    },
    rollback,
  );
  effects.committed(instance, name);
  return stream;
}

export class Streamer extends WorkflowEntrypoint<CrashEnv, Seeded> {
  async run(event: WorkflowEvent<Seeded>, step: WorkflowStep) {
    const { seed } = event.payload;
    const id = event.instanceId;
    const effects = this.env.EFFECTS;
    const digests: string[] = [];
    let bytes = 0;
    for (let i = 0; i < STREAM_STEPS; i++) {
      const name = `st${i}`;
      const config = name === STALLING_STEP ? STALLING : PLAIN;
      const never =
        i === 1 ? trackedRollback<ReadableStream<Uint8Array>>(effects, id, name, () => "") : undefined;
      const chunks = streamerChunks(seed, name)!;
      const stream = await streamStep(step, effects, id, name, config, chunks, never);
      const read = await readAll(stream);
      digests.push(digest(read));
      bytes += totalBytes(read);
    }
    return { digests, bytes };
  }
}

export function expectedStreamer(seed: number) {
  const streams = Array.from({ length: STREAM_STEPS }, (_, i) => streamerChunks(seed, `st${i}`)!);
  return { digests: streams.map(digest), bytes: streams.reduce((n, s) => n + totalBytes(s), 0) };
}

/** The chunks a Streamer step produces, or undefined if `step` is not one of its stream steps. */
export function streamerChunks(seed: number, step: string): Uint8Array[] | undefined {
  const match = /^st(\d+)$/.exec(step);
  const i = match ? Number(match[1]) : -1;
  return i >= 0 && i < STREAM_STEPS ? streamChunks(seed, i, step === STALLING_STEP) : undefined;
}
