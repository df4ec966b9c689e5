// `ReadableStream<Uint8Array>` and typed-array step results: a stream is stored in chunks and
// every later reader gets a fresh stream over the same bytes, in this process and after a
// re-open; streams that cannot be stored faithfully fail the instance; a timed-out attempt leaves
// no partial chunks; restarts erase chunks; stream bytes count toward `maxInstanceStateBytes`.
// Reading stream results through introspection helpers, and their text previews in logs, wait
// for those helpers.

import { FakeClock, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";
import { describe, expect, it } from "vitest";
import { useLifecycleHarness } from "../helpers/lifecycle-harness.js";
import { ofType, type StepsRig, stepsRigs, WORKFLOW } from "../helpers/steps-harness.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (s: string) => encoder.encode(s);

function streamOf(chunks: unknown[]): ReadableStream<any> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

async function readChunks(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return chunks;
    chunks.push(value);
  }
}

const readText = async (stream: ReadableStream<Uint8Array>) =>
  decoder.decode(Buffer.concat(await readChunks(stream)));

/** The chunks stored for a step of instance "i1". */
async function storedChunks(rig: StepsRig, key: string): Promise<Uint8Array[]> {
  const record = await rig.cairn.engine.store.getInstance(WORKFLOW, "i1");
  return record ? rig.cairn.engine.store.loadStreamChunks(record.seq, key) : [];
}

