import { describe, expect, it } from "vitest";
import { type ErrorCode, WorkflowsError } from "../errors.js";
import {
  describeValue,
  MAX_ADDRESSABLE_ID_LENGTH,
  MAX_EVENT_TYPE_LENGTH,
  MAX_INSTANCE_ID_LENGTH,
  MAX_STEP_NAME_LENGTH,
  MAX_WORKFLOW_NAME_LENGTH,
  validateAddressableId,
  validateEventType,
  validateInstanceId,
  validateStepName,
  validateWorkflowName,
} from "./validate.js";

function expectRejected(fn: () => unknown, code: ErrorCode): WorkflowsError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WorkflowsError);
    expect((error as WorkflowsError).code).toBe(code);
    return error as WorkflowsError;
  }
  throw new Error("expected the value to be rejected");
}

describe("limits", () => {
  it("match Cloudflare's", () => {
    expect([
      MAX_WORKFLOW_NAME_LENGTH,
      MAX_INSTANCE_ID_LENGTH,
      MAX_ADDRESSABLE_ID_LENGTH,
      MAX_EVENT_TYPE_LENGTH,
      MAX_STEP_NAME_LENGTH,
    ]).toEqual([64, 100, 271, 100, 256]);
  });
});

const sharedRejects: [string, unknown][] = [
  ["empty", ""],
  ["a number", 42],
  ["undefined", undefined],
  ["null", null],
  ["an object", { id: "a" }],
  ["whitespace", "a b"],
  ["a lone space", " "],
  ["a newline", "abc\n"],
  ["punctuation", "#abc!"],
  ["a leading dash", "-abc"],
  ["a dot", "a.b"],
];

describe("validateWorkflowName", () => {
  it.each(["abc", "NAME_123-hello", "_x", "9", "a".repeat(64)])("accepts %j", (name) => {
    expect(validateWorkflowName(name)).toBe(name);
  });

  it.each([...sharedRejects, ["65 characters", "a".repeat(65)]])("rejects %s", (_label, name) => {
    expectRejected(() => validateWorkflowName(name), "workflow.invalid_name");
  });

  it("names the value and the limit", () => {
    const error = expectRejected(() => validateWorkflowName("#abc!"), "workflow.invalid_name");
    expect(error.message).toContain('"#abc!"');
    expect(error.message).toContain("64");
  });
});

describe("validateInstanceId", () => {
  it.each(["abc", "NAME_123-hello", "a".repeat(100), "0b6c2f84-9a6b-4f0e-8c55-0d5f3c7e4a10"])(
    "accepts %j",
    (id) => {
      expect(validateInstanceId(id)).toBe(id);
    },
  );

  it.each([...sharedRejects, ["101 characters", "a".repeat(101)]])("rejects %s", (_label, id) => {
    expectRejected(() => validateInstanceId(id), "instance.invalid_id");
  });

  it("rejects cron-style ids, which only the addressable rule allows", () => {
    expectRejected(() => validateInstanceId("*/30 * * * *-1786001400000"), "instance.invalid_id");
  });

  it("truncates long values in the message and names the length limit", () => {
    const error = expectRejected(() => validateInstanceId("x".repeat(5000)), "instance.invalid_id");
    expect(error.message).toContain("100");
    expect(error.message).toContain("5000 characters");
    expect(error.message.length).toBeLessThan(300);
  });
});

describe("validateAddressableId", () => {
  it.each([
    "abc",
    "a".repeat(100),
    "*/30 * * * *-1786001400000",
    "0 0 * * MON#2-1786001400000",
    "0 0 1,15 * *-1786001400000",
    "x".repeat(271),
  ])("accepts %j", (id) => {
    expect(validateAddressableId(id)).toBe(id);
  });

  it.each([
    ["a question mark", "0 0 ? * *-1786001400000"],
    ["an exclamation mark", "abc!"],
    ["272 characters", "x".repeat(272)],
    ["empty", ""],
    ["a number", 1],
    ["a newline", "0 0 * * *\n-1"],
  ])("rejects %s", (_label, id) => {
    expectRejected(() => validateAddressableId(id), "instance.invalid_id");
  });
});

describe("validateEventType", () => {
  it.each(["approval", "order-paid_2", "a".repeat(100)])("accepts %j", (type) => {
    expect(validateEventType(type)).toBe(type);
  });

  it.each([...sharedRejects, ["101 characters", "a".repeat(101)]])("rejects %s", (_label, type) => {
    expectRejected(() => validateEventType(type), "workflow.invalid_event_type");
  });

  it("rejects a dotted type and names it", () => {
    const error = expectRejected(() => validateEventType("order.paid"), "workflow.invalid_event_type");
    expect(error.message).toContain('"order.paid"');
  });
});

describe("validateStepName", () => {
  it.each(["charge card", "a", "émoji 🎉 & punctuation!?.#", "a".repeat(256)])("accepts %j", (name) => {
    expect(validateStepName(name)).toBe(name);
  });

  it.each([
    ["a NUL", "step\x00"],
    ["a newline", "line\nbreak"],
    ["a tab", "a\tb"],
    ["\\x1F", "a\x1Fb"],
    ["257 characters", "a".repeat(257)],
    ["empty", ""],
    ["a number", 1],
    ["undefined", undefined],
  ])("rejects %s", (_label, name) => {
    expectRejected(() => validateStepName(name), "step.invalid_name");
  });

  it("names the limit", () => {
    const error = expectRejected(() => validateStepName("a".repeat(257)), "step.invalid_name");
    expect(error.message).toContain("256");
  });
});

describe("describeValue", () => {
  it("renders values JSON-like", () => {
    expect(describeValue("a")).toBe('"a"');
    expect(describeValue(Number.NaN)).toBe("NaN");
    expect(describeValue(undefined)).toBe("undefined");
    expect(describeValue(10n)).toBe("10n");
    expect(describeValue({ a: 1 })).toBe('{"a":1}');
    expect(describeValue(function named() {})).toBe("a function (named)");
  });

  it("survives cycles", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(describeValue(cyclic)).toBe("[object Object]");
  });

  it("cuts long values", () => {
    const text = describeValue("b".repeat(1000));
    expect(text.length).toBeLessThan(110);
    expect(text).toContain("(1000 characters)");
  });
});

describe("the rule each id check states", () => {
  it("create's check states the instance id rule only", () => {
    const error = expectRejected(() => validateInstanceId("bad!"), "instance.invalid_id");
    expect(error.message).toContain(`1 to ${MAX_INSTANCE_ID_LENGTH} characters`);
    expect(error.message).not.toContain(String(MAX_ADDRESSABLE_ID_LENGTH));
    expect(error.message).not.toContain("cron");
  });

  it.each([
    ["a bad character", "bad!"],
    ["272 characters", "x".repeat(272)],
    ["a number", 7],
  ])("get's check, given %s, states that the longer form is for cron-created ids", (_label, id) => {
    const error = expectRejected(() => validateAddressableId(id), "instance.invalid_id");
    expect(error.message).toContain(`1 to ${MAX_INSTANCE_ID_LENGTH} characters`);
    expect(error.message).toMatch(/cron schedule created .*up to 271 characters/);
  });

  it("states its code once", () => {
    const error = expectRejected(() => validateAddressableId("bad!"), "instance.invalid_id");
    expect(error.message.split("(instance.invalid_id)")).toHaveLength(2);
  });
});
