// Replaying an exported history: a real instance runs on a real SQLite file behind the HTTP API
// (a retried charge, a sensitive token, a caught failure, parallel steps, a stream, a sleep, a
// wait that times out and one that receives its event), `cairn workflows instances export`
// writes its history over HTTP while it waits and again once complete, and `replayHistory` runs
// versions of the code against those files without running a single step callback.

import {
  NonRetryableError,
  WorkflowEntrypoint,
  type WorkflowEvent,
  type WorkflowStep,
  type WorkflowStepEvent,
} from "cairn";
import { FakeClock, HistoryError, replayHistory, waitForStatus, waitUntil } from "cairn/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/helpers/run-cli.js";
import { type ApiServer, startApiServer } from "../server/helpers/api-server.js";

type Params = { amount: number };

/** How a version of the code differs from the one that ran. */
type Change = {
  renamePrice?: boolean;
  fraudCheckBeforeSleep?: boolean;
  notifyAtTheEnd?: boolean;
  reverseParallel?: boolean;
  withoutSleep?: boolean;
  checkToken?: boolean;
  neverSettles?: boolean;
};

/** Counts callbacks: a replay must run none. */
const callbacks = { runs: 0 };

function shop(change: Change = {}) {
  return class Shop extends WorkflowEntrypoint<unknown, Params> {
    override async run(event: WorkflowEvent<Params>, step: WorkflowStep) {
      const charge = await step.do("charge", { retries: { limit: 2, delay: 0 } }, async (ctx) => {
        callbacks.runs++;
        if (ctx.attempt === 1) throw new Error("card declined");
        return { charged: event.payload.amount, attempt: ctx.attempt };
      });
      const token = await step.do("token", { sensitive: "output" }, async () => {
        callbacks.runs++;
        return "s3cr3t-token";
      });
      if (change.checkToken && token !== "s3cr3t-token") throw new TypeError("the token is not a token");
      if (change.neverSettles) await new Promise(() => {});
      const coupon = await step
        .do("coupon", async () => {
          callbacks.runs++;
          throw new NonRetryableError("no coupon today");
        })
        .catch((error: Error) => `${error.name}: ${error.message}`);
      const stock = () =>
        step.do("stock", async () => {
          callbacks.runs++;
          return { inStock: true, checkedAt: event.timestamp.toISOString() };
        });
      const price = () =>
        step.do(change.renamePrice ? "pricing" : "price", async () => {
          callbacks.runs++;
          return { cents: event.payload.amount * 100 };
        });
      const [inStock, priced] = change.reverseParallel
        ? (await Promise.all([price(), stock()])).reverse()
        : await Promise.all([stock(), price()]);
      const receipt = await step.do("receipt", async () => {
        callbacks.runs++;
        return new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(`receipt for ${event.instanceId}`));
            controller.close();
          },
        });
      });
      if (change.fraudCheckBeforeSleep) await step.do("fraud check", async () => ({ ok: true }));
      if (!change.withoutSleep) await step.sleep("cool off", "1 hour");
      const wrapped = await step
        .waitForEvent("gift wrap", { type: "wrap", timeout: "1 minute" })
        .then(() => "wrapped")
        .catch((error: Error) => error.name);
      const approval: WorkflowStepEvent<{ ok: boolean }> = await step.waitForEvent("approval", {
        type: "approve",
        timeout: "1 day",
      });
      if (change.notifyAtTheEnd) await step.do("notify", async () => "sent");
      return {
        charge,
        tokenLength: token.length,
        coupon,
        stock: inStock,
        price: priced,
        receipt: await new Response(receipt as ReadableStream<Uint8Array>).text(),
        wrapped,
        approved: approval.payload.ok,
        approvedAt: approval.timestamp.toISOString(),
      };
    }
  };
}

const Shop = shop();

