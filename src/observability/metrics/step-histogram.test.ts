// The step path's histogram must expose exactly what prom-client's own histogram would for the
// same observations (buckets, sum, count, label order, +Inf), and reset with the registry.

import { Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { StepHistogram } from "./step-histogram.js";

const BUCKETS = [0.001, 0.01, 0.1, 1];
const OBSERVED: [string, string, number][] = [
  ["orders", "success", 0.0004],
  ["orders", "success", 0.001],
  ["orders", "success", 0.05],
  ["orders", "failure", 2],
  ["billing", "timeout", 0.3],
];

describe("StepHistogram", () => {
  it("exposes the same text as prom-client's histogram for the same observations", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const options = {
      name: "x_seconds",
      help: "How long.",
      labelNames: ["workflow", "outcome"],
      buckets: BUCKETS,
    };
    const fast = new StepHistogram({ ...options, registers: [ours] });
    const reference = new Histogram({ ...options, registers: [theirs] });
    for (const [workflow, outcome, value] of OBSERVED) {
      fast.labels(workflow, outcome).observe(value);
      reference.labels(workflow, outcome).observe(value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it("keeps one series per label set and resets with the registry", async () => {
    const registry = new Registry();
    const histogram = new StepHistogram({
      name: "y_seconds",
      help: "How long.",
      labelNames: ["workflow"],
      buckets: BUCKETS,
      registers: [registry],
    });
    expect(histogram.labels("a")).toBe(histogram.labels("a"));
    histogram.labels("a").observe(0.5);
    expect(histogram.labels("a").count).toBe(1);
    registry.resetMetrics();
    expect(histogram.labels("a").count).toBe(0);
    expect(await registry.metrics()).toContain('y_seconds_bucket{le="+Inf",workflow="a"} 0');
  });
});
