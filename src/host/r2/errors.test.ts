// R2Error: Cloudflare's message shape and codes, its name, and recognition with `is`.

import { describe, expect, it } from "vitest";
import { badDigest, R2Error } from "./errors.js";

describe("R2Error", () => {
  it("reads '<operation>: <text> (<code>)' with Cloudflare's code and a stable reason", () => {
    const error = new R2Error("list", "InvalidMaxKeys");
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("R2Error");
    expect(error.message).toBe("list: MaxKeys params must be positive integer <= 1000. (10022)");
    expect(error).toMatchObject({ code: 10022, action: "list", reason: "InvalidMaxKeys" });
    expect(new R2Error("put", "EntityTooLarge").code).toBe(100100);
  });

  it("is recognised by is(), other errors are not", () => {
    expect(R2Error.is(new R2Error("get", "InvalidRange"))).toBe(true);
    expect(R2Error.is(badDigest("put", "MD5", "aa", "bb"))).toBe(true);
    expect(R2Error.is(new TypeError("get: x"))).toBe(false);
    expect(R2Error.is({ name: "R2Error" })).toBe(false);
  });
});
