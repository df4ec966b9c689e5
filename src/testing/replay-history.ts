// `replayHistory`: runs a workflow's `run()` against an exported history, answering every step
// from what was recorded and running no callback, and says whether this code can take over the
// recorded instance: it asks for the recorded steps, and for nothing else before the history's
// end. This is how a team checks a change to a workflow while old instances still sleep.

import type { ExecutionContext, WorkflowEvent } from "../api/types.js";
import { scheduleFromId } from "../engine/cron.js";
import type { WorkflowClass } from "../engine/workflow-class.js";
import { WorkflowsError } from "../errors.js";
import { drainUntilIdle } from "./event-loop-idle.js";
import { readHistory } from "./read-history.js";
import {
  describeStep,
  type RecordedError,
  type RecordedHistory,
  type RecordedStep,
  type ReplayStepRef,
} from "./recorded-history.js";
import { type ReplayedStep, ReplaySession, type StoppedCall } from "./replay-step.js";

export type { ReplayStepRef, ReplayStepType } from "./recorded-history.js";
export type { ReplayedResult, ReplayedStep } from "./replay-step.js";

export type ReplayOptions = {
  /** What `this.env` holds (default `{}`): the bindings and vars the code reads outside its steps. */
  env?: unknown;
  /** The event's `payload` instead of the recorded params (for params the export could not hold). */
  params?: unknown;
  /**
   * Event-loop turns in a row with no step asked for and `run` unsettled after which the code
   * counts as idle (default 20). Raise it for code that awaits several rounds of I/O outside steps.
   */
  idleTurns?: number;
};

/** Why the replay says the code cannot take over the instance. Branch on `kind`. */
export type ReplayDivergence =
  /** The code asked for a step the history lacks while recorded steps were still to come. */
  | { kind: "not-recorded"; step: ReplayStepRef; message: string }
  /** A recorded step the code never asked for. */
  | { kind: "not-reached"; step: ReplayStepRef; message: string }
  /** `run` threw an error that is neither a recorded failure nor the instance's recorded error. */
  | { kind: "threw"; error: RecordedError; message: string }
  /** `run` stopped settling while waiting on something other than a step (a timer, I/O, a promise). */
  | { kind: "stuck"; message: string };

/** Where the replay stopped because the history has no answer (the instance had not gone further). */
export type ReplayStop = ReplayStepRef & {
  /** `unfinished`: recorded but without a result (waiting, retrying); `beyond-history`: asked for after every recorded step. */
  reason: "unfinished" | "beyond-history";
};

export type ReplayResult = {
  /** True when the code can take over the recorded instance (see `divergence` when false). */
  compatible: boolean;
  /** The first divergence, in the order the code met it. */
  divergence?: ReplayDivergence;
  /**
   * How `run` ended in the replay: `returned`, `threw`, `stopped` (waiting on a step the history
   * cannot answer: see `stoppedAt`), or `stuck` (waiting on something else).
   */
  ending: "returned" | "threw" | "stopped" | "stuck";
  /** The recorded steps the code asked for, in the order it asked, with what it got back. */
  reached: ReplayedStep[];
  /** Recorded steps the code never asked for, in start order. */
  notReached: ReplayStepRef[];
  /** Steps whose output was exported as "[REDACTED]" and handed to the code as that string. */
  redacted: ReplayStepRef[];
  /** The first call the history could not answer because it ends there. */
  stoppedAt?: ReplayStop;
  /** What `run` returned (ending `returned`). */
  output?: unknown;
  /** What `run` threw (ending `threw`), and whether it came from a recorded failure. */
  error?: RecordedError & { fromHistory: boolean };
  /** The recorded instance, to compare with: its status and its output or error. */
  recorded: { workflow: string; id: string; status: string; output?: unknown; error?: RecordedError };
};

const DEFAULT_IDLE_TURNS = 20;
/** A run still asking for steps after this many turns is reported as stuck. */
const MAX_TURNS = 100_000;

type Settled = { kind: "returned"; value: unknown } | { kind: "threw"; error: unknown; seq: number };

/**
 * Runs `run()` of `WorkflowClass` against an exported history without running any step callback,
 * and reports whether the code is compatible with the recorded instance.
 * @param history the export's JSON text, or its parsed value ("cairn.instance-history/2"; /1 where possible)
 * @throws HistoryError (`history.invalid`, `history.unsupported_format`) for input it cannot replay
 * @example
 * const history = await readFile("order-42.json", "utf8");
 * const result = await replayHistory(OrderWorkflow, history, { env: { API_URL: "http://x" } });
 * if (!result.compatible) throw new Error(result.divergence!.message);
 */
