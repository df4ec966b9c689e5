// Errors whose message code compares, against a real SQLite file: a missing instance throws
// with the message "instance.not_found" and nothing else, as Cloudflare's binding does, so
// `e.message === "instance.not_found"` works in callers and in workflow code; `detail` names the
// id and the workflow. Errors Cloudflare words as "(code) text" keep Cairn's "(code) detail".

import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep, WorkflowsError } from "cairn";
import { waitForStatus } from "cairn/testing";
import { describe, expect, it } from "vitest";
import { useLifecycleHarness } from "../helpers/lifecycle-harness.js";

class Quick extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    return step.do("work", async () => "done");
  }
}

type LookupEnv = { QUICK: { get(id: string): Promise<unknown> } };

/** Looks an instance up from workflow code; `compare` decides whether a miss is handled. */
class Lookup extends WorkflowEntrypoint<LookupEnv, { id: string; compare: boolean }> {
  async run(event: WorkflowEvent<{ id: string; compare: boolean }>, step: WorkflowStep) {
    return step.do("look up", { retries: { limit: 0, delay: 0 } }, async () => {
      try {
        await this.env.QUICK.get(event.payload.id);
        return "present";
      } catch (e) {
        if (event.payload.compare && (e as Error).message === "instance.not_found") return "absent";
        throw e;
      }
    });
  }
}

/** The error `promise` rejects with. */
async function rejection(promise: Promise<unknown>): Promise<WorkflowsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!WorkflowsError.is(error)) throw new Error(`expected a Cairn error, got ${String(error)}`);
  return error;
}

describe("messages code compares", () => {
  const h = useLifecycleHarness();
  const open = () =>
    h.open({
      workflows: {
        QUICK: { name: "quick", class: Quick },
        LOOKUP: { name: "lookup", class: Lookup },
      },
    });

  it('env.X.get of a missing id throws "instance.not_found" exactly, the id and workflow in detail', async () => {
    const cairn = await open();
    const error = await rejection(cairn.env.QUICK.get("nope"));
    expect(error.message === "instance.not_found").toBe(true);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("WorkflowsError");
    expect(error.code).toBe("instance.not_found");
    expect(error.detail).toBe('no instance "nope" in workflow "quick"');
  });

  it("a handle whose instance was deleted throws the bare code too", async () => {
    const cairn = await open();
    const handle = await cairn.env.QUICK.create({ id: "gone" });
    await waitForStatus(handle, "complete");
    await handle.delete();
    for (const call of [handle.status(), handle.delete(), handle.pause(), handle.terminate()]) {
      const error = await rejection(call);
      expect(error.message).toBe("instance.not_found");
      expect(error.detail).toBe('no instance "gone" in workflow "quick"');
    }
  });

  it("deleteBatch reports a missing id with the bare code as message and the explanation as detail", async () => {
    const cairn = await open();
    expect(await cairn.env.QUICK.deleteBatch(["ghost"])).toEqual({
      deleted: [],
      errors: [
        {
          id: "ghost",
          code: "instance.not_found",
          message: "instance.not_found",
          detail: 'no instance "ghost" in workflow "quick"',
        },
      ],
    });
  });

  it('keeps "(code) detail" for a duplicate id and an invalid id, as Cloudflare words them', async () => {
    const cairn = await open();
    await cairn.env.QUICK.create({ id: "dup" });
    const duplicate = await rejection(cairn.env.QUICK.create({ id: "dup" }));
    expect(duplicate.code).toBe("instance.already_exists");
    expect(duplicate.message).toBe(`(instance.already_exists) ${duplicate.detail}`);
    expect(duplicate.detail).toContain('"dup"');
    const invalid = await rejection(cairn.env.QUICK.get("bad id!"));
    expect(invalid.code).toBe("instance.invalid_id");
    expect(invalid.message).toBe(`(instance.invalid_id) ${invalid.detail}`);
    expect(invalid.detail).toContain('"bad id!"');
  });

  it("workflow code can compare the message, and an uncaught miss is stored as the instance's error", async () => {
    const cairn = await open();
    const handled = await cairn.env.LOOKUP.create({ id: "handled", params: { id: "nobody", compare: true } });
    expect(await waitForStatus(handled, "complete")).toEqual({ status: "complete", output: "absent" });
    const uncaught = await cairn.env.LOOKUP.create({
      id: "uncaught",
      params: { id: "nobody", compare: false },
    });
    expect(await waitForStatus(uncaught, "errored")).toEqual({
      status: "errored",
      error: { name: "WorkflowsError", message: "instance.not_found" },
    });
  });
});
