// Reading exported histories: the current format with every kind of step outcome, the first
// format where it can be read, and every way a document can fail to be a history, each refused
// with a stable code and a message naming the field.

import { describe, expect, it } from "vitest";
import { HistoryError } from "./history-error.js";
import { readHistory } from "./read-history.js";

function v2(steps: unknown[], extra: Record<string, unknown> = {}, instance: Record<string, unknown> = {}) {
  return {
    format: "cairn.instance-history/2",
    exported_at: "2026-12-04T10:05:00.000Z",
    server: "http://localhost:8787",
    workflow: "orders",
    id: "o-1",
    include_sensitive: false,
    instance: {
      id: "o-1",
      workflow: "orders",
      status: "waiting",
      trigger: "api",
      created_at: "2026-12-04T10:00:00.000Z",
      params: { n: 1 },
      steps,
      ...instance,
    },
    streams: {},
    log: [],
    ...extra,
  };
}

const step = (key: string, fields: Record<string, unknown>) => {
  const [type, count, ...name] = key.split(":");
  return { key, type, name: name.join(":"), count: Number(count), ...fields };
};

function refused(input: unknown): HistoryError {
  try {
    readHistory(input);
  } catch (error) {
    expect(error).toBeInstanceOf(HistoryError);
    return error as HistoryError;
  }
  throw new Error("the history was read");
}

describe("readHistory, format /2", () => {
  it("reads each outcome: values, streams, redacted, events, failures, timeouts, unfinished steps", () => {
    const history = readHistory(
      JSON.stringify(
        v2(
          [
            step("do:1:a", { status: "succeeded", output: { x: 1 } }),
            step("do:1:none", { status: "succeeded" }),
            step("do:1:secret", {
              status: "succeeded",
              config: { sensitive: "output" },
              output: "[REDACTED]",
            }),
            step("do:1:text", { status: "succeeded", output: "[REDACTED]" }),
            step("do:1:blob", { status: "succeeded", stream: { bytes: 2, preview: "hi" } }),
            step("do:1:bad", {
              status: "failed",
              error: { name: "NonRetryableError", message: "no", extra: 1 },
            }),
            step("sleep:1:nap", { status: "succeeded" }),
            step("waitForEvent:1:ok", {
              status: "succeeded",
              event: { type: "ok", payload: [1], sent_at: "2026-12-04T10:01:00.000Z" },
            }),
            step("waitForEvent:2:ok", {
              status: "failed",
              error: { name: "WorkflowTimeoutError", message: "late" },
              timed_out: true,
            }),
            step("rollback:do:1:a", { type: "rollback", name: "a", count: 1, status: "succeeded" }),
            step("do:2:a", { status: "retrying", error: { name: "Error", message: "again" } }),
          ],
          { streams: { "do:1:blob": { bytes: 2, base64: Buffer.from("hi").toString("base64") } } },
        ),
      ),
    );
    expect(history).toMatchObject({
      workflow: "orders",
      id: "o-1",
      status: "waiting",
      trigger: "api",
      params: { n: 1 },
      createdAt: Date.parse("2026-12-04T10:00:00.000Z"),
      includeSensitive: false,
    });
    expect(history.steps.map((s) => [s.key, s.index, s.outcome])).toEqual([
      ["do:1:a", 0, { kind: "value", value: { x: 1 } }],
      ["do:1:none", 1, { kind: "value", value: undefined }],
      ["do:1:secret", 2, { kind: "redacted" }],
      ["do:1:text", 3, { kind: "value", value: "[REDACTED]" }],
      ["do:1:blob", 4, { kind: "stream", bytes: new Uint8Array(Buffer.from("hi")) }],
      [
        "do:1:bad",
        5,
        { kind: "error", error: { name: "NonRetryableError", message: "no" }, timedOut: false },
      ],
      ["sleep:1:nap", 6, { kind: "value", value: undefined }],
      [
        "waitForEvent:1:ok",
        7,
        {
          kind: "event",
          event: { type: "ok", payload: [1], sentAt: Date.parse("2026-12-04T10:01:00.000Z") },
        },
      ],
      [
        "waitForEvent:2:ok",
        8,
        { kind: "error", error: { name: "WorkflowTimeoutError", message: "late" }, timedOut: true },
      ],
      ["do:2:a", 9, { kind: "unfinished", status: "retrying" }],
    ]);
  });

  it("keeps a sensitive output that was exported in clear", () => {
    const history = readHistory(
      v2(
        [step("do:1:secret", { status: "succeeded", config: { sensitive: "output" }, output: "[REDACTED]" })],
        {
          include_sensitive: true,
        },
      ),
    );
    expect(history.steps[0]?.outcome).toEqual({ kind: "value", value: "[REDACTED]" });
  });

  it("reads the instance's ending", () => {
    const complete = readHistory(v2([], {}, { status: "complete", output: { done: true } }));
    expect(complete).toMatchObject({ status: "complete", output: { done: true } });
    const errored = readHistory(v2([], {}, { status: "errored", error: { name: "Error", message: "x" } }));
    expect(errored.error).toEqual({ name: "Error", message: "x" });
  });
});

