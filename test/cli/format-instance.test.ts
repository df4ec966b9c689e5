// `instances describe` rendering: the facts, the step table (type, name, status, start,
// duration, attempts, error, output), output truncation and hiding, and attempts tables only for
// steps that retried or are still trying.

import { describe, expect, it } from "vitest";
import { createColours } from "../../src/cli/workflows/format/colour.js";
import { type DescribeOptions, renderInstanceDetails } from "../../src/cli/workflows/format/instance.js";
import type { InstanceDetails } from "../../src/cli/workflows/wire-types.js";
import { erroredInstance, NOW_ISO } from "./helpers/samples.js";

const options: DescribeOptions = {
  workflow: "orders",
  id: "order-42",
  colours: createColours(false),
  now: Date.parse(NOW_ISO),
  stepOutput: true,
  outputLimit: 5000,
};

function lines(text: string): string[] {
  return text.split("\n");
}

describe("renderInstanceDetails", () => {
  it("shows the instance's facts with relative and absolute times", () => {
    const text = renderInstanceDetails(erroredInstance, options);
    expect(lines(text).slice(0, 12)).toEqual([
      "Instance order-42 of workflow orders",
      "  Status        ❌ errored",
      "  Trigger       api",
      "  Version       v-1",
      "  Queued        5 min ago (2026-12-04 10:00:00Z)",
      "  Started       4 min ago (2026-12-04 10:00:00Z)",
      "  Ended         4 min ago (2026-12-04 10:00:07Z)",
      "  Duration      7.3 s",
      "  Last success  cool off-1",
      "  Error         Error: card declined",
      '  Params        {"orderId":42}',
      "",
    ]);
  });

  it("lays out one row per step with type, status, duration, attempts, error and output", () => {
    const text = renderInstanceDetails(erroredInstance, options);
    const start = lines(text).indexOf("Steps (4)");
    expect(lines(text).slice(start, start + 6)).toEqual([
      "Steps (4)",
      "  #  TYPE          NAME           STATUS       START                             DURATION  ATTEMPTS  ERROR                 OUTPUT",
      '  1  do            reserve-1      ✅ complete  4 min ago (2026-12-04 10:00:00Z)  50 ms            1                        {"items":["lamp"]}',
      "  2  sleep         cool off-1     ✅ complete  4 min ago (2026-12-04 10:00:00Z)  1.0 s",
      '  3  waitForEvent  approval-1     ✅ received  4 min ago (2026-12-04 10:00:01Z)  250 ms                                    {"type":"approval","payload":{"approved":true},"timestamp":"2026-12-04T10:00:02.000Z"}',
      "  4  do            charge card-1  ❌ errored   4 min ago (2026-12-04 10:00:02Z)  5.6 s            3  Error: card declined",
    ]);
  });

  it("truncates outputs to --truncate-output-limit and hides them with --step-output=false", () => {
    const cut = renderInstanceDetails(erroredInstance, { ...options, outputLimit: 10 });
    expect(cut).toContain('{"items":[… [8 more characters]');
    expect(cut).toContain('{"type":"a… [76 more characters]');
    const hidden = renderInstanceDetails(erroredInstance, { ...options, stepOutput: false });
    expect(hidden).not.toContain("OUTPUT");
    expect(hidden).not.toContain("lamp");
    expect(hidden).not.toContain("approved");
    // The rest of the row stays.
    expect(hidden).toContain("  4  do            charge card-1  ❌ errored");
  });

  it("gives attempts a table for a step that retried, not for one that succeeded at once", () => {
    const text = renderInstanceDetails(erroredInstance, options);
    expect(text).toContain(
      [
        "Attempts of charge card-1 (retries: limit 2, delay 1000 ms, exponential)",
        "  #  START                             DURATION  RESULT",
        "  1  4 min ago (2026-12-04 10:00:02Z)  10 ms     ❌ Error: card declined",
        "  2  4 min ago (2026-12-04 10:00:03Z)  20 ms     ❌ Error: card declined",
        "  3  4 min ago (2026-12-04 10:00:05Z)  2.5 s     ❌ Error: card declined",
      ].join("\n"),
    );
    expect(text).not.toContain("Attempts of reserve-1");
  });

  it("shows a running instance: retrying and running steps, a pending sleep, a wait, a termination", () => {
    const running: InstanceDetails = {
      id: "r",
      status: "running",
      params: {},
      queued: "2026-12-04T10:04:00.000Z",
      start: "2026-12-04T10:04:00.000Z",
      end: null,
      steps: [
        {
          type: "step",
          name: "flaky-1",
          start: "2026-12-04T10:04:00.000Z",
          end: null,
          success: null,
          retry_at: "2026-12-04T10:05:30.000Z",
          attempts: [
            {
              start: "2026-12-04T10:04:00.000Z",
              end: "2026-12-04T10:04:01.000Z",
              success: false,
              error: { name: "Error", message: "boom" },
            },
          ],
        },
        {
          type: "step",
          name: "slow-1",
          start: "2026-12-04T10:04:30.000Z",
          end: null,
          success: null,
          attempts: [{ start: "2026-12-04T10:04:30.000Z", end: null, success: null, error: null }],
        },
        {
          type: "sleep",
          name: "nap-1",
          start: "2026-12-04T10:04:40.000Z",
          end: "2026-12-04T11:04:40.000Z",
          finished: false,
          error: null,
        },
        {
          type: "waitForEvent",
          name: "ok-1",
          start: "2026-12-04T10:04:50.000Z",
          end: null,
          finished: false,
          error: null,
          output: null,
        },
        {
          type: "step",
          name: "rollback: reserve-1",
          rollback_of: "do:1:reserve",
          start: "2026-12-04T10:04:55.000Z",
          end: "2026-12-04T10:04:56.000Z",
          success: true,
          attempts: [{ start: "2026-12-04T10:04:55.000Z", end: "2026-12-04T10:04:56.000Z", success: true }],
        },
        { type: "termination", trigger: { source: "unknown" }, start: "2026-12-04T10:04:52.000Z" },
      ],
      wake_at: "2026-12-04T11:04:40.000Z",
      waiting_for: ["ok"],
      rollback: { reason: "terminate", state: "complete" },
    };
    const text = renderInstanceDetails(running, options);
    expect(text).toContain("  Duration     1 min so far");
    expect(text).toContain('  Waiting for  event "ok"\n  Wakes        in 59 min (2026-12-04 11:04:40Z)\n');
    expect(text).toContain("  Rollback     complete (after terminate)\n");
    // Cells of the step rows (empty cells collapse when split on runs of spaces).
    const row = (n: number) =>
      lines(text)
        .find((line) => line.startsWith(`  ${n}  `) && line.includes("ago ("))!
        .trim()
        .split(/ {2,}/);
    expect(row(1)).toEqual([
      "1",
      "do",
      "flaky-1",
      "🔄 retrying in 30 s",
      "1 min ago (2026-12-04 10:04:00Z)",
      "1 min so far",
      "1",
      "Error: boom",
    ]);
    expect(row(2)).toEqual([
      "2",
      "do",
      "slow-1",
      "▶ running",
      "30 s ago (2026-12-04 10:04:30Z)",
      "30 s so far",
      "1",
    ]);
    // A sleep's end is its wake time: the duration runs to now, not to the wake time.
    expect(row(3)).toEqual([
      "3",
      "sleep",
      "nap-1",
      "💤 sleeping",
      "20 s ago (2026-12-04 10:04:40Z)",
      "20 s so far",
    ]);
    expect(row(4)).toEqual([
      "4",
      "waitForEvent",
      "ok-1",
      "👀 waiting",
      "10 s ago (2026-12-04 10:04:50Z)",
      "10 s so far",
    ]);
    expect(row(5)).toEqual([
      "5",
      "rollback",
      "rollback: reserve-1",
      "✅ complete",
      "5 s ago (2026-12-04 10:04:55Z)",
      "1.0 s",
      "1",
    ]);
    // Who terminated is not in the store: no "by unknown".
    expect(row(6)).toEqual(["6", "termination", "🚫 terminated", "8 s ago (2026-12-04 10:04:52Z)"]);
    expect(text).toContain("Attempts of slow-1");
    expect(text).toContain("▶ running");
  });

  it("says so when there are no steps yet", () => {
    const queued: InstanceDetails = { status: "queued", params: null, queued: NOW_ISO, steps: [] };
    expect(renderInstanceDetails(queued, options)).toContain("No steps yet.");
  });
});
