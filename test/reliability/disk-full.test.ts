// A full disk under a running Cairn: the SQLite file sits on a small tmpfs that a filler file
// fills while workflows write large step results. The writes that find no space fail with
// `storage.full` naming the file (reported through onError, never a crash or a hang), every step
// committed before keeps its value and its attempt, no step is half-recorded, and once the filler
// is deleted the runs carry on by themselves to the expected outputs, which a reopened file holds.
// A new file on a full disk is refused at open with the same error (not taken for a lock).

import { rmSync } from "node:fs";
import { join } from "node:path";
import { Cairn, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitUntil } from "cairn/testing";
import { afterEach, expect, it } from "vitest";
import { WorkflowsError } from "../../src/errors.js";
import { describeWithSmallDisk, fillDisk, mountSmallDisk } from "./helpers/small-disk.js";

const STEPS = 12;
const INSTANCES = 6;

/** The value step `i` of instance `id` returns: large enough that a few of them fill the disk. */
const stepValue = (id: string, i: number) => `${id}/${i}:${"x".repeat(3000)}`;

class Writer extends WorkflowEntrypoint {
  override async run(event: WorkflowEvent<unknown>, step: WorkflowStep) {
    let length = 0;
    for (let i = 1; i <= STEPS; i++) {
      const value = await step.do(`write ${i}`, async () => stepValue(event.instanceId, i));
      length += value.length;
    }
    return { length };
  }
}

const expectedLength = (id: string) =>
  Array.from({ length: STEPS }, (_, i) => stepValue(id, i + 1).length).reduce((a, b) => a + b, 0);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function open(dbPath: string, errors: unknown[]) {
  const cairn = await Cairn.open({
    storage: `sqlite:${dbPath}`,
    workflows: { WRITER: { name: "writer", class: Writer } },
    onError: (error) => errors.push(error),
  });
  cleanups.push(() => cairn.close());
  return cairn;
}

/** Each instance's steps that are recorded as succeeded, with their outputs and attempts. */
async function committedSteps(cairn: Awaited<ReturnType<typeof open>>, ids: string[]) {
  const result = new Map<string, { name: string; output: unknown; attempts: number }[]>();
  for (const id of ids) {
    const view = await cairn.inspect.instance("writer", id);
    const steps = view.steps.filter((s) => s.status === "succeeded");
    result.set(
      id,
      steps.map((s) => ({
        name: s.name,
        output: s.output,
        attempts: s.attempts.filter((a) => a.success).length,
      })),
    );
  }
  return result;
}

/** Every recorded step holds its whole value and exactly one successful attempt. */
function expectWhole(steps: Map<string, { name: string; output: unknown; attempts: number }[]>) {
  for (const [id, list] of steps) {
    list.forEach((s, index) => {
      expect(s).toEqual({ name: `write ${index + 1}`, output: stepValue(id, index + 1), attempts: 1 });
    });
  }
}

const isFull = (e: unknown) => WorkflowsError.is(e) && e.code === "storage.full";

describeWithSmallDisk("a full disk under the SQLite file", () => {
  it("fails writes with storage.full, loses nothing committed, and carries on once space is freed", async () => {
    const disk = mountSmallDisk(4096);
    cleanups.push(disk.unmount);
    const dbPath = join(disk.dir, "cairn.db");
    const errors: unknown[] = [];
    const cairn = await open(dbPath, errors);

    const early = await cairn.env.WRITER.create({ id: "early" });
    await waitUntil(
      () => early.status(),
      (s) => s.status === "complete",
      { timeoutMs: 20_000 },
    );

    const filler = join(disk.dir, "filler");
    fillDisk(disk.dir, filler, 512 * 1024);
    const ids = Array.from({ length: INSTANCES }, (_, i) => `late-${i}`);
    for (const id of ids) await cairn.env.WRITER.create({ id });

    await waitUntil(() => errors.some(isFull), Boolean, { timeoutMs: 20_000, what: "a storage.full error" });
    const full = errors.find(isFull) as WorkflowsError;
    expect(full.message).toContain(dbPath);
    expect(full.message).toMatch(/free space/);
    // No other kind of error: the engine reported the full disk and nothing broke further.
    expect(errors.filter((e) => !isFull(e))).toEqual([]);
    // A caller's write meets the same error.
    await expect(cairn.env.WRITER.create({ id: "refused" })).rejects.toSatisfy(isFull);

    // Reads still answer while the disk is full, and what they show is whole.
    const during = await committedSteps(cairn, ["early", ...ids]);
    expectWhole(during);
    expect(during.get("early")).toHaveLength(STEPS);
    expect((await cairn.health()).checks.store.ok).toBe(true);

    rmSync(filler);
    const all = await Promise.all(ids.map((id) => cairn.env.WRITER.get(id)));
    await cairn.env.WRITER.create({ id: "refused" });
    all.push(await cairn.env.WRITER.get("refused"));
    await waitUntil(
      () => Promise.all(all.map((i) => i.status())),
      (statuses) => statuses.every((s) => s.status === "complete"),
      { timeoutMs: 15_000, what: "every instance complete" },
    );
    for (const instance of all) {
      expect(await instance.status()).toMatchObject({ output: { length: expectedLength(instance.id) } });
    }
    await cairn.close();

    const reopened = await open(dbPath, []);
    const after = await committedSteps(reopened, ["early", ...ids, "refused"]);
    expectWhole(after);
    for (const [id, steps] of during) {
      expect(after.get(id)).toHaveLength(STEPS);
      expect(after.get(id)!.slice(0, steps.length)).toEqual(steps);
    }
    await reopened.close();
  });

  it("refuses to open a new file on a full disk with storage.full naming it", async () => {
    const disk = mountSmallDisk(1024);
    cleanups.push(disk.unmount);
    fillDisk(disk.dir, join(disk.dir, "filler"), 0);
    const dbPath = join(disk.dir, "cairn.db");
    const opening = Cairn.open({
      storage: `sqlite:${dbPath}`,
      workflows: { WRITER: { name: "writer", class: Writer } },
    });
    await expect(opening).rejects.toSatisfy(isFull);
    await expect(opening).rejects.toThrow(dbPath);
  });
});