let server: ApiServer<{ SHOP: { name: string; class: typeof Shop } }>;
/** Histories of instance "order-42": while it waits for approval, and once complete. */
const histories: Record<"waiting" | "waitingSensitive" | "complete" | "completeSensitive", string> = {
  waiting: "",
  waitingSensitive: "",
  complete: "",
  completeSensitive: "",
};

async function exportHistory(extra: string[] = []): Promise<string> {
  const run = await runCli(["instances", "export", "shop", "order-42", "--url", server.url, ...extra], {
    fetch,
  });
  expect(run.stderr).not.toContain("cairn workflows:");
  expect(run.code).toBe(0);
  return run.stdout;
}

beforeAll(async () => {
  const clock = new FakeClock();
  server = await startApiServer({ SHOP: { name: "shop", class: Shop } }, { open: { clock } });
  const instance = await server.cairn.env.SHOP.create({ id: "order-42", params: { amount: 42 } });
  const log = () => server.cairn.inspect.log("shop", "order-42");
  // Move time a minute per look until the instance waits for approval: through the sleep and
  // past the gift wrap's timeout.
  await waitUntil(
    async () => {
      clock.advance(60_000);
      return log();
    },
    (entries) => entries.some((e) => e.type === "WAIT_START" && e.stepKey === "waitForEvent:1:approval"),
    { what: "the wait for approval" },
  );
  await waitForStatus(instance, "waiting");
  histories.waiting = await exportHistory();
  histories.waitingSensitive = await exportHistory(["--include-sensitive"]);
  await instance.sendEvent({ type: "approve", payload: { ok: true } });
  await waitForStatus(instance, ["complete", "errored"]);
  histories.complete = await exportHistory();
  histories.completeSensitive = await exportHistory(["--include-sensitive"]);
  callbacks.runs = 0;
});

afterAll(async () => {
  await server?.close();
});

const ref = (type: string, name: string, count = 1) => ({ type, name, count });

describe("the exported history", () => {
  it("holds Cairn's view of every step, the stream's bytes and the log, sensitive outputs redacted", () => {
    const history = JSON.parse(histories.complete);
    expect(history).toMatchObject({
      format: "cairn.instance-history/2",
      workflow: "shop",
      id: "order-42",
      include_sensitive: false,
      instance: { status: "complete", params: { amount: 42 } },
    });
    const steps = history.instance.steps.map((s: { key: string; status: string }) => `${s.key} ${s.status}`);
    expect(steps).toEqual([
      "do:1:charge succeeded",
      "do:1:token succeeded",
      "do:1:coupon failed",
      "do:1:stock succeeded",
      "do:1:price succeeded",
      "do:1:receipt succeeded",
      "sleep:1:cool off succeeded",
      "waitForEvent:1:gift wrap failed",
      "waitForEvent:1:approval succeeded",
    ]);
    const byKey = Object.fromEntries(history.instance.steps.map((s: { key: string }) => [s.key, s]));
    expect(byKey["do:1:charge"].attempts).toHaveLength(2);
    expect(byKey["do:1:token"].output).toBe("[REDACTED]");
    expect(byKey["waitForEvent:1:gift wrap"]).toMatchObject({ timed_out: true });
    expect(byKey["waitForEvent:1:approval"].event).toMatchObject({ type: "approve", payload: { ok: true } });
    expect(Buffer.from(history.streams["do:1:receipt"].base64, "base64").toString()).toBe(
      "receipt for order-42",
    );
    expect(history.log.map((e: { type: string }) => e.type)).toContain("WAIT_TIMED_OUT");
    expect(histories.complete).not.toContain("s3cr3t-token");
    expect(histories.waiting).not.toContain("s3cr3t-token");
  });

  it("holds the sensitive output in clear with --include-sensitive", () => {
    const history = JSON.parse(histories.completeSensitive);
    expect(history.include_sensitive).toBe(true);
    const token = history.instance.steps.find((s: { key: string }) => s.key === "do:1:token");
    expect(token.output).toBe("s3cr3t-token");
  });
});

