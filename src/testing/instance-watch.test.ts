import { describe, expect, it } from "vitest";
import type { StoredStatus } from "../storage/types.js";
import { canReach, STATUSES } from "./instance-watch.js";

describe("canReach: which statuses an instance can still get to (restarts left out)", () => {
  it("from a finished status, none but itself", () => {
    for (const end of ["complete", "errored", "terminated"] as StoredStatus[]) {
      expect(STATUSES.filter((s) => canReach(end, s))).toEqual([end]);
    }
  });

  it("from any other status, every status", () => {
    for (const from of ["queued", "running", "waiting", "waitingForPause", "paused"] as StoredStatus[]) {
      expect(STATUSES.filter((s) => canReach(from, s))).toEqual(STATUSES);
    }
  });

  it("lists the eight stored statuses", () => {
    expect([...STATUSES].sort()).toEqual(
      [
        "complete",
        "errored",
        "paused",
        "queued",
        "running",
        "terminated",
        "waiting",
        "waitingForPause",
      ].sort(),
    );
  });
});
