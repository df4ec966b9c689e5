// Cairn's own read routes under `/cairn/api` over real HTTP on a real SQLite file: workflows with
// every status counted, instances paged by cursor with the list filters, and instance details in
// Cairn's full view (step keys, attempts with retry delays, wake times, errors, stream previews),
// large values cut to a size and a preview when the caller sets `output_limit`.

import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type ApiServer, startApiServer } from "./helpers/api-server.js";
import { workflows } from "./workflows.js";

const C = "/cairn/api";

/** Echoes its params through a step, returns them, and keeps a 6,000-byte stream of "é". */
class Big extends WorkflowEntrypoint<unknown, { text: string }> {
  override async run(event: WorkflowEvent<{ text: string }>, step: WorkflowStep) {
    const echoed = await step.do("echo", async () => ({ text: event.payload.text }));
    await step.do("small", async () => ({ n: 1 }));
    await step.do(
      "blob",
      async () =>
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode("é".repeat(3000)));
            controller.close();
          },
        }),
    );
    return echoed;
  }
}

const all = { ...workflows, BIG: { name: "big", class: Big } };

let server: ApiServer<typeof all>;
afterEach(async () => {
  await server?.close();
});

const ZERO = {
  queued: 0,
  running: 0,
  paused: 0,
  errored: 0,
  terminated: 0,
  complete: 0,
  waiting: 0,
  waitingForPause: 0,
};

async function detail(workflow: string, id: string, query = "") {
  return server.call("GET", `${C}/workflows/${workflow}/instances/${encodeURIComponent(id)}${query}`);
}

async function waitingFor(ids: string[]) {
  await waitUntil(
    async () => (await server.cairn.inspect.instances("orders", { limit: 100 })).instances,
    (list) => ids.every((id) => list.find((i) => i.id === id)?.status === "waiting"),
    { what: `${ids.join(", ")} waiting` },
  );
}

const ids = (answer: { body: { result: { id: string }[] } }) => answer.body.result.map((i) => i.id);

describe("Cairn's workflow routes", () => {
  it("lists workflows with every status counted and a total, and answers one or a 404", async () => {
    server = await startApiServer(all);
    const { QUICK, BROKEN, ORDERS } = server.cairn.env;
    await waitForStatus(await QUICK.create({ id: "q-1" }), "complete");
    await waitForStatus(await QUICK.create({ id: "q-2" }), "complete");
    await waitForStatus(await BROKEN.create({ id: "b-1" }), "errored");
    await waitForStatus(await ORDERS.create({ id: "o-1" }), "waiting");

    const list = await server.call("GET", `${C}/workflows`);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ success: true, errors: [], result_info: { count: 4 } });
    const byName = Object.fromEntries(list.body.result.map((w: { name: string }) => [w.name, w]));
    expect(byName.quick).toEqual({
      name: "quick",
      binding: "QUICK",
      class_name: "Quick",
      counts: { ...ZERO, complete: 2 },
      total: 2,
    });
    expect(byName.broken).toMatchObject({ counts: { ...ZERO, errored: 1 }, total: 1 });
    expect(byName.big).toEqual({ name: "big", binding: "BIG", class_name: "Big", counts: ZERO, total: 0 });

    const one = await server.call("GET", `${C}/workflows/orders`);
    expect(one.body.result).toEqual({
      name: "orders",
      binding: "ORDERS",
      class_name: "Order",
      counts: { ...ZERO, waiting: 1 },
      total: 1,
    });
    for (const path of ["/workflows/nope", "/workflows/nope/instances", "/workflows/nope/instances/o-1"]) {
      const missing = await server.call("GET", `${C}${path}`);
      expect(missing.status).toBe(404);
      expect(missing.body.errors[0]).toMatchObject({ code: 10501, cairn_code: "workflow.not_found" });
      expect(missing.body.errors[0].message).toContain('"nope"');
    }
    const ghost = await detail("orders", "ghost");
    expect(ghost.status).toBe(404);
    expect(ghost.body.errors[0].cairn_code).toBe("instance.not_found");
  });
});