describe("replayHistory", () => {
  it("replays the same code as compatible, handing back every recorded result and running no callback", async () => {
    const result = await replayHistory(Shop, histories.completeSensitive);
    expect(result).toMatchObject({ compatible: true, ending: "returned", notReached: [], redacted: [] });
    expect(result.divergence).toBeUndefined();
    // Retries, a caught failure, parallel steps, a stream, a timed-out wait and an event: the
    // same output as the recorded run, as JSON carried it.
    expect(result.output).toEqual(result.recorded.output);
    expect(result.output).toMatchObject({
      charge: { charged: 42, attempt: 2 },
      tokenLength: 12,
      coupon: "NonRetryableError: no coupon today",
      receipt: "receipt for order-42",
      wrapped: "WorkflowTimeoutError",
      approved: true,
    });
    expect(result.reached.map((s) => `${s.key} ${s.result}`)).toEqual([
      "do:1:charge value",
      "do:1:token value",
      "do:1:coupon error",
      "do:1:stock value",
      "do:1:price value",
      "do:1:receipt stream",
      "sleep:1:cool off value",
      "waitForEvent:1:gift wrap timed-out",
      "waitForEvent:1:approval event",
    ]);
    expect(callbacks.runs).toBe(0);
  });

  it("stops at the step the instance waits on, as compatible", async () => {
    const result = await replayHistory(Shop, histories.waiting);
    expect(result).toMatchObject({
      compatible: true,
      ending: "stopped",
      stoppedAt: { ...ref("waitForEvent", "approval"), reason: "unfinished" },
      notReached: [],
    });
    expect(result.reached.at(-1)).toMatchObject({ key: "waitForEvent:1:approval", result: "unfinished" });
    expect(result.recorded.status).toBe("waiting");
  });

  it("lists redacted outputs, hands the code the string [REDACTED], and shows what that changed", async () => {
    const result = await replayHistory(Shop, histories.complete);
    expect(result.compatible).toBe(true);
    expect(result.redacted).toEqual([ref("do", "token")]);
    expect(result.reached.find((s) => s.name === "token")?.result).toBe("redacted");
    expect((result.output as { tokenLength: number }).tokenLength).toBe("[REDACTED]".length);
    expect((result.recorded.output as { tokenLength: number }).tokenLength).toBe(12);
  });

  it("reports code that throws on a redacted value, and accepts it once the export includes it", async () => {
    const redacted = await replayHistory(shop({ checkToken: true }), histories.complete);
    expect(redacted).toMatchObject({
      compatible: false,
      ending: "threw",
      error: { name: "TypeError", message: "the token is not a token", fromHistory: false },
      divergence: { kind: "threw", error: { name: "TypeError", message: "the token is not a token" } },
    });
    expect(redacted.divergence?.message).toContain('do "token" #1');
    expect(redacted.divergence?.message).toContain("--include-sensitive");
    const included = await replayHistory(shop({ checkToken: true }), histories.completeSensitive);
    expect(included.compatible).toBe(true);
  });

  it("reports a renamed step as not recorded, naming it", async () => {
    const result = await replayHistory(shop({ renamePrice: true }), histories.waiting);
    expect(result.compatible).toBe(false);
    expect(result.divergence).toMatchObject({ kind: "not-recorded", step: ref("do", "pricing") });
    expect(result.divergence?.message).toMatch(
      /^the code asks for do "pricing" #1, which the history does not have/,
    );
    expect(result.divergence?.message).toContain('do "price" #1');
    expect(result.notReached).toEqual(expect.arrayContaining([ref("do", "price")]));
  });

  it("reports a step inserted before the last recorded one as not recorded", async () => {
    for (const history of [histories.waiting, histories.complete]) {
      const result = await replayHistory(shop({ fraudCheckBeforeSleep: true }), history);
      expect(result.compatible).toBe(false);
      expect(result.divergence).toMatchObject({ kind: "not-recorded", step: ref("do", "fraud check") });
      expect(result.ending).toBe("stopped");
    }
  });

  it("accepts a step added after the history ends: the instance still waits before it", async () => {
    const waiting = await replayHistory(shop({ notifyAtTheEnd: true }), histories.waiting);
    expect(waiting).toMatchObject({
      compatible: true,
      stoppedAt: { ...ref("waitForEvent", "approval"), reason: "unfinished" },
    });
    const complete = await replayHistory(shop({ notifyAtTheEnd: true }), histories.complete);
    expect(complete).toMatchObject({
      compatible: true,
      ending: "stopped",
      stoppedAt: { ...ref("do", "notify"), reason: "beyond-history" },
    });
  });

  it("answers parallel steps asked in another order", async () => {
    const result = await replayHistory(shop({ reverseParallel: true }), histories.completeSensitive);
    expect(result.compatible).toBe(true);
    expect(result.output).toEqual(result.recorded.output);
    const order = result.reached.map((s) => s.name);
    expect(order.indexOf("price")).toBeLessThan(order.indexOf("stock"));
  });

  it("reports a removed step as not reached, naming it", async () => {
    const complete = await replayHistory(shop({ withoutSleep: true }), histories.complete);
    expect(complete).toMatchObject({
      compatible: false,
      ending: "returned",
      divergence: { kind: "not-reached", step: ref("sleep", "cool off") },
      notReached: [ref("sleep", "cool off")],
    });
    expect(complete.divergence?.message).toBe(
      'the history has sleep "cool off" #1 (step 7 of 9), but run returned without asking for it',
    );
    const waiting = await replayHistory(shop({ withoutSleep: true }), histories.waiting);
    expect(waiting.divergence).toMatchObject({ kind: "not-reached", step: ref("sleep", "cool off") });
    expect(waiting.divergence?.message).toContain('the code stopped at waitForEvent "approval" #1');
  });

  it("reports a run that waits on something other than a step as stuck", async () => {
    const result = await replayHistory(shop({ neverSettles: true }), histories.complete);
    expect(result).toMatchObject({ compatible: false, ending: "stuck", divergence: { kind: "stuck" } });
    expect(result.divergence?.message).toMatch(
      /^run stopped after do "token" #1, waiting on something other/,
    );
    expect(result.divergence?.message).toContain('do "coupon" #1');
  });

  it("builds the event from the history, or from the params it is given", async () => {
    const seen: WorkflowEvent<unknown>[] = [];
    class Peek extends WorkflowEntrypoint {
      override async run(event: WorkflowEvent<unknown>) {
        seen.push(event);
      }
    }
    const created = (await server.cairn.inspect.instance("shop", "order-42")).createdAt;
    await replayHistory(Peek, histories.complete);
    await replayHistory(Peek, histories.complete, { params: { amount: 7 } });
    expect(seen.map((e) => e.payload)).toEqual([{ amount: 42 }, { amount: 7 }]);
    expect(seen[0]).toMatchObject({ instanceId: "order-42", workflowName: "shop" });
    expect(seen[0]?.timestamp.getTime()).toBe(created);
  });

  it("gives the class its env as the engine does: constructed with (ctx, env)", async () => {
    let env: unknown;
    class Env extends WorkflowEntrypoint<{ GREETING: string }> {
      override async run() {
        env = this.env;
      }
    }
    await replayHistory(Env, histories.complete, { env: { GREETING: "hi" } });
    expect(env).toEqual({ GREETING: "hi" });
  });

  it("refuses what is not a history with a HistoryError and a stable code", async () => {
    await expect(replayHistory(Shop, "{")).rejects.toMatchObject({
      name: "HistoryError",
      code: "history.invalid",
    });
    const future = JSON.stringify({ ...JSON.parse(histories.complete), format: "cairn.instance-history/3" });
    const error = await replayHistory(Shop, future).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HistoryError);
    expect(error).toMatchObject({ code: "history.unsupported_format" });
  });
});
