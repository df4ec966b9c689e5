// The effects file of the crash test: the child appends one line per side effect with
// appendFileSync (the bytes are in the kernel when the call returns, so a SIGKILL cannot lose
// them), and the parent parses the file afterwards. Lines, space-separated:
//   start <incarnation> <instance> <step> <attempt>        first thing a step callback does
//   end <incarnation> <instance> <step> <attempt> ok|fail  last thing it does before returning/throwing
//   committed <incarnation> <instance> <step>              workflow code, right after `await step.do`
//                                                          settled (a result, or its final failure)
//   rb-start <incarnation> <instance> <step> <ms>          first thing a rollback handler does
//   rb-end <incarnation> <instance> <step> ok|fail <ms> <verdict> <ctx.attempt>
//                                                          last thing it does (verdict: see rollback-handler.ts)
// <ms> is Date.now() in the child, the clock the engine stamps the log with.

import { appendFileSync, readFileSync } from "node:fs";

export type EffectLine =
  | { kind: "start"; inc: number; instance: string; step: string; attempt: number }
  | { kind: "end"; inc: number; instance: string; step: string; attempt: number; ok: boolean }
  | { kind: "committed"; inc: number; instance: string; step: string }
  | { kind: "rb-start"; inc: number; instance: string; step: string; at: number }
  | {
      kind: "rb-end";
      inc: number;
      instance: string;
      step: string;
      ok: boolean;
      at: number;
      verdict: string;
      ctxAttempt: number;
    };

export type StepEffectLine = Extract<EffectLine, { kind: "start" | "end" | "committed" }>;
export type RollbackEffectLine = Extract<EffectLine, { kind: "rb-start" | "rb-end" }>;

export function isRollbackLine(line: EffectLine): line is RollbackEffectLine {
  return line.kind === "rb-start" || line.kind === "rb-end";
}

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

  rollbackStart(instance: string, step: string): void {
    this.append(`rb-start ${this.incarnation} ${instance} ${step} ${Date.now()}`);
  }

  rollbackEnd(instance: string, step: string, ok: boolean, verdict: string, ctxAttempt: number): void {
    const result = ok ? "ok" : "fail";
    this.append(
      `rb-end ${this.incarnation} ${instance} ${step} ${result} ${Date.now()} ${verdict} ${ctxAttempt}`,
    );
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
  if (kind === "rb-start" || kind === "rb-end") return parseRollbackLine(line, bad);
  if (kind === "committed") return { kind, inc: Number(inc), instance, step };
  if (kind === "start" && attempt)
    return { kind, inc: Number(inc), instance, step, attempt: Number(attempt) };
  if (kind === "end" && attempt && (result === "ok" || result === "fail")) {
    return { kind, inc: Number(inc), instance, step, attempt: Number(attempt), ok: result === "ok" };
  }
  throw bad();
}

function parseRollbackLine(line: string, bad: () => Error): RollbackEffectLine {
  const [kind, inc, instance, step, a, b, c, d] = line.split(" ") as string[];
  const common = { inc: Number(inc), instance: instance!, step: step! };
  if (kind === "rb-start" && a) return { kind, ...common, at: Number(a) };
  if (kind === "rb-end" && (a === "ok" || a === "fail") && b && c && d) {
    return { kind, ...common, ok: a === "ok", at: Number(b), verdict: c, ctxAttempt: Number(d) };
  }
  throw bad();
}
