// Checks the statuses the last incarnation reported: every instance complete with the output
// its workflow must produce (the rollback workflow's: errored with the original error). Also derives, per instance, the step names the effects check
// expects, and the events each collector received (checked against the store by check-store).

import { isDeepStrictEqual } from "node:util";
import type { InstanceStatus } from "cairn";
import { type EffectLine, isRollbackLine } from "./effects.js";
import {
  expectedEnd,
  expectedOutput,
  expectedStepNames,
  type Pay,
  type PlannedInstance,
} from "./workflows.js";

export type OutputsReport = {
  violations: string[];
  /** The step names each instance must have committed, by id. */
  expectedSteps: Map<string, string[]>;
  /** What each collector received; undefined if it did not complete. */
  received: Map<string, Pay[] | undefined>;
};

export function checkOutputs(
  planned: PlannedInstance[],
  statuses: Map<string, InstanceStatus>,
  lines: EffectLine[],
): OutputsReport {
  const violations: string[] = [];
  const expectedSteps = new Map<string, string[]>();
  const received = new Map<string, Pay[] | undefined>();
  for (const p of planned) {
    const status = statuses.get(p.id);
    const end = expectedEnd(p);
    if (status?.status !== end.status) {
      violations.push(`${p.id} did not end ${end.status}: ${JSON.stringify(status)}`);
      // Still check the steps it ran, without requiring the ones it never reached.
      expectedSteps.set(p.id, [
        ...new Set(lines.filter((l) => l.instance === p.id && !isRollbackLine(l)).map((l) => l.step)),
      ]);
      if (p.binding === "COLLECTOR") received.set(p.id, undefined);
      continue;
    }
    if (p.binding === "COLLECTOR") {
      const got = (status.output as { got: Pay[] }).got;
      received.set(p.id, got);
      expectedSteps.set(p.id, expectedStepNames(p, got.length));
      continue;
    }
    if (end.status === "errored") {
      if (!isDeepStrictEqual(status.error, end.error)) {
        violations.push(
          `${p.id} ended with error ${JSON.stringify(status.error)}, expected ${JSON.stringify(end.error)}`,
        );
      }
      expectedSteps.set(p.id, expectedStepNames(p, 0));
      continue;
    }
    const want = expectedOutput(p);
    if (!isDeepStrictEqual(status.output, want)) {
      violations.push(`${p.id} output ${JSON.stringify(status.output)}, expected ${JSON.stringify(want)}`);
    }
    expectedSteps.set(p.id, expectedStepNames(p, 0));
  }
  return { violations, expectedSteps, received };
}
