// The host's own reasons for not being ready, which come before the Cairn's checks: shutting
// down, reopening Cairn after a config change, and no Cairn for want of a good build.

import { describe, expect, it } from "vitest";
import type { HealthReport } from "../engine/health.js";
import { hostReadiness } from "./readiness.js";

const ready: HealthReport = {
  ready: true,
  reason: null,
  checks: {
    store: { ok: true, detail: "answered in 1 ms" },
    migrations: { ok: true, detail: "schema version 7" },
    engine: { ok: true, detail: "running instances" },
  },
};
const cairn = { health: async () => ready };
const base = { closing: false, swapping: false, cairn, buildError: null };

describe("hostReadiness", () => {
  it("answers the Cairn's own report when the host has nothing to add", async () => {
    expect(await hostReadiness(base)).toBe(ready);
  });

  it("is not ready while shutting down, even with a ready Cairn", async () => {
    expect(await hostReadiness({ ...base, closing: true })).toEqual({
      ready: false,
      reason: "shutting down",
      checks: {},
    });
  });

  it("is not ready while Cairn is reopened after a config change", async () => {
    expect((await hostReadiness({ ...base, swapping: true })).reason).toBe(
      "reopening Cairn after a config change",
    );
  });

  it("is not ready without a Cairn, quoting the build error", async () => {
    const answer = await hostReadiness({ ...base, cairn: null, buildError: 'src/index.ts:3: Expected ";"' });
    expect(answer).toEqual({
      ready: false,
      reason: 'the Worker has no good build yet: src/index.ts:3: Expected ";"',
      checks: {},
    });
  });
});
