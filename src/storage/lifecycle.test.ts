// The lifecycle decisions for every request from every stored status, written out as a table so
// that a change to a rule shows here as a changed row (both adapters carry these decisions out).

import { describe, expect, it } from "vitest";
import {
  type Decision,
  decideAffinity,
  decideCreate,
  decideDelete,
  decideFinish,
  decideOrphan,
  decidePause,
  decideRenewal,
  decideRestart,
  decideRestartFrom,
  decideResume,
  decideSendEvent,
  decideSettlePause,
  decideSuspend,
  decideTake,
  decideTerminate,
  decideWake,
  pausedForMs,
  STORED_STATUSES,
  statusesWhere,
  storeSignals,
} from "./lifecycle.js";
import type { StoredStatus } from "./types.js";

/** outcome, status after, log types, signals. */
type Row = [string, StoredStatus, string[], string[]];

function summary(d: Decision<string>): Row {
  return [d.outcome, d.status, d.log.map((e) => e.type), [...d.signals]];
}

function table(decide: (status: StoredStatus) => Decision<string>): Record<StoredStatus, Row> {
  return Object.fromEntries(STORED_STATUSES.map((s) => [s, summary(decide(s))])) as Record<StoredStatus, Row>;
}

describe("lifecycle decisions", () => {
  it("STORED_STATUSES lists every stored status once", () => {
    const every: Record<StoredStatus, true> = {
      queued: true,
      running: true,
      waiting: true,
      waitingForPause: true,
      paused: true,
      complete: true,
      errored: true,
      terminated: true,
    };
    expect([...STORED_STATUSES].sort()).toEqual(Object.keys(every).sort());
  });

  it("pause: queued and waiting pause at once, running is asked to, others are unchanged", () => {
    expect(table(decidePause)).toEqual({
      queued: ["paused", "paused", ["WORKFLOW_PAUSED"], ["control"]],
      running: ["pausing", "waitingForPause", [], ["control"]],
      waiting: ["paused", "paused", ["WORKFLOW_PAUSED"], ["control"]],
      waitingForPause: ["noop", "waitingForPause", [], []],
      paused: ["noop", "paused", [], []],
      complete: ["noop", "complete", [], []],
      errored: ["noop", "errored", [], []],
      terminated: ["noop", "terminated", [], []],
    });
  });

  it("resume: paused is queued again with its paused time, a pending pause is called off", () => {
    expect(table((s) => decideResume(s, 250))).toEqual({
      queued: ["noop", "queued", [], []],
      running: ["noop", "running", [], []],
      waiting: ["noop", "waiting", [], []],
      waitingForPause: ["unpaused", "running", [], ["control"]],
      paused: ["resumed", "queued", ["WORKFLOW_RESUMED"], ["wake"]],
      complete: ["noop", "complete", [], []],
      errored: ["noop", "errored", [], []],
      terminated: ["noop", "terminated", [], []],
    });
    expect(decideResume("paused", 250).log[0]?.data).toEqual({ pausedForMs: 250 });
    expect(pausedForMs(1000, 1600)).toBe(600);
    expect(pausedForMs(null, 1600)).toBe(0);
    expect(pausedForMs(2000, 1600)).toBe(0);
  });

  it("terminate: every unfinished status terminates, finished ones are reported", () => {
    const unfinished: Row = ["terminated", "terminated", ["WORKFLOW_TERMINATED"], ["control"]];
    expect(table((s) => decideTerminate(s, false))).toEqual({
      queued: unfinished,
      running: unfinished,
      waiting: unfinished,
      waitingForPause: unfinished,
      paused: unfinished,
      complete: ["finished", "complete", [], []],
      errored: ["finished", "errored", [], []],
      terminated: ["finished", "terminated", [], []],
    });
  });

  it("terminate with rollback: unfinished instances run their rollbacks first", () => {
    const rolling: Row = ["rolling_back", "running", ["ROLLBACK_START"], ["control", "wake"]];
    expect(table((s) => decideTerminate(s, true))).toEqual({
      queued: rolling,
      running: rolling,
      waiting: rolling,
      waitingForPause: rolling,
      paused: rolling,
      complete: ["finished", "complete", [], []],
      errored: ["finished", "errored", [], []],
      terminated: ["finished", "terminated", [], []],
    });
    expect(decideTerminate("running", true).log[0]?.data).toEqual({ reason: "terminate" });
  });

  it("restart: every status is queued again, logged as restarted then queued", () => {
    const row: Row = ["restarted", "queued", ["WORKFLOW_RESTARTED", "WORKFLOW_QUEUED"], ["control", "wake"]];
    for (const status of STORED_STATUSES) expect(summary(decideRestart(status))).toEqual(row);
  });

  it("restartFrom: a found step restarts from any status, a missing one changes nothing", () => {
    const target = { kind: "do" as const, name: "a", count: 1 };
    const row: Row = ["restarted", "queued", ["WORKFLOW_RESTARTED", "WORKFLOW_QUEUED"], ["control", "wake"]];
    for (const status of STORED_STATUSES) {
      expect(summary(decideRestartFrom(status, target, true))).toEqual(row);
      expect(summary(decideRestartFrom(status, target, false))).toEqual(["step_not_found", status, [], []]);
    }
    expect(decideRestartFrom("complete", target, true).log[0]?.data).toEqual({ from: target });
  });

  it("sendEvent: buffered unless finished; only a waiting instance that awaits the type wakes", () => {
    for (const status of STORED_STATUSES) {
      for (const awaited of [true, false]) {
        const d = decideSendEvent(status, "e", awaited);
        if (status === "complete" || status === "errored" || status === "terminated") {
          expect([...summary(d), d.wake]).toEqual(["finished", status, [], [], false]);
        } else {
          expect([...summary(d), d.wake]).toEqual([
            "sent",
            status,
            ["EVENT_SENT"],
            ["event"],
            status === "waiting" && awaited,
          ]);
          expect(d.log[0]?.data).toEqual({ type: "e" });
        }
      }
    }
  });

  it("finish: the result decides the status, the log entry and the retention", () => {
    const error = { name: "Error", message: "boom" };
    const complete = decideFinish({ status: "complete", output: new Uint8Array() });
    const errored = decideFinish({ status: "errored", error });
    const terminated = decideFinish({ status: "terminated" });
    expect([summary(complete), complete.retention]).toEqual([
      ["finished", "complete", ["WORKFLOW_SUCCESS"], []],
      "success",
    ]);
    expect([summary(errored), errored.retention]).toEqual([
      ["finished", "errored", ["WORKFLOW_FAILURE"], []],
      "error",
    ]);
    expect(errored.log[0]?.data).toEqual({ error });
    expect([summary(terminated), terminated.retention]).toEqual([
      ["finished", "terminated", ["WORKFLOW_TERMINATED"], []],
      "error",
    ]);
  });

  it("settlePause: only a pause still requested settles", () => {
    const t = table(decideSettlePause);
    expect(t.waitingForPause).toEqual(["paused", "paused", ["WORKFLOW_PAUSED"], []]);
    for (const status of STORED_STATUSES.filter((s) => s !== "waitingForPause")) {
      expect(t[status]).toEqual(["noop", status, [], []]);
    }
    expect(statusesWhere(decideSettlePause, "paused")).toEqual(["waitingForPause"]);
  });

  it("suspend: waits (waking others if an event is already here) unless a pause was requested", () => {
    const wake = { wakeAt: 500, waitTypes: ["a"] };
    for (const status of STORED_STATUSES) {
      for (const due of [true, false]) {
        const d = decideSuspend(status, wake, due);
        if (status === "waitingForPause") {
          expect(summary(d)).toEqual(["paused", "paused", ["WORKFLOW_PAUSED"], []]);
        } else {
          expect(summary(d)).toEqual(["waiting", "waiting", ["WORKFLOW_WAITING"], due ? ["wake"] : []]);
          expect(d.log[0]?.data).toEqual(wake);
        }
      }
    }
  });

  it("claims: a queued instance starts, any other claimable one wakes", () => {
    const woken: Row = ["woken", "running", [], []];
    expect(table(decideTake)).toEqual({
      queued: ["started", "running", ["WORKFLOW_START"], []],
      running: woken,
      waiting: woken,
      waitingForPause: woken,
      paused: woken,
      complete: woken,
      errored: woken,
      terminated: woken,
    });
  });

  it("orphans: a pause in progress settles as paused, anything else is taken over", () => {
    const taken: Row = ["taken", "running", [], []];
    expect(table(decideOrphan)).toEqual({
      queued: taken,
      running: taken,
      waiting: taken,
      waitingForPause: ["paused", "paused", ["WORKFLOW_PAUSED"], []],
      paused: taken,
      complete: taken,
      errored: taken,
      terminated: taken,
    });
  });

  it("renewal: a lost lease or a pause requested tells the runner to look again", () => {
    expect(table((s) => decideRenewal(s, false))).toEqual(
      Object.fromEntries(STORED_STATUSES.map((s) => [s, ["lost", s, [], ["control"]]])),
    );
    expect(table((s) => decideRenewal(s, true))).toEqual(
      Object.fromEntries(
        STORED_STATUSES.map((s) => [s, ["renewed", s, [], s === "waitingForPause" ? ["control"] : []]]),
      ),
    );
  });

  it("storeSignals: the kinds become signals about the instance", () => {
    const instance = { workflow: "w", id: "i", type: "e" };
    expect(storeSignals(["wake", "control", "event"], instance)).toEqual([
      { kind: "wake" },
      { kind: "control", workflow: "w", id: "i" },
      { kind: "event", workflow: "w", id: "i", type: "e" },
    ]);
    expect(storeSignals(["wake"])).toEqual([{ kind: "wake" }]);
    expect(() => storeSignals(["control"])).toThrow();
  });

  it("affinity: set from any status; a lease another owner holds on a running instance is revoked", () => {
    const set = (s: StoredStatus): Row => ["set", s, [], []];
    const revoked = (s: StoredStatus): Row => ["revoked", s, [], ["control", "wake"]];
    expect(table((s) => decideAffinity(s, true))).toEqual({
      queued: set("queued"),
      running: revoked("running"),
      waiting: set("waiting"),
      waitingForPause: revoked("waitingForPause"),
      paused: set("paused"),
      complete: set("complete"),
      errored: set("errored"),
      terminated: set("terminated"),
    });
    for (const s of STORED_STATUSES) expect(summary(decideAffinity(s, false))).toEqual(set(s));
  });

  it("wake: only a waiting instance is made due (and the claimers woken)", () => {
    expect(statusesWhere(decideWake, "woken")).toEqual(["waiting"]);
    expect(summary(decideWake("waiting"))).toEqual(["woken", "waiting", [], ["wake"]]);
    expect(summary(decideWake("paused"))).toEqual(["noop", "paused", [], []]);
  });

  it("create and delete: queued and logged; deleted silently with a control signal", () => {
    expect(summary(decideCreate())).toEqual(["created", "queued", ["WORKFLOW_QUEUED"], ["wake"]]);
    expect(decideDelete()).toEqual({ outcome: "deleted", log: [], signals: ["control"] });
  });
});
