// What a replay works from, whichever export format it came in: the instance's params, status
// and ending, and each step the workflow code called (do, sleep, waitForEvent), with its
// recorded outcome. Rollback handlers and the termination marker are not calls `run` makes,
// so they are not here.

export type ReplayStepType = "do" | "sleep" | "waitForEvent";

/** A step as the code asks for it: its kind, its name, and which call of that name (1 for the first). */
export type ReplayStepRef = { type: ReplayStepType; name: string; count: number };

export type RecordedError = { name: string; message: string };

/** What a recorded step hands the code back on replay. */
export type RecordedOutcome =
  /** A `do` result, or a sleep that finished (`value` undefined). */
  | { kind: "value"; value: unknown }
  /** A `do` result that was a stream: its bytes. */
  | { kind: "stream"; bytes: Uint8Array }
  /** A sensitive `do` result exported without `--include-sensitive`: the replay hands "[REDACTED]". */
  | { kind: "redacted" }
  /** The event a `waitForEvent` received. */
  | { kind: "event"; event: { type: string; payload: unknown; sentAt: number } }
  /** A step that failed (retries used up, a wait that timed out): the replay rethrows it. */
  | { kind: "error"; error: RecordedError; timedOut: boolean }
  /** A step that started but has no result yet (waiting, retrying, running): the history ends here. */
  | { kind: "unfinished"; status: string };

export type RecordedStep = ReplayStepRef & {
  /** The journal key (`do:1:charge`). */
  key: string;
  /** Its place in start order (0 for the first step that started). */
  index: number;
  outcome: RecordedOutcome;
};

export type RecordedHistory = {
  /** The `format` of the file it was read from. */
  format: string;
  workflow: string;
  id: string;
  status: string;
  trigger: string | null;
  params: unknown;
  /** When the instance was created (ms): the event's `timestamp`. */
  createdAt: number;
  output?: unknown;
  error?: RecordedError;
  /** True when sensitive outputs were exported in clear. */
  includeSensitive: boolean;
  /** The steps `run` called, in start order. */
  steps: RecordedStep[];
};

/** `do "charge" #1`: how messages name a step. */
export function describeStep(step: ReplayStepRef): string {
  return `${step.type} "${step.name}" #${step.count}`;
}

/** The key the engine journals a step under, and the replay looks it up by. */
export function stepKey(step: ReplayStepRef): string {
  return `${step.type}:${step.count}:${step.name}`;
}

/** What a sensitive output reads when the export did not include it. */
export const REDACTED = "[REDACTED]";

/** True for a step config declaring `sensitive: "output"`. */
export function isSensitiveConfig(config: unknown): boolean {
  return (
    typeof config === "object" &&
    config !== null &&
    (config as Record<string, unknown>).sensitive === "output"
  );
}