describe("Cairn's instance list", () => {
  it("pages by cursor over every instance once, newest first, and filters as the other lists do", async () => {
    server = await startApiServer(all);
    const { ORDERS } = server.cairn.env;
    const created = ["a-0", "a-1", "a-2", "a-3", "a-4", "b-0", "b-1"];
    for (const id of created.slice(0, 5)) await ORDERS.create({ id, params: { amount: 1 } });
    // The b- instances are created in a later millisecond than the a- ones, for the date filters.
    const lastA = (await server.cairn.inspect.instance("orders", "a-4")).createdAt;
    await waitUntil(
      () => Date.now(),
      (now) => now > lastA,
      { what: "the clock past a-4's creation" },
    );
    for (const id of created.slice(5)) await ORDERS.create({ id, params: { amount: 1 } });
    await waitingFor(created);
    for (const id of ["a-1", "b-0"]) {
      const instance = await ORDERS.get(id);
      await instance.terminate();
      await waitForStatus(instance, "terminated");
    }
    const counts = { ...ZERO, waiting: 5, terminated: 2 };

    const seen: string[] = [];
    let cursor: string | null = null;
    let requests = 0;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
      const page = await server.call("GET", `${C}/workflows/orders/instances?per_page=3${query}`);
      expect(page.status).toBe(200);
      requests++;
      seen.push(...ids(page));
      const { next_cursor, ...info } = page.body.result_info;
      expect(info).toEqual({ total: 7, counts, per_page: 3 });
      expect(next_cursor === null || typeof next_cursor === "string").toBe(true);
      cursor = next_cursor;
    } while (cursor);
    expect(requests).toBe(3);
    expect(seen).toEqual([...created].reverse());

    const first = await server.call("GET", `${C}/workflows/orders/instances?per_page=1`);
    expect(first.body.result).toEqual([
      {
        id: "b-1",
        workflow: "orders",
        status: "waiting",
        trigger: "binding",
        created_at: expect.stringMatching(/Z$/),
        started_at: expect.stringMatching(/Z$/),
        ended_at: null,
        updated_at: expect.stringMatching(/Z$/),
      },
    ]);
    const terminated = await server.call("GET", `${C}/workflows/orders/instances?status=terminated`);
    expect(ids(terminated)).toEqual(["b-0", "a-1"]);
    expect(terminated.body.result[0].ended_at).toMatch(/Z$/);
    expect(terminated.body.result_info).toMatchObject({ next_cursor: null, total: 2, counts, per_page: 25 });
    const prefixed = await server.call("GET", `${C}/workflows/orders/instances?id_prefix=b-&order=asc`);
    expect(ids(prefixed)).toEqual(["b-0", "b-1"]);
    expect(prefixed.body.result_info.total).toBe(2);

    const bCreated = new Date((await server.cairn.inspect.instance("orders", "b-0")).createdAt).toISOString();
    const later = await server.call("GET", `${C}/workflows/orders/instances?date_start=${bCreated}`);
    expect(ids(later)).toEqual(["b-1", "b-0"]);
    expect(later.body.result_info).toMatchObject({ total: 2, counts });
    const earlier = await server.call(
      "GET",
      `${C}/workflows/orders/instances?date_end=${new Date(lastA).toISOString()}&status=waiting`,
    );
    expect(ids(earlier)).toEqual(["a-4", "a-3", "a-2", "a-0"]);
    const future = new Date(Date.now() + 60_000).toISOString();
    const none = await server.call("GET", `${C}/workflows/orders/instances?date_start=${future}`);
    expect(none.body.result).toEqual([]);
    expect(none.body.result_info).toEqual({ next_cursor: null, total: 0, counts, per_page: 25 });
    const past = await server.call("GET", `${C}/workflows/orders/instances?date_end=2000-01-01T00:00:00Z`);
    expect(past.body.result_info.total).toBe(0);

    for (const bad of ["per_page=0", "per_page=101", "per_page=ten", "status=bogus", "order=up"]) {
      const answer = await server.call("GET", `${C}/workflows/orders/instances?${bad}`);
      expect(answer.status).toBe(400);
      expect(answer.body.errors[0].cairn_code).toBe("request.invalid");
      const [name, value] = bad.split("=");
      expect(answer.body.errors[0].message).toContain(name);
      expect(answer.body.errors[0].message).toContain(`"${value}"`);
    }
    const reversed = await server.call(
      "GET",
      `${C}/workflows/orders/instances?date_start=${future}&date_end=2000-01-01T00:00:00Z`,
    );
    expect(reversed.status).toBe(400);
    expect(reversed.body.errors[0].code).toBe(10502);
  });
});

