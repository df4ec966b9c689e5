import { Cairn, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus } from "cairn/testing";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-store.js";

class Adder extends WorkflowEntrypoint<unknown, { n: number }> {
  async run(event: WorkflowEvent<{ n: number }>, step: WorkflowStep) {
    const a = await step.do("add one", async () => event.payload.n + 1);
    return { a };
  }
}

describe("smoke", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it("runs a one-step workflow to completion on a SQLite file", async () => {
    const { dbPath, cleanup } = tempDir();
    cleanups.push(cleanup);
    const cairn = await Cairn.open({
      storage: `sqlite:${dbPath}`,
      workflows: { ADDER: { name: "adder", class: Adder } },
    });
    cleanups.push(() => cairn.close());
    const instance = await cairn.env.ADDER.create({ id: "one", params: { n: 41 } });
    expect(await waitForStatus(instance, "complete")).toEqual({ status: "complete", output: { a: 42 } });
  });
});
