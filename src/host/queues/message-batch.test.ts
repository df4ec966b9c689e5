// The batch a queue handler receives: frozen messages, and retry delays checked against the
// 24-hour limit with an error naming the value.

import { describe, expect, it } from "vitest";
import { BatchOutcome, createMessageBatch } from "./message-batch.js";
import { QueueTypeError } from "./queue-errors.js";

const delivered = [{ id: "m1", timestamp: new Date(0), body: { a: 1 }, attempts: 1 }];

describe("createMessageBatch", () => {
  it("hands out frozen messages and records the handler's calls", () => {
    const outcome = new BatchOutcome(() => {});
    const batch = createMessageBatch("jobs", delivered, outcome);
    expect(Object.isFrozen(batch.messages)).toBe(true);
    expect(Object.isFrozen(batch.messages[0])).toBe(true);
    batch.messages[0]!.retry({ delaySeconds: 86_400 });
    expect(outcome.decide("m1", false)).toEqual({ retry: true, delaySeconds: 86_400 });
  });

  it("refuses a retry delay outside 0 to 86400 seconds, naming it", () => {
    const batch = createMessageBatch("jobs", delivered, new BatchOutcome(() => {}));
    for (const delaySeconds of [-1, 86_401, 0.5, Number.NaN]) {
      expect(() => batch.messages[0]!.retry({ delaySeconds })).toThrow(QueueTypeError);
    }
    expect(() => batch.retryAll({ delaySeconds: 90_000 })).toThrow(
      "retryAll(): delaySeconds must be a whole number of seconds from 0 to 86400, got 90000",
    );
  });
});
