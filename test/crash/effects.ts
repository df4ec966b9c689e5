// The effects file of the crash test: the child appends one line per side effect with
// appendFileSync (the bytes are in the kernel when the call returns, so a SIGKILL cannot lose
// them), and the parent parses the file afterwards. Lines, space-separated:
//   start <incarnation> <instance> <step> <attempt>        first thing a step callback does
//   end <incarnation> <instance> <step> <attempt> ok|fail  last thing it does before returning/throwing
//   committed <incarnation> <instance> <step>              workflow code, right after `await step.do`

import { appendFileSync, readFileSync } from "node:fs";

export type EffectLine =
  | { kind: "start"; inc: number; instance: string; step: string; attempt: number }
  | { kind: "end"; inc: number; instance: string; step: string; attempt: number; ok: boolean }
  | { kind: "committed"; inc: number; instance: string; step: string };

/** The child's writer; one per incarnation. */
export class Effects {
  readonly path: string;
  readonly incarnation: number;

  constructor(path: string, incarnation: number) {
    this.path = path;
    this.incarnation = incarnation;
  }

  start(instance: string, step: string, attempt: number): void {
    this.append(`start ${this.incarnation} ${instance} ${step} ${attempt}`);
  }

  end(instance: string, step: string, attempt: number, ok: boolean): void {
    this.append(`end ${this.incarnation} ${instance} ${step} ${attempt} ${ok ? "ok" : "fail"}`);
  }

  committed(instance: string, step: string): void {
    this.append(`committed ${this.incarnation} ${instance} ${step}`);
  }

  private append(line: string): void {
    appendFileSync(this.path, `${line}\n`);
  }
}

/** Reads the effects file in write order. A malformed line is an error, never skipped. */
export function readEffects(path: string): EffectLine[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line, index) => parseLine(line, index + 1));
}

function parseLine(line: string, lineNo: number): EffectLine {
  const [kind, inc, instance, step, attempt, result] = line.split(" ");
  const bad = () => new Error(`effects line ${lineNo} is malformed: ${JSON.stringify(line)}`);
  if (!inc || !instance || !step) throw bad();
  if (kind === "committed") return { kind, inc: Number(inc), instance, step };
  if (kind === "start" && attempt)
    return { kind, inc: Number(inc), instance, step, attempt: Number(attempt) };
  if (kind === "end" && attempt && (result === "ok" || result === "fail")) {
    return { kind, inc: Number(inc), instance, step, attempt: Number(attempt), ok: result === "ok" };
  }
  throw bad();
}
