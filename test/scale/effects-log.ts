// The effects file shared by the worker processes of a scale-out test: each step callback appends
// `start <worker> <incarnation> <instance> <step> <attempt>` when it begins, and the workflow appends
// `committed <worker> <incarnation> <instance> <step>` once `step.do` returned (its result is then
// durable). Appends are single write(2) calls with O_APPEND, so lines from several processes
// never mix and their order in the file is the order in which they happened.

import { appendFileSync, readFileSync } from "node:fs";

export type Effect =
  | { kind: "start"; worker: number; inc: number; instance: string; step: string; attempt: number }
  | { kind: "committed"; worker: number; inc: number; instance: string; step: string };

export class EffectsLog {
  private readonly path: string;
  private readonly tag: string;

  constructor(path: string, worker: number, incarnation: number) {
    this.path = path;
    this.tag = `${worker} ${incarnation}`;
  }

  start(instance: string, step: string, attempt: number): void {
    appendFileSync(this.path, `start ${this.tag} ${instance} ${step} ${attempt}\n`);
  }

  committed(instance: string, step: string): void {
    appendFileSync(this.path, `committed ${this.tag} ${instance} ${step}\n`);
  }
}

/** The file's lines in order; a malformed line fails the read instead of being skipped. */
export function readEffects(path: string): Effect[] {
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line, i) => {
      const [kind, worker, inc, instance, step, attempt] = line.split(" ");
      const common = { worker: Number(worker), inc: Number(inc), instance: instance!, step: step! };
      if (kind === "start" && attempt) return { kind, ...common, attempt: Number(attempt) };
      if (kind === "committed" && step) return { kind, ...common };
      throw new Error(`effects line ${i + 1} is malformed: ${JSON.stringify(line)}`);
    });
}
