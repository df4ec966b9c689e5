// End-to-end: `cairn dev` on a project shaped like Cloudflare's workflows starter (wrangler.jsonc,
// TypeScript entry importing an npm package, vars, .dev.vars, a cron trigger). Drives it over
// HTTP; kills it with SIGKILL mid-run and starts it again; stops it with SIGTERM.
// Covers what a user checks through `wrangler dev`: create with or without an id, events, an
// instance created just before a redirect, state across restarts; sleeping instances report
// `waiting`, and an attempt cut short by a crash counts as failed.

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CairnProcess } from "./helpers/cairn-process.js";
import { copyFixture, getJson, postJson, removeProjects, waitForHttpStatus } from "./helpers/projects.js";

afterAll(removeProjects);

describe("cairn dev serving a jsonc + TypeScript project", () => {
  let cairn: CairnProcess;
  let url: string;

  beforeAll(async () => {
    const dir = copyFixture("orders-jsonc");
    cairn = CairnProcess.start(["dev", "--port", "0", "--test-scheduled"], dir);
    url = await cairn.ready();
  });
  afterAll(() => CairnProcess.killAll());

  it("gives the handler env with vars, .dev.vars secrets and workflow bindings, and bundles npm imports", async () => {
    const env = await getJson(url, "/env");
    expect(env.body).toEqual({
      greeting: "hello from vars",
      limits: { maxItems: 3 },
      secret: "s3cret from dev vars",
    });
    const next = await getJson(url, "/next-run");
    expect(next.body.next).toMatch(/T03:00:00\.000Z$/);
    expect(cairn.logs().find((l) => l.msg === "secrets loaded")?.names).toEqual(["SECRET_TOKEN"]);
    expect(cairn.logs().find((l) => l.msg === "cron trigger")).toMatchObject({
      cron: "0 3 * * *",
      next: expect.stringMatching(/T03:00:00\.000Z$/),
    });
  });

  it("runs a workflow that retries a step, sleeps and waits for an event sent over HTTP", async () => {
    const created = await postJson(url, "/orders", {
      id: "order-1",
      params: { items: ["lamp"], failFirstCharge: true },
    });
    expect(created.status).toBe(201);
    expect(created.body.id).toBe("order-1");
    await waitForHttpStatus(url, "/orders/order-1", "waiting");
    await postJson(url, "/orders/order-1/events/shipped", { carrier: "ACME" });
    const done = await waitForHttpStatus(url, "/orders/order-1", ["complete", "errored"]);
    expect(done).toEqual({
      id: "order-1",
      status: "complete",
      output: {
        reserved: { items: ["lamp"], startedOn: "v1" },
        charge: { attempts: 2 },
        afterHold: null,
        carrier: "ACME",
        receipt: { version: "v1", greeting: "hello from vars" },
      },
    });
  });

  it("creates an instance passed to ctx.waitUntil just before returning a redirect", async () => {
    const response = await fetch(`${url}/redirect/redirected-1`, { redirect: "manual" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(`${url}/orders/redirected-1`);
    const status = await waitForHttpStatus(url, "/orders/redirected-1", "waiting");
    expect(status.id).toBe("redirected-1");
  });

  it("runs the scheduled handler for a cron trigger (/__scheduled with --test-scheduled)", async () => {
    const response = await fetch(`${url}/__scheduled?cron=0+3+*+*+*&time=1767236400000`);
    expect(await response.text()).toBe("Ran scheduled event");
    await waitForHttpStatus(url, "/orders/cron-1767236400000", "waiting");
    const log = cairn.logs().find((l) => l.msg === "scheduled");
    expect(log).toMatchObject({ cron: "0 3 * * *", scheduledTime: "2026-01-01T03:00:00.000Z" });
  });

  it("answers an unknown instance with the binding's not-found error", async () => {
    const missing = await getJson(url, "/orders/nobody");
    expect(missing.status).toBe(404);
    expect(missing.body.error).toContain("instance.not_found");
  });
});

describe("cairn dev across a crash", () => {
  afterEach(() => CairnProcess.killAll());

  it("keeps instances through SIGKILL: sleeping, waiting and in-flight ones all finish after a restart", async () => {
    const dir = copyFixture("orders-jsonc");
    const first = CairnProcess.start(["dev", "--port", "0"], dir);
    let url = await first.ready();
    await postJson(url, "/orders", { id: "sleeper", params: { items: ["a"], sleep: "3 seconds" } });
    await postJson(url, "/orders", { id: "retried", params: { items: ["b"], failFirstCharge: true } });
    await postJson(url, "/orders", { id: "in-flight", params: { items: ["c"], hold: true } });
    await waitForHttpStatus(url, "/orders/sleeper", "waiting");
    await waitForHttpStatus(url, "/orders/retried", "waiting");
    await waitUntilHeld(url, "in-flight");
    expect(await first.kill("SIGKILL")).toEqual({ code: null, signal: "SIGKILL" });

    const second = CairnProcess.start(["dev", "--port", "0"], dir);
    url = await second.ready();
    // The attempt cut short by the kill is counted as failed and retried (a step that kills the
    // process every time must end errored, not loop): the step runs again.
    await waitUntilHeld(url, "in-flight");
    await fetch(`${url}/release/in-flight`);
    for (const id of ["sleeper", "retried", "in-flight"]) {
      await waitForHttpStatus(url, `/orders/${id}`, "waiting");
      await postJson(url, `/orders/${id}/events/shipped`, { carrier: id });
    }
    const outputs = [];
    for (const id of ["sleeper", "retried", "in-flight"]) {
      const done = await waitForHttpStatus(url, `/orders/${id}`, ["complete", "errored"]);
      outputs.push(done.output);
    }
    expect(outputs.map((o) => [o.reserved.items, o.charge.attempts, o.carrier])).toEqual([
      [["a"], 1, "sleeper"],
      [["b"], 2, "retried"],
      [["c"], 1, "in-flight"],
    ]);
    expect(outputs[2].afterHold).toEqual({ ranOn: "v1" });
  });

  it("exits 0 on SIGTERM (and runs no crons with --no-crons)", async () => {
    const dir = copyFixture("orders-jsonc");
    const cairn = CairnProcess.start(["dev", "--port", "0", "--no-crons"], dir);
    await cairn.ready();
    expect(cairn.logs().filter((l) => l.msg === "cron trigger")).toEqual([]);
    expect(await cairn.kill("SIGTERM")).toEqual({ code: 0, signal: null });
    expect(cairn.logs().map((l) => l.msg)).toEqual(expect.arrayContaining(["shutting down", "stopped"]));
  });
});

async function waitUntilHeld(url: string, id: string): Promise<void> {
  const { waitUntil } = await import("cairn/testing");
  await waitUntil(
    async () => (await getJson(url, `/held/${id}`)).body.held,
    (held) => held === true,
    { timeoutMs: 20_000, intervalMs: 25, what: `${id} to be held in its step` },
  );
}