export async function replayHistory(
  WorkflowClass: WorkflowClass,
  history: unknown,
  options: ReplayOptions = {},
): Promise<ReplayResult> {
  checkClass(WorkflowClass);
  const idleTurns = checkIdleTurns(options.idleTurns);
  const recorded = readHistory(history);
  const session = new ReplaySession(recorded);
  const ctx: ExecutionContext = {
    // Nothing outlives the replay; a failing promise must not become an unhandled rejection.
    waitUntil: (promise) => void Promise.resolve(promise).catch(() => {}),
    passThroughOnException: () => {},
    props: {},
  };
  const workflow = new WorkflowClass(ctx, options.env ?? {});
  let settled: Settled | undefined;
  let running: Promise<unknown>;
  try {
    running = Promise.resolve(workflow.run(eventOf(recorded, options), session.step()));
  } catch (error) {
    running = Promise.reject(error);
  }
  running.then(
    (value) => {
      settled = { kind: "returned", value };
    },
    (error: unknown) => {
      settled = { kind: "threw", error, seq: session.calls };
    },
  );
  const end = await drainUntilIdle({
    settled: () => settled !== undefined,
    progress: () => session.calls,
    idleTurns,
    maxTurns: MAX_TURNS,
  });
  return resultOf(session, settled, end === "too-long");
}

function checkClass(cls: unknown): void {
  const run =
    typeof cls === "function" ? (cls as { prototype?: { run?: unknown } }).prototype?.run : undefined;
  if (typeof run !== "function") {
    throw new WorkflowsError(
      "workflow.invalid_definition",
      `replayHistory needs a workflow class with a run(event, step) method, got ${typeof cls === "function" ? "a class without run" : typeof cls}`,
    );
  }
}

function checkIdleTurns(value: unknown): number {
  if (value === undefined) return DEFAULT_IDLE_TURNS;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1 || value > 10_000) {
    throw new WorkflowsError(
      "engine.invalid_options",
      `idleTurns: expected a whole number from 1 to 10000, got ${String(value)}`,
    );
  }
  return value;
}

/** The event the engine would build for the instance: params as payload, creation time, ids, schedule. */
function eventOf(history: RecordedHistory, options: ReplayOptions): WorkflowEvent<unknown> {
  const event: WorkflowEvent<unknown> = {
    payload: (options.params !== undefined ? options.params : history.params) as Readonly<unknown>,
    timestamp: new Date(history.createdAt),
    instanceId: history.id,
    workflowName: history.workflow,
  };
  const schedule = history.trigger === "cron" ? scheduleFromId(history.id) : undefined;
  if (schedule) event.schedule = schedule;
  return event;
}

function refOf(step: ReplayStepRef): ReplayStepRef {
  return { type: step.type, name: step.name, count: step.count };
}

function errorOf(error: unknown): RecordedError {
  if (error instanceof Error || (typeof error === "object" && error !== null && "message" in error)) {
    const e = error as { name?: unknown; message?: unknown };
    return { name: typeof e.name === "string" ? e.name : "Error", message: String(e.message) };
  }
  return { name: "Error", message: String(error) };
}

function resultOf(session: ReplaySession, settled: Settled | undefined, tooLong: boolean): ReplayResult {
  const history = session.history;
  const notReached = session.notReached();
  const redacted = session.reached.filter((s) => s.result === "redacted").map(refOf);
  const stop = session.stopped.find((s) => s.reason !== "not-recorded");
  const result: ReplayResult = {
    compatible: true,
    ending: settled?.kind ?? (session.stopped.length > 0 && !tooLong ? "stopped" : "stuck"),
    reached: session.reached,
    notReached: notReached.map(refOf),
    redacted,
    recorded: {
      workflow: history.workflow,
      id: history.id,
      status: history.status,
      ...("output" in history ? { output: history.output } : {}),
      ...(history.error ? { error: history.error } : {}),
    },
  };
  if (stop && result.ending === "stopped")
    result.stoppedAt = { ...refOf(stop), reason: stop.reason as ReplayStop["reason"] };
  if (settled?.kind === "returned") result.output = settled.value;
  if (settled?.kind === "threw") {
    const fromHistory =
      typeof settled.error === "object" && settled.error !== null && session.historyErrors.has(settled.error);
    result.error = { ...errorOf(settled.error), fromHistory };
  }
  const divergence = firstDivergence(session, settled, notReached, result, tooLong);
  if (divergence) {
    result.compatible = false;
    result.divergence = divergence;
  }
  return result;
}

