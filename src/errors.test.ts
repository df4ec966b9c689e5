// The message rule of Cairn's errors: the codes Cloudflare's binding throws bare have the code
// as their whole message, every other error says `(code) detail`; `detail` always holds the
// explanation, and `readableMessage`/`readableStack` give people the explanation either way.

import { describe, expect, it } from "vitest";
import {
  BARE_MESSAGE_CODES,
  readableMessage,
  readableStack,
  StaleLeaseError,
  WorkflowsError,
} from "./errors.js";

describe("WorkflowsError messages", () => {
  it("makes the message of instance.not_found the bare code and keeps the explanation in detail", () => {
    const error = new WorkflowsError("instance.not_found", 'no instance "nope" in workflow "orders"');
    expect(error.message).toBe("instance.not_found");
    expect(error.code).toBe("instance.not_found");
    expect(error.detail).toBe('no instance "nope" in workflow "orders"');
    expect(error.name).toBe("WorkflowsError");
  });

  it("prefixes every other code to its detail", () => {
    const error = new WorkflowsError("instance.already_exists", 'instance "dup" already exists');
    expect(error.message).toBe('(instance.already_exists) instance "dup" already exists');
    expect(error.detail).toBe('instance "dup" already exists');
    expect(new StaleLeaseError("i1", 3).message).toBe(
      '(storage.stale_lease) instance "i1" is no longer held with lease epoch 3',
    );
  });

  it("lists exactly the codes Cloudflare's binding throws bare", () => {
    expect([...BARE_MESSAGE_CODES]).toEqual(["instance.not_found"]);
  });
});

describe("readableMessage", () => {
  it("gives a bare-code error its code and detail", () => {
    const error = new WorkflowsError("instance.not_found", 'no instance "nope" in workflow "orders"');
    expect(readableMessage(error)).toBe('(instance.not_found) no instance "nope" in workflow "orders"');
  });

  it("reads a serialized error (a log line's) the same way", () => {
    const line = JSON.parse(
      '{"type":"WorkflowsError","message":"instance.not_found","code":"instance.not_found","detail":"gone"}',
    );
    expect(readableMessage(line)).toBe("(instance.not_found) gone");
  });

  it("leaves other messages as they are", () => {
    expect(readableMessage(new WorkflowsError("batch.invalid", "empty"))).toBe("(batch.invalid) empty");
    expect(readableMessage(new Error("instance.not_found"))).toBe("instance.not_found");
    expect(readableMessage({ message: "plain", code: "plain", detail: "" })).toBe("plain");
  });
});

describe("readableStack", () => {
  it("puts the detail in the first line of a bare-code error's stack", () => {
    const error = new WorkflowsError("instance.not_found", 'no instance "nope" in workflow "orders"');
    const [head, ...frames] = readableStack(error).split("\n");
    expect(head).toBe('WorkflowsError: (instance.not_found) no instance "nope" in workflow "orders"');
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.every((frame) => frame.trim().startsWith("at "))).toBe(true);
  });

  it("returns any other error's stack unchanged", () => {
    const error = new WorkflowsError("batch.invalid", "empty");
    expect(readableStack(error)).toBe(error.stack);
  });
});