describe("stream results", () => {
  const rigs = stepsRigs();

  it("stores a stream and replays the same bytes without running the step again, also after a re-open", async () => {
    let ran = 0;
    const rig = await rigs.open(async (_event, step) => {
      const blob = await step.do("blob", async () => {
        ran += 1;
        return streamOf([bytes("hello "), bytes("stream "), bytes("world")]);
      });
      await step.waitForEvent("go", { type: "go", timeout: "1 hour" });
      return step.do("read", async () => readText(blob));
    });
    const instance = await rig.create();
    await waitForStatus(instance, "waiting");
    await rig.reopen();
    await (await rig.get()).sendEvent({ type: "go", payload: null });
    expect(await waitForStatus(await rig.get(), "complete")).toEqual({
      status: "complete",
      output: "hello stream world",
    });
    expect(ran).toBe(1);
    const [record] = await rig.cairn.engine.readJournal(WORKFLOW, "i1");
    expect(record).toMatchObject({ key: "do:1:blob", status: "succeeded", stream: true });
    expect((await storedChunks(rig, "do:1:blob")).map((c) => decoder.decode(c))).toEqual([
      "hello ",
      "stream ",
      "world",
    ]);
    const shown = await rig.cairn.engine.readStreamResult(WORKFLOW, "i1", "do:1:blob");
    expect(decoder.decode(shown)).toBe("hello stream world");
    await expect(rig.cairn.engine.readStreamResult(WORKFLOW, "i1", "do:9:nothing")).rejects.toMatchObject({
      message: "instance.not_found",
      detail: 'instance "i1" has no finished stream step with key "do:9:nothing"',
    });
  });

  it("hands the next step a fresh stream over the stored bytes on the live path", async () => {
    const rig = await rigs.open(async (_event, step) => {
      const blob = await step.do("blob", async () => streamOf([bytes("live "), bytes("bytes")]));
      // The original stream was consumed while being stored: this one reads the stored bytes.
      return step.do("first", async () => readText(blob));
    });
    expect((await waitForStatus(await rig.create(), "complete")).output).toBe("live bytes");
  });

  it("stores a stream larger than the 1 MiB value limit", async () => {
    const chunk = new Uint8Array(64 * 1024).fill(7);
    const rig = await rigs.open(async (_event, step) => {
      const blob = await step.do("big", async () => streamOf(Array.from({ length: 48 }, () => chunk)));
      return step.do("size", async () => (await readChunks(blob)).reduce((n, c) => n + c.byteLength, 0));
    });
    expect((await waitForStatus(await rig.create(), "complete")).output).toBe(48 * 64 * 1024);
  });

  it("stores an empty stream, which replays as an empty stream", async () => {
    const rig = await rigs.open(async (_event, step) => {
      const blob = await step.do("empty", async () => streamOf([]));
      await step.waitForEvent("go", { type: "go", timeout: "1 hour" });
      return step.do("read", async () => (await readChunks(blob)).length);
    });
    const instance = await rig.create();
    await waitForStatus(instance, "waiting");
    await instance.sendEvent({ type: "go", payload: null });
    expect(await waitForStatus(instance, "complete")).toEqual({ status: "complete", output: 0 });
    const [record] = await rig.cairn.engine.readJournal(WORKFLOW, "i1");
    expect(record).toMatchObject({ status: "succeeded", stream: true });
    expect(await rig.cairn.engine.readStreamResult(WORKFLOW, "i1", "do:1:empty")).toHaveLength(0);
  });

  it("normalises typed-array chunks to Uint8Array with the same bytes", async () => {
    const source = [
      new Uint16Array([1, 258]),
      new Int8Array([-1, 2]),
      new DataView(new Uint8Array([7, 8, 9, 10]).buffer, 1, 2),
      new Float32Array([1.5]),
    ];
    const expected = Buffer.concat(source.map((v) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength)));
    const rig = await rigs.open(async (_event, step) => {
      const blob = await step.do("typed", async () => streamOf(source));
      await step.waitForEvent("go", { type: "go", timeout: "1 hour" });
      return step.do("read", async () => {
        const chunks = await readChunks(blob);
        return { kinds: chunks.map((c) => c.constructor.name), bytes: Array.from(Buffer.concat(chunks)) };
      });
    });
    const instance = await rig.create();
    await waitForStatus(instance, "waiting");
    await rig.reopen();
    await (await rig.get()).sendEvent({ type: "go", payload: null });
    expect((await waitForStatus(await rig.get(), "complete")).output).toEqual({
      kinds: ["Uint8Array", "Uint8Array", "Uint8Array", "Uint8Array"],
      bytes: Array.from(expected),
    });
  });

  it("copies each chunk when read: a producer reusing its buffer, or a view of a larger one, is stored as read", async () => {
    const shared = new Uint8Array(2);
    let n = 0;
    const rig = await rigs.open(async (_event, step) => {
      // Pulled only on demand: the buffer is overwritten after each read, never before.
      await step.do(
        "reused",
        async () =>
          new ReadableStream(
            {
              pull(controller) {
                n += 1;
                if (n > 2) return controller.close();
                shared.fill(n);
                controller.enqueue(shared);
              },
            },
            { highWaterMark: 0 },
          ),
      );
      await step.do("view", async () => streamOf([new Uint8Array(new ArrayBuffer(4096), 100, 5).fill(9)]));
    });
    await waitForStatus(await rig.create(), "complete");
    expect((await storedChunks(rig, "do:1:reused")).map((c) => Array.from(c))).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect((await storedChunks(rig, "do:1:view")).map((c) => c.byteLength)).toEqual([5]);
  });

  it("erases stored chunks on restart and restart from the stream step, and keeps them for a later target", async () => {
    const runs: string[] = ["first", "second", "third", "fourth"];
    let next = 0;
    const rig = await rigs.open(async (_event, step) => {
      const blob = await step.do("blob", async () => streamOf([bytes(runs[next++]!)]));
      return step.do("read", async () => readText(blob));
    });
    const instance = await rig.create();
    expect((await waitForStatus(instance, "complete")).output).toBe("first");
    await instance.restart();
    expect((await waitForStatus(instance, "complete")).output).toBe("second");
    await instance.restart({ from: { name: "blob" } });
    expect((await waitForStatus(instance, "complete")).output).toBe("third");
    await instance.restart({ from: { name: "read" } });
    expect((await waitForStatus(instance, "complete")).output).toBe("third");
    expect(next).toBe(3);
    expect((await storedChunks(rig, "do:1:blob")).map((c) => decoder.decode(c))).toEqual(["third"]);
  });
});

describe("streams that cannot be stored fail the instance", () => {
  const rigs = stepsRigs("all");

  const cases: [string, () => ReadableStream<any> | Promise<ReadableStream<any>>, string][] = [
    [
      "a locked stream",
      () => {
        const s = streamOf([bytes("x")]);
        s.getReader();
        return s;
      },
      "locked ReadableStream",
    ],
    [
      "a stream that was already read",
      async () => {
        const s = streamOf([bytes("x"), bytes("y")]);
        const reader = s.getReader();
        await reader.read();
        reader.releaseLock();
        return s;
      },
      "already read",
    ],
    [
      "a byte (BYOB) stream",
      () =>
        new ReadableStream({
          type: "bytes",
          start(controller) {
            controller.enqueue(new Uint8Array([1]));
            controller.close();
          },
        }),
      "BYOB",
    ],
    ["a stream of strings", () => streamOf([bytes("ok"), "text"]), "yielded a string chunk"],
    ["a stream of objects", () => streamOf([{ a: 1 }]), "yielded a Object chunk"],
    [
      "a chunk over 16 MiB",
      () => streamOf([new Uint8Array(16 * 1024 * 1024 + 1)]),
      "the limit is 16777216 bytes",
    ],
  ];

  it.each(cases)("%s, even when the workflow catches the error", async (_label, make, text) => {
    let attempts = 0;
    const rig = await rigs.open(async (_event, step) => {
      try {
        await step.do("bad", async () => {
          attempts += 1;
          return make();
        });
      } catch {
        return "caught";
      }
      return "stored";
    });
    const instance = await rig.create();
    const status = await waitForStatus(instance, ["errored", "complete"]);
    expect(status.status).toBe("errored");
    expect(status.error?.name).toBe("StreamResultError");
    expect(status.error?.message).toContain("(step.invalid_stream)");
    expect(status.error?.message).toContain(text);
    expect(attempts).toBe(1);
    expect(await storedChunks(rig, "do:1:bad")).toEqual([]);
  });
});