/**
 * The divergence the code met first: a call the history lacks before its end, or a foreign
 * throw, whichever came first; then a recorded step never asked for; then a run that is stuck.
 */
function firstDivergence(
  session: ReplaySession,
  settled: Settled | undefined,
  notReached: RecordedStep[],
  result: ReplayResult,
  tooLong: boolean,
): ReplayDivergence | undefined {
  const unknownCall = session.stopped.find((s) => s.reason === "not-recorded");
  const foreign =
    settled?.kind === "threw" &&
    result.error &&
    !result.error.fromHistory &&
    !sameError(result.error, session.history.error);
  const thrownAt = settled?.kind === "threw" ? settled.seq : Number.POSITIVE_INFINITY;
  if (unknownCall && (!foreign || unknownCall.seq < thrownAt)) {
    return {
      kind: "not-recorded",
      step: refOf(unknownCall),
      message: notRecordedMessage(unknownCall, session),
    };
  }
  if (foreign && result.error) {
    return {
      kind: "threw",
      error: { name: result.error.name, message: result.error.message },
      message: threwMessage(result.error, session),
    };
  }
  if (result.ending === "stuck") {
    return { kind: "stuck", message: stuckMessage(session, notReached, tooLong) };
  }
  const missed = notReached[0];
  if (missed) {
    return { kind: "not-reached", step: refOf(missed), message: notReachedMessage(missed, session, result) };
  }
  return undefined;
}

function sameError(a: RecordedError, b: RecordedError | undefined): boolean {
  return b !== undefined && a.name === b.name && a.message === b.message;
}

function list(steps: ReplayStepRef[], most = 3): string {
  const shown = steps.slice(0, most).map(describeStep).join(", ");
  return steps.length > most ? `${shown} and ${steps.length - most} more` : shown;
}

function notRecordedMessage(call: StoppedCall, session: ReplaySession): string {
  const sameName = session.history.steps.find(
    (s) =>
      s.name === call.name &&
      (s.type !== call.type || s.count !== call.count) &&
      call.outstanding.some((o) => o.type === s.type && o.name === s.name && o.count === s.count),
  );
  const hint = sameName ? `; the history has ${describeStep(sameName)} still to come` : "";
  return (
    `the code asks for ${describeStep(call)}, which the history does not have, before reaching ` +
    `every recorded step (still to come: ${list(call.outstanding)})${hint}`
  );
}

function notReachedMessage(step: RecordedStep, session: ReplaySession, result: ReplayResult): string {
  const how =
    result.ending === "returned"
      ? "run returned"
      : result.ending === "threw"
        ? `run threw ${result.error?.name}: ${result.error?.message}`
        : `the code stopped at ${result.stoppedAt ? describeStep(result.stoppedAt) : "a step the history cannot answer"}`;
  const index = step.index + 1;
  return (
    `the history has ${describeStep(step)} (step ${index} of ${session.history.steps.length}), ` +
    `but ${how} without asking for it`
  );
}

function threwMessage(error: RecordedError, session: ReplaySession): string {
  const redacted = session.reached.filter((s) => s.result === "redacted");
  const last = session.reached.at(-1);
  const where = last ? ` after ${describeStep(last)}` : " before asking for any step";
  const hint =
    redacted.length > 0
      ? `; it was handed "[REDACTED]" for ${list(redacted)}: if it reads that value, export with --include-sensitive`
      : "";
  return `run threw ${error.name}: ${error.message}${where}, an error that is not in the history${hint}`;
}

function stuckMessage(session: ReplaySession, notReached: RecordedStep[], tooLong: boolean): string {
  if (tooLong) return `run kept asking for steps for ${MAX_TURNS} event-loop turns without settling`;
  const last = session.reached.at(-1);
  const where = last ? `after ${describeStep(last)}` : "before asking for any step";
  const rest = notReached.length > 0 ? `; recorded steps not reached: ${list(notReached.map(refOf))}` : "";
  return (
    `run stopped ${where}, waiting on something other than a step (a timer, I/O, a promise that ` +
    `never settles)${rest}`
  );
}