describe("readHistory refuses", () => {
  it.each([
    ["text that is not JSON", "{nope", /^\(history\.invalid\) the history is not JSON: /],
    ["something that is not an object", [1], /the history: expected an object, got an array$/],
    [
      "a document without a format",
      { instance: {} },
      /format: expected "cairn\.instance-history\/2" .*got nothing$/,
    ],
    ["another kind of document", { format: "something/2" }, /format: .*got "something\/2"$/],
    [
      "a history without instance",
      { format: "cairn.instance-history/2" },
      /instance: expected an object, got nothing$/,
    ],
    [
      "an instance without steps",
      v2([], {}, { steps: undefined }),
      /instance\.steps: expected an array, got nothing$/,
    ],
    [
      "a step without a count",
      v2([{ key: "do:1:a", type: "do", name: "a", status: "succeeded" }]),
      /instance\.steps\[0\]\.count: expected a whole number of 1 or more, got nothing$/,
    ],
    [
      "a step of an unknown type",
      v2([step("jump:1:a", { status: "succeeded" })]),
      /instance\.steps\[0\]\.type: expected do, sleep, waitForEvent, rollback or termination, got "jump"$/,
    ],
    [
      "the same step twice",
      v2([step("do:1:a", { status: "succeeded" }), step("do:1:a", { status: "succeeded" })]),
      /instance\.steps\[1\]: a second step with key "do:1:a"$/,
    ],
    [
      "a failure without its error",
      v2([step("do:1:a", { status: "failed" })]),
      /instance\.steps\[0\]\.error: expected an object, got nothing$/,
    ],
    [
      "an output cut to a preview",
      v2([step("do:1:a", { status: "succeeded", output_truncated: { bytes: 9, preview: "" } })]),
      /instance\.steps\[0\]\.output_truncated: the output was cut to a preview/,
    ],
    [
      "params cut to a preview",
      v2([], {}, { params: undefined, params_truncated: { bytes: 9, preview: "" } }),
      /instance\.params_truncated: the params was cut/,
    ],
    [
      "a stream without its bytes",
      v2([step("do:1:blob", { status: "succeeded", stream: { bytes: 2 } })]),
      /streams\["do:1:blob"\]: missing; the stream step at instance\.steps\[0\] needs its bytes/,
    ],
    [
      "a wait without its event",
      v2([step("waitForEvent:1:w", { status: "succeeded" })]),
      /instance\.steps\[0\]\.event: expected an object, got nothing$/,
    ],
    [
      "a bad time",
      v2([], {}, { created_at: "yesterday" }),
      /instance\.created_at: expected an ISO 8601 time, got a string$/,
    ],
    [
      "a bad include_sensitive",
      v2([], { include_sensitive: "yes" }),
      /include_sensitive: expected true or false, got a string$/,
    ],
  ])("%s, as history.invalid", (_what, input, message) => {
    const error = refused(input);
    expect(error.code).toBe("history.invalid");
    expect(error.message).toMatch(message);
  });

  it("a format version it does not read, as history.unsupported_format", () => {
    const error = refused({ format: "cairn.instance-history/3" });
    expect(error.code).toBe("history.unsupported_format");
    expect(error.message).toBe(
      '(history.unsupported_format) format: this Cairn reads "cairn.instance-history/2" and ' +
        '"cairn.instance-history/1", got "cairn.instance-history/3"; replay it with the Cairn version ' +
        "that exported it, or export it again",
    );
  });
});

/** What the REST details of an errored instance look like (the /1 export's `instance`). */
const erroredInstance = {
  id: "order-42",
  status: "errored",
  params: { orderId: 42 },
  trigger: { source: "api" },
  queued: "2026-12-04T10:00:00.000Z",
  success: false,
  output: null,
  error: { name: "Error", message: "card declined" },
  steps: [
    { type: "step", name: "reserve-1", success: true, output: { items: ["lamp"] }, attempts: [] },
    { type: "sleep", name: "cool off-1", finished: true, error: null },
    {
      type: "waitForEvent",
      name: "approval-1",
      finished: true,
      error: null,
      output: { type: "approval", payload: { approved: true }, timestamp: "2026-12-04T10:00:02.000Z" },
    },
    {
      type: "step",
      name: "charge card-1",
      success: false,
      // Older servers left a failed step's own error out: the last attempt's stands in.
      attempts: [
        { success: false, error: { name: "Error", message: "card network down" } },
        { success: false, error: { name: "Error", message: "card declined" } },
      ],
    },
    { type: "step", name: "rollback: reserve-1", rollback_of: "do:1:reserve", success: true },
  ],
};

describe("readHistory, format /1", () => {
  const v1 = (instance: unknown) => ({
    format: "cairn.instance-history/1",
    exported_at: "2026-12-04T10:05:00.000Z",
    server: "http://localhost:8787",
    workflow: "orders",
    id: "order-42",
    instance,
    log: [],
  });

  it("reads the REST details: names with their count, events, failures", () => {
    const history = readHistory(v1(erroredInstance));
    expect(history).toMatchObject({
      format: "cairn.instance-history/1",
      status: "errored",
      params: { orderId: 42 },
      error: { name: "Error", message: "card declined" },
      createdAt: Date.parse("2026-12-04T10:00:00.000Z"),
    });
    expect(history.steps.map((s) => [s.key, s.outcome.kind])).toEqual([
      ["do:1:reserve", "value"],
      ["sleep:1:cool off", "value"],
      ["waitForEvent:1:approval", "event"],
      ["do:1:charge card", "error"],
    ]);
    expect(history.steps[3]?.outcome).toEqual({
      kind: "error",
      error: { name: "Error", message: "card declined" },
      timedOut: false,
    });
  });

  it("refuses a /1 history holding a stream result: it kept no bytes", () => {
    const instance = {
      ...erroredInstance,
      steps: [{ type: "step", name: "blob-1", success: true, output: "[ReadableStream]" }],
    };
    const error = refused(v1(instance));
    expect(error.code).toBe("history.unsupported_format");
    expect(error.message).toContain("export the instance again");
  });

  it("refuses a /1 step name without its count", () => {
    const error = refused(
      v1({ ...erroredInstance, steps: [{ type: "sleep", name: "nap", finished: true }] }),
    );
    expect(error.message).toMatch(/instance\.steps\[0\]\.name: expected a step name with its count/);
  });
});
