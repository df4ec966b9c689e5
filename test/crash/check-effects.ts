// Checks the effects file of a crash run against the durability rule: a step whose outcome was
// committed never runs again, and a step runs more often than its own failures require only
// when a kill interrupted it, at most once per kill. Pure: lines in, violations out. Rollback
// handlers' lines are check-rollbacks.ts's business and are skipped here.

import { type EffectLine, isRollbackLine, type StepEffectLine } from "./effects.js";
import { mayFail } from "./workflows.js";

export type EffectsReport = {
  violations: string[];
  /** Step starts in all. */
  starts: number;
  /** Starts beyond what the steps' own failures explain (each one a kill in flight). */
  extraStarts: number;
  /** Killed incarnations in which at least one step was in flight. */
  killsWithStepInFlight: number;
  /** The attempt number of the last start of each step, by `instance/step`. */
  lastAttempt: Map<string, number>;
};

/**
 * @param expected the step names each instance must have committed, by instance id.
 * @param killed the incarnations that were ended by SIGKILL (all others closed cleanly).
 * @param timedOut the attempts the log records as timed out, as `instance/step#attempt`: the
 *   engine, not the callback, decided that they failed (a callback cannot log that end).
 */
export function checkEffects(
  lines: EffectLine[],
  expected: Map<string, string[]>,
  killed: Set<number>,
  timedOut: Set<string> = new Set(),
): EffectsReport {
  const violations: string[] = [];
  const byStep = new Map<string, StepEffectLine[]>();
  for (const line of lines) {
    if (isRollbackLine(line)) continue;
    const key = `${line.instance}/${line.step}`;
    if (!expected.get(line.instance)?.includes(line.step)) violations.push(`unexpected step ${key}`);
    const list = byStep.get(key) ?? [];
    list.push(line);
    byStep.set(key, list);
  }
  let starts = 0;
  let extraStarts = 0;
  const inFlightKills = new Set<number>();
  const lastAttempt = new Map<string, number>();
  for (const [instance, names] of expected) {
    for (const name of names) {
      const key = `${instance}/${name}`;
      const own = byStep.get(key) ?? [];
      const result = checkStep(key, own, killed, timedOut);
      violations.push(...result.violations);
      starts += result.starts;
      extraStarts += result.extra;
      for (const inc of result.interrupted) inFlightKills.add(inc);
      if (result.lastAttempt !== undefined) lastAttempt.set(key, result.lastAttempt);
    }
  }
  return { violations, starts, extraStarts, killsWithStepInFlight: inFlightKills.size, lastAttempt };
}

function checkStep(key: string, lines: StepEffectLine[], killed: Set<number>, timedOut: Set<string>) {
  const violations: string[] = [];
  const firstCommit = lines.findIndex((l) => l.kind === "committed");
  if (firstCommit < 0) violations.push(`${key} was never committed`);
  const startsByInc = new Map<number, (StepEffectLine & { kind: "start" })[]>();
  const ends = new Map<string, boolean>();
  const committedIn = new Set<number>();
  /** The last start of each attempt number (a kill can make the next process repeat one). */
  const lastStart = new Map<number, StepEffectLine>();
  let lastAttempt: number | undefined;
  lines.forEach((line, index) => {
    if (line.kind === "committed") committedIn.add(line.inc);
    if (line.kind === "end") ends.set(`${line.inc}:${line.attempt}`, line.ok);
    if (line.kind !== "start") return;
    lastAttempt = line.attempt;
    lastStart.set(line.attempt, line);
    if (firstCommit >= 0 && index > firstCommit) {
      const c = lines[firstCommit]!;
      violations.push(
        `${key} ran again (incarnation ${line.inc}, attempt ${line.attempt}) after its result was committed (incarnation ${c.inc})`,
      );
    }
    const list = startsByInc.get(line.inc) ?? [];
    list.push(line);
    startsByInc.set(line.inc, list);
  });
  let starts = 0;
  let extra = 0;
  const interrupted: number[] = [];
  for (const [inc, list] of startsByInc) {
    starts += list.length;
    let failed = 0;
    let succeeded = 0;
    for (const s of list) {
      const timeout = timedOut.has(`${key}#${s.attempt}`) && lastStart.get(s.attempt) === s;
      const ok = timeout ? false : ends.get(`${inc}:${s.attempt}`);
      if (ok === false) {
        failed += 1;
        if (!timeout && !mayFail(key.split("/")[1]!, s.attempt)) {
          violations.push(`${key} failed at attempt ${s.attempt} in incarnation ${inc}, which it never does`);
        }
      }
      if (ok === true) succeeded += 1;
    }
    // The success that this incarnation committed is expected; anything else was cut by the kill.
    const committedHere = committedIn.has(inc) && succeeded > 0 ? 1 : 0;
    const extraHere = list.length - failed - committedHere;
    if (extraHere <= 0) continue;
    extra += extraHere;
    interrupted.push(inc);
    if (!killed.has(inc)) {
      violations.push(
        `${key} ran ${extraHere} unfinished attempt(s) in incarnation ${inc}, which was not killed`,
      );
    } else if (committedIn.has(inc)) {
      violations.push(`${key} ran ${extraHere} attempt(s) besides the committed one in incarnation ${inc}`);
    } else if (extraHere > 1) {
      violations.push(`${key} ran ${extraHere} times in flight in incarnation ${inc}; one kill allows one`);
    }
  }
  return { violations, starts, extra, interrupted, lastAttempt };
}
