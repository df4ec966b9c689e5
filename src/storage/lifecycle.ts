// The instance lifecycle, decided once for every adapter: for each request (create, pause, resume,
// terminate, restart, send an event, finish, settle a pause, suspend, a claim, an orphan, a lease
// renewal, delete) and the instance's current status: what the caller is told, the status it ends
// in, the log entries to write and the signals a shared store sends. Adapters only carry decisions
// out with their own statements, so a rule fixed here is fixed for SQLite and PostgreSQL alike.

import type { FinishResult, LogInput, LogType, StepKind, StoredStatus, StoreSignal } from "./types.js";
import { FINISHED_STATUSES } from "./types.js";

/** Every status a store keeps, for tables and tests that go through all of them. */
export const STORED_STATUSES: readonly StoredStatus[] = [
  "queued",
  "running",
  "waiting",
  "waitingForPause",
  "paused",
  "complete",
  "errored",
  "terminated",
];

/**
 * What a store shared by several processes tells the others after the transition (see
 * StoreSignal): `wake` when something may have become claimable, `control` when the instance's
 * runner must look at it again, `event` when an event was buffered for it.
 */
export type SignalKind = "wake" | "control" | "event";

/** One lifecycle decision: the outcome reported, the status after, what to log and to signal. */
export type Decision<O extends string> = {
  outcome: O;
  /** The status after the transition (the current one when nothing changes). */
  status: StoredStatus;
  log: LogInput[];
  signals: readonly SignalKind[];
};

const NO_SIGNALS: readonly SignalKind[] = [];

function decision<O extends string>(
  outcome: O,
  status: StoredStatus,
  log: LogInput[] = [],
  signals: readonly SignalKind[] = NO_SIGNALS,
): Decision<O> {
  return { outcome, status, log, signals };
}

/** complete, errored or terminated: no request changes such an instance except restart and delete. */
export function isFinished(status: StoredStatus): boolean {
  return FINISHED_STATUSES.includes(status);
}

/** A new instance is queued and logged as such; a process with free slots may claim it. */
export function decideCreate(): Decision<"created"> {
  return decision("created", "queued", [{ type: "WORKFLOW_QUEUED" }], ["wake"]);
}

/**
 * A pause request. Nothing runs a queued or waiting instance, so it pauses at once (its timer
 * and event wake-ups are dropped); a running one is asked to pause and its runner settles it.
 */
export function decidePause(status: StoredStatus): Decision<"paused" | "pausing" | "noop"> {
  switch (status) {
    case "queued":
    case "waiting":
      return decision("paused", "paused", [{ type: "WORKFLOW_PAUSED" }], ["control"]);
    case "running":
      return decision("pausing", "waitingForPause", [], ["control"]);
    default:
      return decision("noop", status);
  }
}

/** How long a paused instance was paused at `now`: the shift its step timers get on resume. */
export function pausedForMs(pausedAt: number | null, now: number): number {
  return Math.max(0, now - (pausedAt ?? now));
}

/**
 * A resume request. A paused instance is queued again (its step timers shifted by the time it
 * was paused); a pause its runner has not settled yet is simply called off.
 */
export function decideResume(
  status: StoredStatus,
  pausedFor: number,
): Decision<"resumed" | "unpaused" | "noop"> {
  switch (status) {
    case "paused":
      return decision(
        "resumed",
        "queued",
        [{ type: "WORKFLOW_RESUMED", data: { pausedForMs: pausedFor } }],
        ["wake"],
      );
    case "waitingForPause":
      return decision("unpaused", "running", [], ["control"]);
    default:
      return decision("noop", status);
  }
}

/**
 * A terminate request. A finished instance stays as it is. With `rollback`, the instance becomes
 * `running` with rollbackPending and no lease, claimable at once by any process, which runs the
 * rollback handlers and then finishes it as terminated; otherwise it is terminated now.
 */