describe("a timeout while a stream is stored", () => {
  const rigs = stepsRigs();

  it("fails the attempt, discards its partial chunks, and the retry stores only its own", async () => {
    const clock = new FakeClock();
    let attempt = 0;
    const rig = await rigs.open(
      async (_event, step) => {
        const blob = await step.do(
          "slow stream",
          { retries: { limit: 1, delay: "1 minute" }, timeout: "10 seconds" },
          async () => {
            attempt += 1;
            if (attempt === 2) return streamOf([bytes("complete")]);
            let pulls = 0;
            return new ReadableStream({
              pull(controller) {
                pulls += 1;
                // A first chunk big enough to be written at once, then nothing more.
                if (pulls === 1) controller.enqueue(new Uint8Array(300 * 1024).fill(1));
                else return new Promise<void>(() => {});
              },
            });
          },
        );
        return step.do("read", async () => readText(blob));
      },
      { clock },
    );
    const instance = await rig.create();
    const key = "do:1:slow stream";
    await waitUntil(
      () => storedChunks(rig, key),
      (chunks) => chunks.length === 1,
      { what: "the first chunk to be stored" },
    );
    clock.advance(10_000);
    const log = await rig.waitForLog("ATTEMPT_FAILURE", 1);
    expect(ofType(log, "ATTEMPT_FAILURE")[0]?.data).toMatchObject({
      error: { name: "WorkflowTimeoutError" },
      retryDelayMs: 60_000,
    });
    expect(await storedChunks(rig, key)).toEqual([]);
    clock.advance(60_000);
    expect(await waitForStatus(instance, "complete")).toEqual({ status: "complete", output: "complete" });
    expect((await storedChunks(rig, key)).map((c) => decoder.decode(c))).toEqual(["complete"]);
  });
});

describe("a stream whose source fails", () => {
  const rigs = stepsRigs();

  it("fails the attempt like any error, is retried, and leaves no partial chunks", async () => {
    let attempt = 0;
    const rig = await rigs.open(async (_event, step) => {
      const results: string[] = [];
      for (const name of ["retried", "given up"]) {
        try {
          const blob = await step.do(name, { retries: { limit: 1, delay: 0 } }, async () => {
            attempt += 1;
            if (name === "retried" && attempt === 2) return streamOf([bytes("second try")]);
            let pulls = 0;
            return new ReadableStream({
              pull(controller) {
                pulls += 1;
                // A chunk big enough to be written at once, then the source breaks.
                if (pulls === 1) controller.enqueue(new Uint8Array(300 * 1024));
                else controller.error(new Error("source broke"));
              },
            });
          });
          results.push(await step.do(`read ${name}`, async () => readText(blob)));
        } catch (error) {
          results.push((error as Error).message);
        }
      }
      return results;
    });
    const instance = await rig.create();
    expect((await waitForStatus(instance, ["complete", "errored"])).output).toEqual([
      "second try",
      "source broke",
    ]);
    expect(ofType(await rig.log(), "ATTEMPT_FAILURE")).toHaveLength(3);
    expect(await storedChunks(rig, "do:1:given up")).toEqual([]);
    const { seq } = (await rig.cairn.engine.store.getInstance(WORKFLOW, "i1"))!;
    // What is left: the small stored values and the ten bytes of "second try".
    expect(await rig.cairn.engine.store.stateBytes(seq)).toBeLessThan(1024);
  });
});

