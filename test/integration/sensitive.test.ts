// `sensitive: "output"`: the step's real result flows to the workflow, to later steps, to
// replays and to rollback handlers, while every reader for people and tools
// (`engine.readJournal`, `engine.readStreamResult`, the event log) sees "[REDACTED]". Errors are
// not redacted. Cloudflare checks the redaction through `waitForStepResult`; here `readJournal`
// stands in for it until Cairn has introspection helpers.

import { deserialize } from "node:v8";
import { NonRetryableError } from "cairn";
import { waitForStatus } from "cairn/testing";
import { describe, expect, it } from "vitest";
import { ofType, type RunFn, stepsRigs, WORKFLOW } from "../helpers/steps-harness.js";

const SECRET = "s3cr3t-token-value";
const decoder = new TextDecoder();

function streamOf(text: string): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text));
      controller.close();
    },
  });
}

async function readText(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  let out = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out;
    out += decoder.decode(value);
  }
}

describe("sensitive outputs", () => {
  const rigs = stepsRigs();

  /** Runs `body` as instance "i1" on a fresh file until it finishes. */
  async function run(body: RunFn) {
    const rig = await rigs.open(body);
    const status = await waitForStatus(await rig.create(), ["complete", "errored"]);
    return { rig, engine: rig.cairn.engine, status, log: await rig.log() };
  }

  it("passes the real value on and shows [REDACTED] in the journal, also after a re-open", async () => {
    const rig = await rigs.open(async (_event, step) => {
      const secret = await step.do("token", { sensitive: "output" }, async () => ({ token: SECRET }));
      await step.waitForEvent("go", { type: "go", timeout: "1 hour" });
      return step.do("use", async () => secret.token.length);
    });
    const instance = await rig.create();
    await waitForStatus(instance, "waiting");
    // The replay in a new process reads the real cached value, not the redacted one.
    await rig.reopen();
    await (await rig.get()).sendEvent({ type: "go", payload: null });
    expect(await waitForStatus(await rig.get(), "complete")).toEqual({
      status: "complete",
      output: SECRET.length,
    });

    const journal = await rig.cairn.engine.readJournal(WORKFLOW, "i1");
    const token = journal.find((r) => r.key === "do:1:token");
    expect(token).toMatchObject({ status: "succeeded", config: { sensitive: "output" } });
    if (token?.status !== "succeeded") throw new Error("token step should have succeeded");
    expect(deserialize(token.value)).toBe("[REDACTED]");
    const use = journal.find((r) => r.key === "do:1:use");
    if (use?.status !== "succeeded") throw new Error("use step should have succeeded");
    expect(deserialize(use.value)).toBe(SECRET.length);

    const raw = await rig.cairn.engine.readJournal(WORKFLOW, "i1", { redact: false });
    const real = raw.find((r) => r.key === "do:1:token");
    if (real?.status !== "succeeded") throw new Error("token step should have succeeded");
    expect(deserialize(real.value)).toEqual({ token: SECRET });

    expect(JSON.stringify(await rig.log())).not.toContain(SECRET);
  });

  it("does not redact errors of sensitive steps", async () => {
    const { engine, status, log } = await run(async (_event, step) =>
      step.do("token", { sensitive: "output", retries: { limit: 1, delay: 0 } }, async (ctx) => {
        if (ctx.attempt === 1) throw new Error("first failure: token endpoint down");
        throw new NonRetryableError("second failure: token revoked");
      }),
    );
    expect(status).toEqual({
      status: "errored",
      error: { name: "NonRetryableError", message: "second failure: token revoked" },
    });
    expect(ofType(log, "ATTEMPT_FAILURE").map((e) => JSON.stringify(e.data?.error))).toEqual([
      JSON.stringify({ name: "Error", message: "first failure: token endpoint down" }),
      JSON.stringify({ name: "NonRetryableError", message: "second failure: token revoked" }),
    ]);
    const [record] = await engine.readJournal(WORKFLOW, "i1");
    expect(record).toMatchObject({
      status: "failed",
      error: { name: "NonRetryableError", message: "second failure: token revoked" },
    });
  });

  it("redacts a sensitive stream result, whose bytes still reach the next step", async () => {
    const { engine, status } = await run(async (_event, step) => {
      const secret = await step.do("secret blob", { sensitive: "output" }, async () => streamOf(SECRET));
      const open = await step.do("open blob", async () => streamOf("public bytes"));
      return { secret: await step.do("read", async () => readText(secret)), open: await readText(open) };
    });
    expect(status).toEqual({ status: "complete", output: { secret: SECRET, open: "public bytes" } });
    expect(decoder.decode(await engine.readStreamResult(WORKFLOW, "i1", "do:1:secret blob"))).toBe(
      "[REDACTED]",
    );
    expect(decoder.decode(await engine.readStreamResult(WORKFLOW, "i1", "do:1:open blob"))).toBe(
      "public bytes",
    );
    const journal = await engine.readJournal(WORKFLOW, "i1");
    const secret = journal.find((r) => r.key === "do:1:secret blob");
    if (secret?.status !== "succeeded") throw new Error("the stream step should have succeeded");
    expect(secret.stream).toBe(false);
    expect(deserialize(secret.value)).toBe("[REDACTED]");
    const open = journal.find((r) => r.key === "do:1:open blob");
    expect(open).toMatchObject({ status: "succeeded", stream: true });
  });

  it("gives a rollback handler the real output of a sensitive step", async () => {
    const outputs: unknown[] = [];
    const { status } = await run(async (_event, step) => {
      await step.do("token", { sensitive: "output" }, async () => SECRET, {
        rollback: async ({ output }) => {
          outputs.push(output);
        },
      });
      throw new NonRetryableError("boom");
    });
    expect(status.status).toBe("errored");
    expect(outputs).toEqual([SECRET]);
  });
});
