// The local explorer API over real HTTP on a real SQLite file, as `wrangler workflows --local`
// and the explorer UI call it: under both prefixes, numbered pages newest first, instance details
// in Cloudflare's shape, PATCH status by `status` or the older `action`, events, batch delete and
// deleting a workflow's instances.

import { waitForStatus, waitUntil } from "cairn/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type ApiServer, startApiServer } from "./helpers/api-server.js";
import { workflows } from "./workflows.js";

const NEW = "/cdn-cgi/local/explorer/api";
const OLD = "/cdn-cgi/explorer/api";

let server: ApiServer<typeof workflows>;
afterEach(async () => {
  await server?.close();
});

async function statusOf(id: string, workflow = "orders") {
  return (await server.call("GET", `${NEW}/workflows/${workflow}/instances/${id}`)).body.result.status;
}

describe("the explorer API", () => {
  it("lists workflows and describes one with every status counted", async () => {
    server = await startApiServer(workflows, { scriptName: "shop" });
    await waitForStatus(await server.cairn.env.QUICK.create({ id: "q1" }), "complete");
    for (const base of [NEW, OLD]) {
      const list = await server.call("GET", `${base}/workflows`);
      expect(list.status).toBe(200);
      expect(list.body).toMatchObject({ success: true, errors: [], messages: [], result_info: { count: 3 } });
      expect(list.body.result).toContainEqual({ name: "quick", class_name: "Quick", script_name: "shop" });
      const one = await server.call("GET", `${base}/workflows/quick`);
      expect(one.body.result).toEqual({
        name: "quick",
        class_name: "Quick",
        script_name: "shop",
        instances: {
          queued: 0,
          running: 0,
          paused: 0,
          errored: 0,
          terminated: 0,
          complete: 1,
          waiting: 0,
          waitingForPause: 0,
        },
      });
    }
    const missing = await server.call("GET", `${NEW}/workflows/nope`);
    expect(missing.status).toBe(404);
    expect(missing.body.errors[0]).toMatchObject({ code: 10501, cairn_code: "workflow.not_found" });
    expect(missing.body.errors[0].message).toContain('"nope"');
    expect(missing.body.result).toBeNull();
  });

  it("creates instances (an empty body is {}) and lists them newest first by page with totals", async () => {
    server = await startApiServer(workflows);
    const created = await server.call("POST", `${NEW}/workflows/quick/instances`, {
      id: "first",
      params: { a: 1 },
    });
    expect(created.body.result).toEqual({ id: "first" });
    const anonymous = await server.call("POST", `${NEW}/workflows/quick/instances`);
    expect(anonymous.status).toBe(200);
    expect(anonymous.body.result.id).toMatch(/^[0-9a-f-]{36}$/);
    for (let i = 0; i < 5; i++)
      await server.call("POST", `${OLD}/workflows/quick/instances`, { id: `q-${i}` });
    await waitUntil(
      async () =>
        (await server.call("GET", `${NEW}/workflows/quick/instances?status=complete`)).body.result_info,
      (info) => info?.total_count === 7,
      { what: "seven complete instances" },
    );
    const page = await server.call("GET", `${NEW}/workflows/quick/instances?per_page=3&page=1`);
    expect(page.body.result.map((i: { id: string }) => i.id)).toEqual(["q-4", "q-3", "q-2"]);
    expect(page.body.result[0]).toMatchObject({
      status: "complete",
      created_on: expect.stringMatching(/Z$/),
    });
    expect(page.body.result_info).toMatchObject({
      page: 1,
      per_page: 3,
      total_count: 7,
      total_pages: 3,
      status_counts: { complete: 7 },
    });
    const last = await server.call("GET", `${NEW}/workflows/quick/instances?per_page=3&page=3`);
    expect(last.body.result.map((i: { id: string }) => i.id)).toEqual(["first"]);
    // wrangler's "latest" sends no query: the newest 25, newest first.
    const latest = await server.call("GET", `${OLD}/workflows/quick/instances`);
    expect(latest.body.result[0].id).toBe("q-4");
    expect(latest.body.result_info.per_page).toBe(25);
    const filtered = await server.call(
      "GET",
      `${NEW}/workflows/quick/instances?date_start=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
    );
    expect(filtered.body.result).toEqual([]);
    expect(filtered.body.result_info).toMatchObject({
      total_count: 0,
      total_pages: 1,
      status_counts: { complete: 7 },
    });
    const prefixed = await server.call("GET", `${NEW}/workflows/quick/instances?id_prefix=q-`);
    expect(prefixed.body.result_info.total_count).toBe(5);
  });

  it("describes an instance in Cloudflare's shape: named steps, attempts, sleep, wait, redaction", async () => {
    server = await startApiServer(workflows);
    await server.call("POST", `${NEW}/workflows/orders/instances`, { id: "o-1", params: { amount: 7 } });
    await waitUntil(
      () => statusOf("o-1"),
      (s) => s === "waiting",
      { what: "the instance waiting" },
    );
    const waiting = (await server.call("GET", `${NEW}/workflows/orders/instances/o-1`)).body.result;
    expect(waiting).toMatchObject({
      id: "o-1",
      status: "waiting",
      params: { amount: 7 },
      trigger: { source: "api" },
      success: null,
      output: null,
      error: null,
      waiting_for: ["approve"],
      step_count: 5,
    });
    const [charge, token, receipt, cool, approval] = waiting.steps;
    expect(charge).toMatchObject({ name: "charge-1", type: "step", success: true, output: { charged: 7 } });
    expect(charge.config.retries).toEqual({ limit: 2, delay: 0, backoff: "exponential" });
    expect(charge.attempts.map((a: { success: boolean }) => a.success)).toEqual([false, true]);
    expect(charge.attempts[0].error).toEqual({ name: "Error", message: "card declined" });
    expect(token).toMatchObject({ name: "token-1", output: "[REDACTED]" });
    expect(JSON.stringify(waiting)).not.toContain("s3cr3t");
    expect(receipt).toMatchObject({ name: "receipt-1", output: "[ReadableStream]" });
    expect(cool).toMatchObject({ name: "cool off-1", type: "sleep", finished: true, error: null });
    expect(approval).toMatchObject({
      name: "approval-1",
      type: "waitForEvent",
      finished: false,
      output: null,
    });

    const sent = await server.call("POST", `${OLD}/workflows/orders/instances/o-1/events/approve`, {
      ok: true,
    });
    expect(sent.status).toBe(200);
    await waitUntil(
      () => statusOf("o-1"),
      (s) => s === "complete",
      { what: "the instance complete" },
    );
    const done = (await server.call("GET", `${NEW}/workflows/orders/instances/o-1`)).body.result;
    expect(done).toMatchObject({
      success: true,
      output: { charged: 7, approved: true },
      end: expect.any(String),
    });
    expect(done.steps[4]).toMatchObject({
      finished: true,
      output: { type: "approve", payload: { ok: true }, timestamp: expect.any(String) },
    });
  });

  it("changes status by `status` and by the older `action`, answering the status after it", async () => {
    server = await startApiServer(workflows);
    await server.call("POST", `${NEW}/workflows/orders/instances`, { id: "p-1" });
    await waitUntil(
      () => statusOf("p-1"),
      (s) => s === "waiting",
      { what: "waiting" },
    );
    const path = `${NEW}/workflows/orders/instances/p-1/status`;
    const paused = await server.call("PATCH", path, { status: "pause" });
    expect(paused.body.result).toEqual({ status: "paused", timestamp: expect.stringMatching(/Z$/) });
    const resumed = await server.call("PATCH", `${OLD}/workflows/orders/instances/p-1/status`, {
      action: "resume",
    });
    expect(resumed.status).toBe(200);
    await waitUntil(
      () => statusOf("p-1"),
      (s) => s === "waiting",
      { what: "waiting again" },
    );
    const restarted = await server.call("PATCH", path, {
      status: "restart",
      from: { name: "approval", count: 1, type: "waitForEvent" },
    });
    expect(restarted.status).toBe(200);
    await waitUntil(
      () => statusOf("p-1"),
      (s) => s === "waiting",
      { what: "waiting after the restart" },
    );
    const notFirst = await server.call("PATCH", path, { status: "restart", from: { name: "nope" } });
    expect(notFirst.status).toBe(409);
    expect(notFirst.body.errors[0].cairn_code).toBe("instance.cannot_restart");
    const rollbackOnPause = await server.call("PATCH", path, { status: "pause", rollback: true });
    expect(rollbackOnPause.status).toBe(400);
    expect(rollbackOnPause.body.errors[0].message).toBe("'rollback' is only valid when terminating.");
    const terminated = await server.call("PATCH", path, { status: "terminate" });
    expect(terminated.body.result.status).toBe("terminated");
    const again = await server.call("PATCH", path, { status: "terminate" });
    expect(again.status).toBe(409);
    expect(again.body.errors[0].cairn_code).toBe("instance.cannot_terminate");
    const steps = (await server.call("GET", `${NEW}/workflows/orders/instances/p-1`)).body.result.steps;
    expect(steps.at(-1)).toMatchObject({ type: "termination", trigger: { source: "unknown" } });
  });

  it("deletes a batch (missing ids reported) and all of a workflow's instances", async () => {
    server = await startApiServer(workflows);
    for (const id of ["d-1", "d-2", "d-3"])
      await server.call("POST", `${NEW}/workflows/quick/instances`, { id });
    const batch = await server.call("POST", `${NEW}/workflows/quick/instances/batch/delete`, {
      instances: ["d-1", "ghost"],
    });
    expect(batch.body.result.deleted).toEqual([{ id: "d-1" }]);
    expect(batch.body.result.errors).toEqual([
      {
        id: "ghost",
        code: 10400,
        message: 'no instance "ghost" in workflow "quick"',
        cairn_code: "instance.not_found",
      },
    ]);
    const one = await server.call("DELETE", `${NEW}/workflows/quick/instances/d-2`);
    expect(one.body.result).toEqual({ success: true });
    const again = await server.call("DELETE", `${NEW}/workflows/quick/instances/d-2`);
    expect(again.status).toBe(404);
    expect(again.body.errors).toEqual([
      { code: 10501, message: 'no instance "d-2" in workflow "quick"', cairn_code: "instance.not_found" },
    ]);
    const all = await server.call("DELETE", `${OLD}/workflows/quick`);
    expect(all.body.result).toEqual({ status: "ok", success: true, deleted: 1 });
    const after = await server.call("GET", `${NEW}/workflows/quick/instances`);
    expect(after.body.result).toEqual([]);
  });

  it("lists this Worker's bindings for the explorer UI's sidebar", async () => {
    server = await startApiServer(workflows, { scriptName: "shop" });
    const workers = await server.call("GET", `${NEW}/local/workers`);
    expect(workers.body.result[0]).toMatchObject({ isSelf: true, name: "shop" });
    expect(workers.body.result[0].bindings.workflows).toContainEqual({
      id: "orders",
      bindingName: "ORDERS",
      className: "Order",
      scriptName: "shop",
    });
  });
});
