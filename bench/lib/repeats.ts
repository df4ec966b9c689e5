// A workload run several times measures the machine's moment as much as the code: on this kind of
// virtual machine the same code reads up to a fifth apart from one run to the next. The runner
// therefore runs each workload several times (`--repeat`, default 3) and reports, per figure,
// the median of the runs and their spread (lowest and highest); targets are judged on the median.

import type { WorkloadResult } from "./harness.js";

/** Lowest and highest of one figure over the runs of its workload. */
export type Spread = { min: number; max: number };

/** The median of `values` (the mean of the middle two when their number is even); NaN when empty. */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * One result standing for several runs of a workload: each metric the median of that metric over
 * the runs that reported it, with its spread; the notes and store calls of the run whose duration
 * is the median one, so they describe a real run; the duration the median of the durations.
 */
export function medianResult(runs: WorkloadResult[]): WorkloadResult & { spread: Record<string, Spread> } {
  if (runs.length === 0) throw new Error("medianResult needs at least one run");
  const names = new Set(runs.flatMap((r) => Object.keys(r.metrics)));
  const metrics: Record<string, number> = {};
  const spread: Record<string, Spread> = {};
  for (const name of names) {
    const values = runs.map((r) => r.metrics[name]).filter((v): v is number => typeof v === "number");
    const finite = values.filter(Number.isFinite);
    metrics[name] = finite.length > 0 ? median(finite) : values[0]!;
    if (finite.length > 1) spread[name] = { min: Math.min(...finite), max: Math.max(...finite) };
  }
  const byDuration = [...runs].sort((a, b) => a.durationMs - b.durationMs);
  const typical = byDuration[(byDuration.length - 1) >> 1]!;
  return {
    ...typical,
    metrics,
    spread,
    runs: runs.length,
    durationMs: median(runs.map((r) => r.durationMs)),
  };
}
