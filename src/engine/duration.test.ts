import { describe, expect, it } from "vitest";
import { WorkflowsError } from "../errors.js";
import { formatDuration, MAX_SLEEP_MS, MS, parseDuration } from "./duration.js";

function errorOf(fn: () => unknown): WorkflowsError {
  try {
    fn();
  } catch (error) {
    if (error instanceof WorkflowsError) return error;
    throw error;
  }
  throw new Error("expected a WorkflowsError");
}

describe("MS and MAX_SLEEP_MS", () => {
  it("uses 30-day months and 365.25-day years", () => {
    expect(MS.month).toBe(2_592_000_000);
    expect(MS.year).toBe(31_557_600_000);
    expect(MAX_SLEEP_MS).toBe(31_536_000_000);
  });
});

describe("parseDuration", () => {
  it("reads numbers as milliseconds", () => {
    expect(parseDuration(0, "d")).toBe(0);
    expect(parseDuration(1500, "d")).toBe(1500);
    expect(parseDuration(2.4, "d")).toBe(2);
  });

  it("reads numeric strings as milliseconds", () => {
    expect(parseDuration("100", "d")).toBe(100);
    expect(parseDuration("1.5", "d")).toBe(2);
    expect(parseDuration("0", "d")).toBe(0);
  });

  it.each([
    ["1 second", 1000],
    ["1 minute", 60_000],
    ["1 hour", 3_600_000],
    ["1 day", 86_400_000],
    ["1 week", 604_800_000],
    ["1 month", 2_592_000_000],
    ["1 year", 31_557_600_000],
    ["7 ms", 7],
    ["7 millisecond", 7],
    ["7 milliseconds", 7],
  ])("reads every unit in the singular: %s", (text, ms) => {
    expect(parseDuration(text, "d")).toBe(ms);
  });

  it.each([
    ["2 seconds", 2000],
    ["2 minutes", 120_000],
    ["2 hours", 7_200_000],
    ["2 days", 172_800_000],
    ["2 weeks", 1_209_600_000],
    ["2 months", 5_184_000_000],
    ["2 years", 63_115_200_000],
  ])("reads every unit in the plural: %s", (text, ms) => {
    expect(parseDuration(text, "d")).toBe(ms);
  });

  it("keeps decimals until the final rounding", () => {
    expect(parseDuration("30.5 seconds", "d")).toBe(30_500);
    expect(parseDuration("1.5 hours", "d")).toBe(5_400_000);
    expect(parseDuration("0.5 year", "d")).toBe(15_778_800_000);
    expect(parseDuration("0.0015 seconds", "d")).toBe(2);
  });

  it("accepts several spaces and any letter case in the unit", () => {
    expect(parseDuration("10   minutes", "d")).toBe(600_000);
    expect(parseDuration("1 Hour", "d")).toBe(3_600_000);
  });

  it.each([
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["a negative number", -1],
    ["an unknown unit", "1 min"],
    ["a word", "soon"],
    ["the empty string", ""],
    ["a number glued to a word", "100apple"],
    ["a unit with no space", "10seconds"],
    ["a negative string", "-5 seconds"],
    ["a doubled plural", "5 mss"],
    ["a trailing space", "5 seconds "],
    ["a bare unit", "seconds"],
    ["an exponent", "1e3"],
    ["null", null],
    ["undefined", undefined],
    ["an object", { seconds: 1 }],
    ["a boolean", true],
    ["a Date", new Date(0)],
  ])("rejects %s", (_label, value) => {
    const error = errorOf(() => parseDuration(value, "sleep duration"));
    expect(error.code).toBe("step.invalid_config");
    expect(error.message).toContain("sleep duration must be a duration");
  });

  it("names the field and the value in the message and uses the given code", () => {
    const error = errorOf(() => parseDuration("1 min", "retention", "instance.invalid_options"));
    expect(error.code).toBe("instance.invalid_options");
    expect(error.message).toContain("retention");
    expect(error.message).toContain('"1 min"');
    expect(error.message).toContain("second, minute, hour, day, week, month or year");
  });

  it("rejects results too large to be exact integers", () => {
    expect(() => parseDuration("99999999999999999999 years", "d")).toThrow(/must be a duration/);
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0 ms"],
    [250, "250 ms"],
    [1000, "1 second"],
    [1500, "1.5 seconds"],
    [90_000, "1.5 minutes"],
    [3_600_000, "1 hour"],
    [2 * 86_400_000, "2 days"],
    [MAX_SLEEP_MS, "365 days"],
  ])("formats %d as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
