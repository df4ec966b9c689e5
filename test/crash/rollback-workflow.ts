// The crash test's rollback workflow: steps register rollback handlers (one of them on a stream
// step, two on parallel steps, one on the step that fails), one step registers none, and the last
// step throws a NonRetryableError, so the instance fails and its rollback chain runs. Every
// handler checks the input it gets and leaves effects lines (see rollback-handler.ts); kills
// land in the chain too. check-rollbacks.ts holds what the run must show.

import { NonRetryableError, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { type InputCheck, trackedRollback } from "./rollback-handler.js";
import { digest, readAll, streamChunks } from "./stream-bytes.js";
import { streamStep } from "./stream-workflow.js";
import { type CrashEnv, mix, PLAIN, type Seeded, tracked } from "./tracked-step.js";

/** Every `step.do` of the workflow, in code order; `boom` fails for good. */
export const UNDO_STEP_NAMES = ["u0", "u1", "u2", "u3a", "u3b", "boom"] as const;
/** The steps that register a rollback handler (all but u2). */
export const UNDO_HANDLERS = ["u0", "u1", "u3a", "u3b", "boom"] as const;
/** The handler that fails at its first run in each process, to exercise handler retries. */
export const FLAKY_HANDLER = "u3b";
export const FAILING_STEP = "boom";
/** The stream number of u1's chunks (see stream-bytes.ts). */
export const UNDO_STREAM = 9;

export function boomMessage(instance: string): string {
  return `boom of ${instance}`;
}

/** What the instance must end with. */
export function expectedUndoerError(instance: string) {
  return { name: "NonRetryableError", message: boomMessage(instance) };
}

export class Undoer extends WorkflowEntrypoint<CrashEnv, Seeded> {
  async run(event: WorkflowEvent<Seeded>, step: WorkflowStep) {
    const { seed } = event.payload;
    const id = event.instanceId;
    const effects = this.env.EFFECTS;
    // Every handler gets the instance's error (the failing step's own error, for its handler).
    const handler = <T>(name: string, output: InputCheck<T>, flaky = false) =>
      trackedRollback<T>(
        effects,
        id,
        name,
        async (input) => {
          const error = input.error;
          const errorOk = error?.name === "NonRetryableError" && error.message === boomMessage(id);
          return [errorOk ? "" : "error", await output(input)].filter(Boolean).join("+");
        },
        flaky,
      );
    const equals = (want: unknown) => (input: { output: unknown }) => (input.output === want ? "" : "output");

    const v0 = await tracked(
      step,
      effects,
      id,
      "u0",
      PLAIN,
      () => mix(seed, 0),
      handler("u0", equals(mix(seed, 0))),
    );
    const chunks = streamChunks(seed, UNDO_STREAM);
    const stream = await streamStep(
      step,
      effects,
      id,
      "u1",
      PLAIN,
      chunks,
      handler<ReadableStream<Uint8Array>>("u1", async ({ output }) =>
        output instanceof ReadableStream && digest(await readAll(output)) === digest(chunks) ? "" : "output",
      ),
    );
    // The workflow reads the stream too; the handler must still get all of its bytes.
    const d1 = digest(await readAll(stream));
    if (d1 !== digest(chunks)) throw new Error(`u1 read back bytes of digest ${d1}, not ${digest(chunks)}`);
    const v2 = await tracked(step, effects, id, "u2", PLAIN, () => mix(v0, 2));
    await Promise.all([
      tracked(step, effects, id, "u3a", PLAIN, () => mix(v2, 3), handler("u3a", equals(mix(v2, 3)))),
      tracked(step, effects, id, "u3b", PLAIN, () => mix(v2, 4), handler("u3b", equals(mix(v2, 4)), true)),
    ]);
    await tracked(
      step,
      effects,
      id,
      FAILING_STEP,
      PLAIN,
      () => {
        throw new NonRetryableError(boomMessage(id));
      },
      handler(FAILING_STEP, equals(undefined)),
    );
    return { unreachable: true };
  }
}