export function decideTerminate(
  status: StoredStatus,
  rollback: boolean,
): Decision<"terminated" | "finished" | "rolling_back"> {
  if (isFinished(status)) return decision("finished", status);
  if (rollback) {
    return decision(
      "rolling_back",
      "running",
      [{ type: "ROLLBACK_START", data: { reason: "terminate" } }],
      ["control", "wake"],
    );
  }
  return decision("terminated", "terminated", [{ type: "WORKFLOW_TERMINATED" }], ["control"]);
}

/** A restart from the top, from any status: the instance is queued again with an empty journal. */
export function decideRestart(_status: StoredStatus): Decision<"restarted"> {
  return decision(
    "restarted",
    "queued",
    [{ type: "WORKFLOW_RESTARTED" }, { type: "WORKFLOW_QUEUED" }],
    ["control", "wake"],
  );
}

/** A restart from a step, from any status; `found` says whether the target step is in the journal. */
export function decideRestartFrom(
  status: StoredStatus,
  target: { kind: StepKind; name: string; count: number },
  found: boolean,
): Decision<"restarted" | "step_not_found"> {
  if (!found) return decision("step_not_found", status);
  return decision(
    "restarted",
    "queued",
    [{ type: "WORKFLOW_RESTARTED", data: { from: target } }, { type: "WORKFLOW_QUEUED" }],
    ["control", "wake"],
  );
}

/** An event sent; `wake` says whether the instance must be made due now (it waits for this type). */
export type SendDecision = Decision<"sent" | "finished"> & { wake: boolean };

/**
 * An event sent to an instance. A finished instance refuses it; any other buffers it (a paused
 * or running instance takes it later), and a waiting instance that waits for its type is due now.
 * `awaited` says whether the instance's wait types include the event's type.
 */
export function decideSendEvent(status: StoredStatus, type: string, awaited: boolean): SendDecision {
  if (isFinished(status)) return { ...decision("finished", status), wake: false };
  return {
    ...decision("sent", status, [{ type: "EVENT_SENT", data: { type } }], ["event"]),
    wake: status === "waiting" && awaited,
  };
}

/**
 * An affinity set (or cleared) by `owner`'s process. `heldByOther`: another owner holds the
 * instance's lease now. A running instance (or one settling a pause) held by another owner has
 * its lease revoked, so that its holder stops and the instance is claimed again, by `owner` only
 * when an affinity is set; the holder is told (`control`) and the claimers woken (`wake`).
 */
export function decideAffinity(status: StoredStatus, heldByOther: boolean): Decision<"set" | "revoked"> {
  const leased = status === "running" || status === "waitingForPause";
  if (leased && heldByOther) return decision("revoked", status, [], ["control", "wake"]);
  return decision("set", status);
}

/**
 * A wake request (the engine delivers a mocked event, or test overrides changed): a waiting
 * instance is due at once and replays; nothing else changes.
 */
export function decideWake(status: StoredStatus): Decision<"woken" | "noop"> {
  if (status === "waiting") return decision("woken", status, [], ["wake"]);
  return decision("noop", status);
}

/** Finishing, with which retention its expiry is computed from. */
export type FinishDecision = Decision<"finished"> & { retention: "success" | "error" };

const FINISH_LOG: Record<FinishResult["status"], LogType> = {
  complete: "WORKFLOW_SUCCESS",
  errored: "WORKFLOW_FAILURE",
  terminated: "WORKFLOW_TERMINATED",
};

/**
 * The runner finishes the instance (under a valid fence, whatever its status): it takes the
 * result's status, keeps it for the success retention if complete and the error retention
 * otherwise, and logs the result.
 */
export function decideFinish(result: FinishResult): FinishDecision {
  const data = result.status === "errored" ? { error: result.error } : null;
  return {
    ...decision("finished", result.status, [{ type: FINISH_LOG[result.status], data }]),
    retention: result.status === "complete" ? "success" : "error",
  };
}

