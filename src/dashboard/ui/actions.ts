// Runs one action on one or many instances and says what happened in a sentence, naming the
// instances that refused and why (a finished instance cannot be paused, say).

import { type ApiFailure, act } from "./api.js";

export type ActionName = "pause" | "resume" | "terminate" | "terminate-rollback" | "restart" | "delete";

export const ACTION_LABELS: Record<ActionName, string> = {
  pause: "Pause",
  resume: "Resume",
  terminate: "Terminate",
  "terminate-rollback": "Terminate with rollback",
  restart: "Restart",
  delete: "Delete",
};

const PAST: Record<ActionName, string> = {
  pause: "Paused",
  resume: "Resumed",
  terminate: "Terminated",
  "terminate-rollback": "Terminating with rollback",
  restart: "Restarted",
  delete: "Deleted",
};

export type ActionOutcome = { ok: boolean; message: string };

function one(action: ActionName, workflow: string, id: string): Promise<unknown> {
  switch (action) {
    case "pause":
      return act.pause(workflow, id);
    case "resume":
      return act.resume(workflow, id);
    case "terminate":
      return act.terminate(workflow, id, false);
    case "terminate-rollback":
      return act.terminate(workflow, id, true);
    case "restart":
      return act.restart(workflow, id);
    case "delete":
      return act.remove(workflow, id);
  }
}

export async function runAction(action: ActionName, workflow: string, ids: string[]): Promise<ActionOutcome> {
  const failures: string[] = [];
  let done = 0;
  if (action === "delete" && ids.length > 1) {
    for (let i = 0; i < ids.length; i += 100) {
      try {
        const { result } = await act.removeMany(workflow, ids.slice(i, i + 100));
        done += result.deleted.length;
        for (const e of result.errors) failures.push(`${e.id}: ${e.message}`);
      } catch (error) {
        failures.push((error as ApiFailure).message);
      }
    }
  } else {
    // A few at a time: fast for a page of rows, gentle on the server.
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        try {
          await one(action, workflow, id);
          done++;
        } catch (error) {
          failures.push(
            ids.length === 1 ? (error as ApiFailure).message : `${id}: ${(error as ApiFailure).message}`,
          );
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  }
  const noun = (n: number) => `${n} instance${n === 1 ? "" : "s"}`;
  if (failures.length === 0) {
    return {
      ok: true,
      message: ids.length === 1 ? `${PAST[action]} ${ids[0]}.` : `${PAST[action]} ${noun(done)}.`,
    };
  }
  const head = done > 0 ? `${PAST[action]} ${noun(done)}; ` : "";
  return {
    ok: false,
    message: `${head}${ACTION_LABELS[action]} failed for ${noun(failures.length)}: ${failures.slice(0, 5).join("; ")}${failures.length > 5 ? "; …" : ""}`,
  };
}

export const DESTRUCTIVE: ActionName[] = ["terminate", "terminate-rollback", "restart", "delete"];
