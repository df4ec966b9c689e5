// The API token is compared in constant time whatever the candidate's length: both sides are
// hashed to 32 bytes first and timingSafeEqual compares the digests, so a wrong token of the
// right length, a wrong one of another length, an empty one and one of 10,000 characters all go
// through the same one comparison. The test watches the comparison, not the clock.

import * as crypto from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";

const compared = vi.hoisted(() => [] as [number, number][]);

vi.mock("node:crypto", async (original) => {
  const actual = await original<typeof import("node:crypto")>();
  return {
    ...actual,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      compared.push([a.byteLength, b.byteLength]);
      return actual.timingSafeEqual(a, b);
    },
  };
});

const { RequestGuard } = await import("../../src/server/request-guard.js");

const TOKEN = "s3cret-token-of-32-characters-xx";

function request(authorization: string): Request {
  return new Request("http://localhost/cairn/api/workflows", {
    headers: { host: "localhost", authorization },
  });
}

afterEach(() => {
  compared.length = 0;
});

describe("the token comparison", () => {
  it.each([
    ["the right length, one character off", `${TOKEN.slice(0, -1)}y`],
    ["one character short", TOKEN.slice(0, -1)],
    ["one character long", `${TOKEN}x`],
    ["a single character", "x"],
    ["10,000 characters", "x".repeat(10_000)],
    ["the token's first half", TOKEN.slice(0, 16)],
  ])("refuses a wrong token of %s after one comparison of two 32-byte digests", (_what, candidate) => {
    const guard = new RequestGuard({ token: TOKEN });
    expect(() => guard.check(request(`Bearer ${candidate}`))).toThrow(
      expect.objectContaining({ code: "auth.invalid", status: 401 }),
    );
    expect(compared).toEqual([[32, 32]]);
    compared.length = 0;
    expect(guard.tokenMatches(candidate)).toBe(false);
    expect(compared).toEqual([[32, 32]]);
  });

  it("lets the right token through after the same one comparison", () => {
    const guard = new RequestGuard({ token: TOKEN });
    expect(guard.check(request(`Bearer ${TOKEN}`))).toEqual({ via: "bearer" });
    expect(guard.tokenMatches(TOKEN)).toBe(true);
    expect(compared).toEqual([
      [32, 32],
      [32, 32],
    ]);
  });

  it("uses the crypto module's constant-time comparison, not an equality of strings", () => {
    // The mock above is what the guard calls: were it `===`, no comparison would be recorded.
    const guard = new RequestGuard({ token: TOKEN });
    guard.tokenMatches("anything");
    expect(compared.length).toBe(1);
    expect(typeof crypto.timingSafeEqual).toBe("function");
  });
});
