// Merging the workers' expositions: one HELP and TYPE per family, every sample labelled with its
// worker (labelled or not, histogram lines included), the worker gauges, and a comment naming
// each worker left out. The result must parse as Prometheus text.

import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { mergeWorkerMetrics } from "./merge-metrics.js";

const text = (started: number, lag: number) => `# HELP cairn_instances_started_total Instances started.
# TYPE cairn_instances_started_total counter
cairn_instances_started_total{workflow="a"} ${started}
cairn_instances_started_total{workflow="b, c"} 1

# HELP cairn_step_duration_seconds Step durations.
# TYPE cairn_step_duration_seconds histogram
cairn_step_duration_seconds_bucket{le="0.1",workflow="a"} 1
cairn_step_duration_seconds_bucket{le="+Inf",workflow="a"} 2
cairn_step_duration_seconds_sum{workflow="a"} 0.5
cairn_step_duration_seconds_count{workflow="a"} 2

# HELP nodejs_eventloop_lag_seconds Lag of event loop in seconds.
# TYPE nodejs_eventloop_lag_seconds gauge
nodejs_eventloop_lag_seconds ${lag}
`;

describe("mergeWorkerMetrics", () => {
  it("puts the workers' series side by side under one HELP and TYPE per family", () => {
    const merged = mergeWorkerMetrics(
      [
        { worker: 2, text: text(5, 0.02) },
        { worker: 1, text: text(3, 0.01) },
      ],
      [],
      2,
    );
    expect(merged.match(/^# TYPE cairn_instances_started_total /gm)).toHaveLength(1);
    expect(merged.match(/^# HELP nodejs_eventloop_lag_seconds /gm)).toHaveLength(1);
    expect(merged).toContain('cairn_instances_started_total{worker="1",workflow="a"} 3\n');
    expect(merged).toContain('cairn_instances_started_total{worker="2",workflow="b, c"} 1\n');
    expect(merged).toContain('cairn_step_duration_seconds_bucket{worker="2",le="+Inf",workflow="a"} 2\n');
    expect(merged).toContain('nodejs_eventloop_lag_seconds{worker="1"} 0.01\n');
    expect(merged).toContain('nodejs_eventloop_lag_seconds{worker="2"} 0.02\n');
    expect(merged).not.toContain("left out");

    const families = new Map(parsePrometheusTextFormat(merged).map((f) => [f.name, f]));
    expect(families.get("cairn_workers")?.metrics[0]?.value).toBe("2");
    expect(families.get("cairn_workers_scraped")?.metrics[0]?.value).toBe("2");
    const started = families.get("cairn_instances_started_total")!;
    expect(started.type).toBe("COUNTER");
    expect(started.metrics.map((m) => [m.labels?.worker, m.labels?.workflow, m.value])).toEqual([
      ["1", "a", "3"],
      ["1", "b, c", "1"],
      ["2", "a", "5"],
      ["2", "b, c", "1"],
    ]);
    expect(families.get("cairn_step_duration_seconds")?.type).toBe("HISTOGRAM");
    expect(merged).toContain('cairn_step_duration_seconds_count{worker="1",workflow="a"} 2\n');
    expect(merged).toContain('cairn_step_duration_seconds_count{worker="2",workflow="a"} 2\n');
  });

  it("names the workers left out and counts only those scraped", () => {
    const merged = mergeWorkerMetrics(
      [{ worker: 1, text: text(1, 0) }],
      [
        { worker: 3, reason: "not running" },
        { worker: 2, reason: "no answer within 2000 ms" },
      ],
      3,
    );
    expect(merged.split("\n").slice(0, 2)).toEqual([
      "# worker 2 is left out of this scrape: no answer within 2000 ms",
      "# worker 3 is left out of this scrape: not running",
    ]);
    const families = new Map(parsePrometheusTextFormat(merged).map((f) => [f.name, f]));
    expect(families.get("cairn_workers")?.metrics[0]?.value).toBe("3");
    expect(families.get("cairn_workers_scraped")?.metrics[0]?.value).toBe("1");
  });

  it("labels a sample with empty braces", () => {
    expect(mergeWorkerMetrics([{ worker: 4, text: "up{} 1\n" }], [], 4)).toContain('up{worker="4"} 1\n');
  });
});
