// Times in the CLI's output: relative to a fixed now and absolute in UTC, and durations.

import { describe, expect, it } from "vitest";
import {
  formatAbsolute,
  formatDuration,
  formatRelative,
  formatSpan,
  formatWhen,
} from "../../src/cli/workflows/format/time.js";

const now = Date.parse("2026-12-04T10:05:00.000Z");

describe("times", () => {
  it("writes absolute times in UTC to the second", () => {
    expect(formatAbsolute(Date.parse("2026-12-04T10:01:02.345Z"))).toBe("2026-12-04 10:01:02Z");
  });

  it("writes relative times in the largest unit that fits, past and future", () => {
    expect(formatRelative(now - 2_000, now)).toBe("just now");
    expect(formatRelative(now - 42_000, now)).toBe("42 s ago");
    expect(formatRelative(now - 3 * 60_000 - 58_000, now)).toBe("3 min ago");
    expect(formatRelative(now - 5 * 3_600_000, now)).toBe("5 h ago");
    expect(formatRelative(now - 47 * 3_600_000, now)).toBe("47 h ago");
    expect(formatRelative(now - 86_400_000 * 3, now)).toBe("3 days ago");
    expect(formatRelative(now + 90_000, now)).toBe("in 1 min");
    expect(formatRelative(now + 1_000, now)).toBe("in a moment");
  });

  it("puts the two side by side, and a dash for no time", () => {
    expect(formatWhen("2026-12-04T10:01:02.000Z", now)).toBe("3 min ago (2026-12-04 10:01:02Z)");
    expect(formatWhen(null, now)).toBe("-");
    expect(formatWhen("not a date", now)).toBe("-");
  });

  it("writes durations", () => {
    expect(formatDuration(9)).toBe("9 ms");
    expect(formatDuration(1_250)).toBe("1.2 s");
    expect(formatDuration(42_000)).toBe("42 s");
    expect(formatDuration(184_000)).toBe("3 min 4 s");
    expect(formatDuration(180_000)).toBe("3 min");
    expect(formatDuration(2 * 3_600_000 + 5 * 60_000)).toBe("2 h 5 min");
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000)).toBe("3 days 4 h");
  });

  it("measures a span to now while it runs", () => {
    expect(formatSpan("2026-12-04T10:00:00.000Z", "2026-12-04T10:00:07.300Z", now)).toBe("7.3 s");
    expect(formatSpan("2026-12-04T10:04:00.000Z", null, now)).toBe("1 min so far");
    expect(formatSpan(null, null, now)).toBe("-");
  });
});