/**
 * The runner reached a point where a requested pause can take effect. Only a pause still
 * requested settles; if it was called off meanwhile (resume) the instance keeps running.
 */
export function decideSettlePause(status: StoredStatus): Decision<"paused" | "noop"> {
  if (status === "waitingForPause") return decision("paused", "paused", [{ type: "WORKFLOW_PAUSED" }]);
  return decision("noop", status);
}

/**
 * The runner hibernates its instance until `wake`. If a pause was requested meanwhile the
 * instance pauses instead. `due` says that an awaited event is already buffered: the instance is
 * claimable at once, so a shared store wakes the other processes.
 */
export function decideSuspend(
  status: StoredStatus,
  wake: { wakeAt: number | null; waitTypes: string[] },
  due: boolean,
): Decision<"paused" | "waiting"> {
  if (status === "waitingForPause") return decision("paused", "paused", [{ type: "WORKFLOW_PAUSED" }]);
  return decision(
    "waiting",
    "waiting",
    [{ type: "WORKFLOW_WAITING", data: { wakeAt: wake.wakeAt, waitTypes: wake.waitTypes } }],
    due ? ["wake"] : NO_SIGNALS,
  );
}

/**
 * A claim took an instance: a queued one starts (and is logged as started), a waiting one or an
 * orphan wakes and replays.
 */
export function decideTake(status: StoredStatus): Decision<"started" | "woken"> {
  if (status === "queued") return decision("started", "running", [{ type: "WORKFLOW_START" }]);
  return decision("woken", "running");
}

/**
 * A claim found an instance whose lease ran out (its holder died). A pause in progress settles
 * as paused, since nothing runs it now; a running one is taken over like a waking instance.
 */
export function decideOrphan(status: StoredStatus): Decision<"paused" | "taken"> {
  if (status === "waitingForPause") return decision("paused", "paused", [{ type: "WORKFLOW_PAUSED" }]);
  return decision("taken", "running");
}

/**
 * A runner renewed its lease (`held`: the lease was still its own). A lease lost meanwhile
 * (terminated, taken over, restarted) or a pause requested tells its runner to look at the
 * instance again: a shared store delivers that `control` signal here even if its NOTIFY was lost.
 */
export function decideRenewal(status: StoredStatus, held: boolean): Decision<"renewed" | "lost"> {
  if (!held) return decision("lost", status, [], ["control"]);
  return decision("renewed", status, [], status === "waitingForPause" ? ["control"] : NO_SIGNALS);
}

/**
 * An instance deleted, whatever its status: nothing is logged (its log goes with it), and a
 * runner of it in another process is told so that it stops.
 */
export function decideDelete(): Omit<Decision<"deleted">, "status"> {
  return { outcome: "deleted", log: [], signals: ["control"] };
}

/** The statuses from which `decide` reaches `outcome`: what a one-statement transition filters on. */
export function statusesWhere<O extends string>(
  decide: (status: StoredStatus) => Decision<O>,
  outcome: O,
): StoredStatus[] {
  return STORED_STATUSES.filter((status) => decide(status).outcome === outcome);
}

/** What a control method returns for a decision: its outcome and the status after it. */
export function controlResult<O extends string>(d: Decision<O>): { outcome: O; status: StoredStatus } {
  return { outcome: d.outcome, status: d.status };
}

/**
 * The StoreSignals a decision's signal kinds stand for. `control` and `event` are about an
 * instance (workflow, id), which must be given; `type` is the event type an `event` carries.
 */
export function storeSignals(
  kinds: readonly SignalKind[],
  instance?: { workflow: string; id: string; type?: string },
): StoreSignal[] {
  return kinds.map((kind): StoreSignal => {
    if (kind === "wake") return { kind };
    if (!instance) throw new Error(`a ${kind} signal names its instance`);
    if (kind === "control") return { kind, workflow: instance.workflow, id: instance.id };
    return { kind, workflow: instance.workflow, id: instance.id, type: instance.type ?? "" };
  });
}