describe("Cairn's instance details", () => {
  it("shows a complete instance's steps by key with every attempt, and keeps the log and output routes", async () => {
    server = await startApiServer(all);
    // A fresh id: Order fails its charge once per instance id, for the whole test file.
    const instance = await server.cairn.env.ORDERS.create({ id: "done-1", params: { amount: 7 } });
    await waitForStatus(instance, "waiting");
    await instance.sendEvent({ type: "approve", payload: { ok: true } });
    await waitForStatus(instance, "complete");

    const answer = await detail("orders", "done-1");
    expect(answer.status).toBe(200);
    const d = answer.body.result;
    expect(d).toMatchObject({
      id: "done-1",
      workflow: "orders",
      status: "complete",
      trigger: "binding",
      created_at: expect.stringMatching(/Z$/),
      started_at: expect.stringMatching(/Z$/),
      ended_at: expect.stringMatching(/Z$/),
      updated_at: expect.stringMatching(/Z$/),
      params: { amount: 7 },
      output: { charged: 7, approved: true },
      rollback: null,
    });
    for (const absent of ["error", "wake_at", "waiting_for", "paused_at"])
      expect(d).not.toHaveProperty(absent);
    expect(d.steps.map((s: { key: string }) => s.key)).toEqual([
      "do:1:charge",
      "do:1:token",
      "do:1:receipt",
      "sleep:1:cool off",
      "waitForEvent:1:approval",
    ]);
    const [charge, token, receipt, cool, approval] = d.steps;
    expect(charge).toMatchObject({
      type: "do",
      name: "charge",
      count: 1,
      status: "succeeded",
      config: { retries: { limit: 2, delay: 0, backoff: "exponential" } },
      output: { charged: 7 },
      error: null,
      wake_at: null,
    });
    expect(charge.attempts).toEqual([
      {
        attempt: 1,
        started_at: expect.stringMatching(/Z$/),
        ended_at: expect.stringMatching(/Z$/),
        success: false,
        error: { name: "Error", message: "card declined" },
        retry_delay_ms: 0,
      },
      {
        attempt: 2,
        started_at: expect.stringMatching(/Z$/),
        ended_at: expect.stringMatching(/Z$/),
        success: true,
        error: null,
        retry_delay_ms: null,
      },
    ]);
    expect(token.output).toBe("[REDACTED]");
    expect(JSON.stringify(d)).not.toContain("s3cr3t");
    expect(receipt.stream).toEqual({ bytes: 13, preview: "receipt bytes" });
    expect(receipt).not.toHaveProperty("output");
    expect(cool).toMatchObject({ type: "sleep", status: "succeeded", attempts: [], wake_at: null });
    expect(cool).not.toHaveProperty("output");
    expect(approval).toMatchObject({
      type: "waitForEvent",
      status: "succeeded",
      event_type: "approve",
      event: { type: "approve", payload: { ok: true }, sent_at: expect.stringMatching(/Z$/) },
    });

    const log = await server.call("GET", `${C}/workflows/orders/instances/done-1/log`);
    expect(log.body.result[0]).toMatchObject({ seq: expect.any(Number), type: "WORKFLOW_QUEUED" });
    expect(log.body.result.at(-1)).toMatchObject({
      type: "WORKFLOW_SUCCESS",
      at: expect.stringMatching(/Z$/),
    });
    const output = await server.call(
      "GET",
      `${C}/workflows/orders/instances/done-1/steps/${encodeURIComponent("do:1:charge")}/output`,
    );
    expect(output.body.result).toEqual({
      status: "complete",
      error: null,
      output: { charged: 7 },
      key: "do:1:charge",
      type: "do",
    });
  });

  it("shows when a waiting instance wakes and what it waits for, and when a paused one paused", async () => {
    server = await startApiServer(all);
    const { ORDERS } = server.cairn.env;
    await ORDERS.create({ id: "w-1" });
    await ORDERS.create({ id: "p-1" });
    await waitingFor(["w-1", "p-1"]);
    const d = (await detail("orders", "w-1")).body.result;
    const approval = d.steps.at(-1);
    expect(d).toMatchObject({ status: "waiting", waiting_for: ["approve"], ended_at: null });
    // The wait's deadline: an hour after it started (the engine reads the clock twice).
    const ahead = Date.parse(d.wake_at) - Date.parse(approval.started_at);
    expect(ahead).toBeGreaterThanOrEqual(3_600_000);
    expect(ahead).toBeLessThan(3_601_000);
    expect(approval).toMatchObject({
      key: "waitForEvent:1:approval",
      status: "waiting",
      event_type: "approve",
      event: null,
      wake_at: d.wake_at,
      ended_at: null,
    });
    expect(approval).not.toHaveProperty("timed_out");

    const paused = await ORDERS.get("p-1");
    await paused.pause();
    await waitForStatus(paused, "paused");
    const p = (await detail("orders", "p-1")).body.result;
    expect(p.status).toBe("paused");
    expect(Date.parse(p.paused_at)).toBeGreaterThanOrEqual(Date.parse(p.created_at));
    expect(p).not.toHaveProperty("wake_at");
  });

  it("shows an errored instance's error and a terminated one's termination", async () => {
    server = await startApiServer(all);
    await waitForStatus(await server.cairn.env.BROKEN.create({ id: "b-1" }), "errored");
    const errored = (await detail("broken", "b-1")).body.result;
    expect(errored).toMatchObject({
      status: "errored",
      error: { name: "NonRetryableError", message: "out of stock" },
      ended_at: expect.stringMatching(/Z$/),
    });
    expect(errored).not.toHaveProperty("output");
    expect(errored.steps[0]).toMatchObject({
      key: "do:1:explode",
      status: "failed",
      error: { name: "NonRetryableError", message: "out of stock" },
      attempts: [{ attempt: 1, success: false, error: { message: "out of stock" } }],
    });

    const instance = await server.cairn.env.ORDERS.create({ id: "t-1" });
    await waitForStatus(instance, "waiting");
    await instance.terminate();
    await waitForStatus(instance, "terminated");
    const terminated = (await detail("orders", "t-1")).body.result;
    expect(terminated).toMatchObject({ status: "terminated", ended_at: expect.stringMatching(/Z$/) });
    for (const absent of ["error", "output", "wake_at", "waiting_for"]) {
      expect(terminated).not.toHaveProperty(absent);
    }
    expect(terminated.steps.at(-1)).toMatchObject({
      key: "termination",
      type: "termination",
      status: "succeeded",
      attempts: [],
    });
  });
});