describe("typed-array results", () => {
  const rigs = stepsRigs();

  it("stores a view's bytes, not its whole backing buffer, also inside objects", async () => {
    // 600 KB views of 2 MB buffers: stored whole, each result would be over the 1 MiB limit.
    const view = () => new Uint8Array(new ArrayBuffer(2 * 1024 * 1024), 1024, 600 * 1024).fill(3);
    const rig = await rigs.open(async (_event, step) => {
      const flat = await step.do("flat", async () => view());
      const nested = await step.do("nested", async () => ({ parts: [view()], label: "n" }));
      return [flat.byteLength, nested.parts[0]!.byteLength, nested.label];
    });
    expect((await waitForStatus(await rig.create(), "complete")).output).toEqual([
      600 * 1024,
      600 * 1024,
      "n",
    ]);
    const journal = await rig.cairn.engine.readJournal(WORKFLOW, "i1");
    for (const record of journal) {
      expect(record.status).toBe("succeeded");
      if (record.status === "succeeded") expect(record.value.byteLength).toBeLessThan(700 * 1024);
    }
  });

  it("returns the original Uint8Array on the live path and keeps typed-array constructors on replay", async () => {
    const original = new Uint8Array([1, 2, 3]);
    const seen: unknown[] = [];
    const rig = await rigs.open(async (_event, step) => {
      const u8 = await step.do("u8", async () => original);
      const f64 = await step.do("f64", async () => new Float64Array([0.5, 2]));
      const i16 = await step.do("i16", async () => ({ inner: new Int16Array([-3]) }));
      seen.push({ same: u8 === original, kinds: [u8, f64, i16.inner].map((v) => v.constructor.name) });
      await step.waitForEvent("go", { type: "go", timeout: "1 hour" });
      return [Array.from(u8), Array.from(f64), Array.from(i16.inner)];
    });
    const instance = await rig.create();
    await waitForStatus(instance, "waiting");
    await instance.sendEvent({ type: "go", payload: null });
    expect((await waitForStatus(instance, "complete")).output).toEqual([[1, 2, 3], [0.5, 2], [-3]]);
    const kinds = ["Uint8Array", "Float64Array", "Int16Array"];
    expect(seen).toEqual([
      { same: true, kinds },
      { same: false, kinds },
    ]);
  });
});

class StateHeavy extends WorkflowEntrypoint<unknown, { sizes: number[]; plain?: number }> {
  async run(event: WorkflowEvent<{ sizes: number[]; plain?: number }>, step: WorkflowStep) {
    const { sizes, plain } = event.payload;
    if (plain !== undefined) await step.do("plain", async () => new Uint8Array(plain));
    for (const [i, size] of sizes.entries()) {
      try {
        await step.do(`stream ${i}`, async () => streamOf([new Uint8Array(size)]));
      } catch {
        // A state limit error cannot be caught away.
      }
    }
    return "stored";
  }
}

describe("per-instance state limit (maxInstanceStateBytes)", () => {
  const h = useLifecycleHarness();
  const open = () =>
    h.open({ workflows: { HEAVY: { name: "heavy", class: StateHeavy } }, maxInstanceStateBytes: 4096 });

  it("errors the instance when a stream would take it over the limit", async () => {
    const cairn = await open();
    const within = await cairn.env.HEAVY.create({ id: "within", params: { sizes: [3000] } });
    expect(await waitForStatus(within, ["complete", "errored"])).toEqual({
      status: "complete",
      output: "stored",
    });

    const over = await cairn.env.HEAVY.create({ id: "over", params: { sizes: [5000] } });
    const status = await waitForStatus(over, ["complete", "errored"]);
    expect(status.status).toBe("errored");
    expect(status.error?.message).toContain("(instance.state_limit_exceeded)");
    expect(status.error?.message).toContain("4096");
  });

  it("counts every stream and step value of the instance together", async () => {
    const cairn = await open();
    const streams = await cairn.env.HEAVY.create({ id: "streams", params: { sizes: [2500, 2500] } });
    const s1 = await waitForStatus(streams, ["complete", "errored"]);
    expect(s1.error?.message).toContain("(instance.state_limit_exceeded)");
    const mixed = await cairn.env.HEAVY.create({ id: "mixed", params: { plain: 3000, sizes: [2000] } });
    const s2 = await waitForStatus(mixed, ["complete", "errored"]);
    expect(s2.error?.message).toContain("(instance.state_limit_exceeded)");
  });

  // Plain step results count toward `maxInstanceStateBytes` too, not only stream chunks.
  it("errors the instance when plain step results alone go over the limit", async () => {
    const cairn = await open();
    const plain = await cairn.env.HEAVY.create({ id: "plain", params: { plain: 5000, sizes: [] } });
    const status = await waitForStatus(plain, ["complete", "errored"]);
    expect(status.error?.message).toContain("(instance.state_limit_exceeded)");
  });
});
