// The median and spread the runner reports for repeated workloads.

import { describe, expect, it } from "vitest";
import type { WorkloadResult } from "../../bench/lib/harness.js";
import { median, medianResult } from "../../bench/lib/repeats.js";

const run = (metrics: Record<string, number>, durationMs: number, note: string): WorkloadResult => ({
  id: "W1",
  title: "fan-out",
  metrics,
  notes: [note],
  durationMs,
});

describe("repeated runs", () => {
  it("takes the middle value, or the mean of the middle two", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it("reports each metric's median with its lowest and highest, and a real run's notes", () => {
    const result = medianResult([
      run({ stepsPerSecond: 30_000, p50Ms: 0.9 }, 12_000, "first"),
      run({ stepsPerSecond: 20_000, p50Ms: 1.4 }, 10_000, "second"),
      run({ stepsPerSecond: 25_000, p50Ms: 1.1, skipped: 1 }, 11_000, "third"),
    ]);
    expect(result.metrics).toEqual({ stepsPerSecond: 25_000, p50Ms: 1.1, skipped: 1 });
    expect(result.spread).toEqual({
      stepsPerSecond: { min: 20_000, max: 30_000 },
      p50Ms: { min: 0.9, max: 1.4 },
    });
    expect(result.notes).toEqual(["third"]);
    expect(result.durationMs).toBe(11_000);
    expect(result.runs).toBe(3);
  });

  it("keeps a figure no run could take as it was reported", () => {
    const result = medianResult([run({ p99Ms: Number.NaN }, 1, "a"), run({ p99Ms: Number.NaN }, 2, "b")]);
    expect(result.metrics.p99Ms).toBeNaN();
    expect(result.spread).toEqual({});
  });
});
