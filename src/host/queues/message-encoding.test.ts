// The default content type follows the compatibility date and flags as on Cloudflare: "json" from
// 2024-03-18 (or with queues_json_messages), "v8" before it.

import { describe, expect, it } from "vitest";
import { defaultContentType } from "./message-encoding.js";

describe("defaultContentType", () => {
  it("is json from 2024-03-18 and without a date, v8 before, flags overriding the date", () => {
    expect(defaultContentType({ date: "2024-03-18", flags: [] })).toBe("json");
    expect(defaultContentType({ date: undefined, flags: [] })).toBe("json");
    expect(defaultContentType({ date: "2024-03-17", flags: [] })).toBe("v8");
    expect(defaultContentType({ date: "2023-01-01", flags: ["queues_json_messages"] })).toBe("json");
    expect(defaultContentType({ date: "2025-01-01", flags: ["no_queues_json_messages"] })).toBe("v8");
  });
});