describe("Cairn's instance details with output_limit", () => {
  it("cuts params, output and step outputs longer than the limit to their size and a preview", async () => {
    server = await startApiServer(all);
    const text = `${"é".repeat(150)}${"x".repeat(150)}`;
    await waitForStatus(await server.cairn.env.BIG.create({ id: "g-1", params: { text } }), "complete");
    const json = JSON.stringify({ text });
    const truncated = { bytes: Buffer.byteLength(json), preview: json.slice(0, 100) };
    expect(truncated.bytes).toBeGreaterThan(json.length);

    const cut = (await detail("big", "g-1", "?output_limit=100")).body.result;
    expect(cut).not.toHaveProperty("params");
    expect(cut).not.toHaveProperty("output");
    expect(cut.params_truncated).toEqual(truncated);
    expect(cut.output_truncated).toEqual(truncated);
    const [echo, small] = cut.steps;
    expect(echo).not.toHaveProperty("output");
    expect(echo.output_truncated).toEqual(truncated);
    expect(small.output).toEqual({ n: 1 });
    expect(small).not.toHaveProperty("output_truncated");

    const whole = (await detail("big", "g-1")).body.result;
    expect(whole).toMatchObject({ params: { text }, output: { text } });
    expect(whole.steps[0].output).toEqual({ text });
    const roomy = (await detail("big", "g-1", `?output_limit=${json.length}`)).body.result;
    expect(roomy.params).toEqual({ text });
    const tight = (await detail("big", "g-1", `?output_limit=${json.length - 1}`)).body.result;
    expect(tight.params_truncated.preview).toBe(json.slice(0, -1));
    const zero = (await detail("big", "g-1", "?output_limit=0")).body.result;
    expect(zero.steps[1].output_truncated).toEqual({ bytes: 7, preview: "" });
  });

  it("cuts an event's payload inside the event, and keeps a sensitive output redacted", async () => {
    server = await startApiServer(all);
    const instance = await server.cairn.env.ORDERS.create({ id: "e-1", params: { amount: 2 } });
    await waitForStatus(instance, "waiting");
    const payload = { ok: true, note: "n".repeat(300) };
    await instance.sendEvent({ type: "approve", payload });
    await waitForStatus(instance, "complete");
    const d = (await detail("orders", "e-1", "?output_limit=50")).body.result;
    const approval = d.steps.at(-1);
    expect(approval.event).toEqual({
      type: "approve",
      payload_truncated: {
        bytes: JSON.stringify(payload).length,
        preview: JSON.stringify(payload).slice(0, 50),
      },
      sent_at: expect.stringMatching(/Z$/),
    });
    expect(d.params).toEqual({ amount: 2 });
    expect(d.steps[1].output).toBe("[REDACTED]");
    expect(JSON.stringify(d)).not.toContain("s3cr3t");
  });

  it("refuses an output_limit that is not a whole number from 0 to 1,000,000, naming the value", async () => {
    server = await startApiServer(all);
    await waitForStatus(await server.cairn.env.QUICK.create({ id: "q-1" }), "complete");
    for (const bad of ["abc", "-1", "1.5", "1000001", "1e3"]) {
      const answer = await detail("quick", "q-1", `?output_limit=${bad}`);
      expect(answer.status).toBe(400);
      expect(answer.body.errors[0]).toMatchObject({
        cairn_code: "request.invalid",
        message: `output_limit: expected a whole number from 0 to 1000000, got "${bad}"`,
      });
    }
    expect((await detail("quick", "q-1", "?output_limit=1000000")).status).toBe(200);
  });

  it("gives a stream step's size and a preview of its first bytes, at most 4,096", async () => {
    server = await startApiServer(all);
    await waitForStatus(await server.cairn.env.BIG.create({ id: "s-1", params: { text: "t" } }), "complete");
    const blob = async (query: string) => (await detail("big", "s-1", query)).body.result.steps[2];
    const plain = await blob("");
    expect(plain).toMatchObject({ key: "do:1:blob", stream: { bytes: 6000, preview: "é".repeat(512) } });
    expect(plain).not.toHaveProperty("output");
    // 7 bytes end inside the fourth "é": its first byte decodes as a replacement character.
    expect((await blob("?output_limit=7")).stream).toEqual({ bytes: 6000, preview: "ééé\uFFFD" });
    expect((await blob("?output_limit=100000")).stream).toEqual({ bytes: 6000, preview: "é".repeat(2048) });
  });
});
