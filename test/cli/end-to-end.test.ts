// End to end: the real `cairn dev` on the orders fixture, and `node bin/cairn.js workflows …` as
// child processes against it. Each step checks what the command printed, its exit status, and
// what happened to the instance (read over HTTP, not through the CLI). Waits are bounded
// conditions, never sleeps.

import { execFile } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { replayHistory, waitUntil } from "cairn/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderWorkflow } from "../fixtures/orders-jsonc/src/order-workflow.js";
import { CairnProcess } from "../host/helpers/cairn-process.js";
import { copyFixture, removeProjects } from "../host/helpers/projects.js";

const bin = fileURLToPath(new URL("../../bin/cairn.js", import.meta.url));

type Run = { code: number; stdout: string; stderr: string };

let cairn: CairnProcess;
let url: string;

/** Runs `cairn workflows <args>` with CAIRN_URL pointing at the dev server. */
function workflows(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, "workflows", ...args],
      { env: { ...process.env, NO_COLOR: "", CAIRN_URL: url, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The instance as the REST API reports it (null when it does not exist). */
async function instance(id: string): Promise<any> {
  const response = await fetch(`${url}/client/v4/accounts/test/workflows/orders/instances/${id}`);
  if (response.status === 404) return null;
  return ((await response.json()) as { result: unknown }).result;
}

function waitForStatus(id: string, wanted: string[]): Promise<any> {
  return waitUntil(
    () => instance(id),
    (i) => wanted.includes(i?.status),
    { timeoutMs: 20_000, intervalMs: 25, what: `instance ${id} to be ${wanted.join(" or ")}` },
  );
}

async function logTypes(id: string): Promise<string[]> {
  const response = await fetch(`${url}/cairn/api/workflows/orders/instances/${id}/log`);
  const entries = ((await response.json()) as { result: { type: string }[] }).result;
  return entries.map((e) => e.type);
}

/** A local port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close((error) => (error ? reject(error) : resolve(port)));
    });
  });
}

beforeAll(async () => {
  const dir = copyFixture("orders-jsonc");
  cairn = CairnProcess.start(["dev", "--port", "0"], dir);
  url = await cairn.ready();
});

afterAll(async () => {
  await CairnProcess.killAll();
  removeProjects();
});

describe("cairn workflows against cairn dev", () => {
  it("lists the workflow, triggers an instance, and shows it in the list and in detail", async () => {
    const list = await workflows(["list"]);
    expect(list).toMatchObject({ code: 0, stderr: "" });
    expect(list.stdout).toMatch(
      /^NAME +CLASS +SCRIPT +LAST TRIGGERED +INSTANCES\norders +OrderWorkflow +orders-worker +never +none\n$/,
    );

    const trigger = await workflows([
      "trigger",
      "orders",
      '{"items":["lamp"],"failFirstCharge":true}',
      "--id",
      "e1",
    ]);
    expect(trigger.code).toBe(0);
    expect(trigger.stdout).toContain('🚀 Instance "e1" of workflow orders queued');
    const waiting = await waitForStatus("e1", ["waiting"]);
    expect(waiting.params).toEqual({ items: ["lamp"], failFirstCharge: true });

    const instances = await workflows(["instances", "list", "orders"]);
    expect(instances.code).toBe(0);
    expect(instances.stdout).toMatch(
      /^ID +STATUS +CREATED +DURATION +TRIGGER\ne1 +⏰ waiting +just now \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\) +.+ so far +api\n/,
    );
    expect(instances.stdout).toContain("All instances: 1 waiting");
    const none = await workflows(["instances", "list", "orders", "--status", "complete"]);
    expect(none.stdout).toBe("No instances of orders match the filters.\n");

    const describe = await workflows(["instances", "describe", "orders", "e1"]);
    expect(describe.code).toBe(0);
    expect(describe.stdout).toMatch(/^Instance e1 of workflow orders\n {2}Status +⏰ waiting\n/);
    expect(describe.stdout).toMatch(/\n {2}Waiting for +event "shipped"\n {2}Wakes +in \d+ min \(.*\)\n/);
    expect(describe.stdout).toMatch(/ 2 +do +charge-1 +✅ complete .* 2 +\{"attempts":2\}\n/);
    expect(describe.stdout).toMatch(/ 4 +waitForEvent +shipment-1 +👀 waiting /);
    expect(describe.stdout).toMatch(
      /Attempts of charge-1 \(retries: limit 3, delay 100 ms, constant\)\n.*\n +1 .*❌ Error: card network timed out\n +2 .*✅ success/,
    );
    const hidden = await workflows(["instances", "describe", "orders", "--step-output=false"]);
    expect(hidden.stderr).toBe('Latest instance is "e1"\n');
    expect(hidden.stdout).not.toContain("OUTPUT");
    expect(hidden.stdout).not.toContain('{"attempts":2}');

    const json = await workflows(["instances", "describe", "orders", "e1", "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ id: "e1", status: "waiting", step_count: 4 });
  });

  it("pauses, resumes and sends the event the instance waits for", async () => {
    const pause = await workflows(["instances", "pause", "orders", "e1"]);
    expect(pause.code).toBe(0);
    expect(pause.stdout).toMatch(/^⏸️ {2}Paused instance "e1" of workflow orders; status now /);
    await waitForStatus("e1", ["paused"]);

    const resume = await workflows(["instances", "resume", "orders", "latest"]);
    expect(resume.code).toBe(0);
    expect(resume.stdout).toContain('🔄 Resumed instance "e1" of workflow orders');
    await waitForStatus("e1", ["waiting"]);

    const send = await workflows([
      "instances",
      "send-event",
      "orders",
      "e1",
      "--type",
      "shipped",
      "--payload",
      '{"carrier":"ACME"}',
    ]);
    expect(send).toMatchObject({
      code: 0,
      stdout: '📤 Sent event "shipped" to instance "e1" of workflow orders\n',
    });
    const done = await waitForStatus("e1", ["complete", "errored"]);
    expect(done.status).toBe("complete");
    expect(done.output.carrier).toBe("ACME");
    expect(await logTypes("e1")).toEqual(
      expect.arrayContaining(["WORKFLOW_PAUSED", "WORKFLOW_RESUMED", "EVENT_SENT"]),
    );
  });

  it("restarts from a step, and the restart is in the exported history", async () => {
    const before = await instance("e1");
    const restart = await workflows(["instances", "restart", "orders", "e1", "--from-step-name", "receipt"]);
    expect(restart.code).toBe(0);
    expect(restart.stdout).toContain('🔁 Restarted instance "e1" of workflow orders');
    await waitUntil(
      () => instance("e1"),
      (i) => i?.status === "complete" && i.end !== before.end,
      { timeoutMs: 20_000, intervalMs: 25, what: "e1 to finish again after the restart" },
    );

    const file = join(tmpdir(), `cairn-export-${process.pid}.json`);
    const exported = await workflows(["instances", "export", "orders", "e1", "--output", file]);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toMatch(
      /^📦 Wrote the history of instance "e1" of workflow orders to .* \(\d+ steps, \d+ log entries\)\n$/,
    );
    const history = JSON.parse(readFileSync(file, "utf8"));
    rmSync(file);
    expect(history).toMatchObject({
      format: "cairn.instance-history/2",
      workflow: "orders",
      id: "e1",
      include_sensitive: false,
    });
    expect(history.instance).toMatchObject({ id: "e1", status: "complete", output: { carrier: "ACME" } });
    expect(history.log.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(["WORKFLOW_QUEUED", "EVENT_SENT", "WORKFLOW_RESTARTED", "WORKFLOW_SUCCESS"]),
    );
    const stdout = await workflows(["instances", "export", "orders", "e1"]);
    expect(JSON.parse(stdout.stdout).log).toHaveLength(history.log.length);

    // The fixture's own workflow class replays the file: compatible, with the recorded output.
    const replay = await replayHistory(OrderWorkflow, history);
    expect(replay).toMatchObject({ compatible: true, ending: "returned", notReached: [] });
    expect(replay.output).toEqual(history.instance.output);
    expect(replay.reached.map((s) => s.key)).toEqual([
      "do:1:reserve",
      "do:1:charge",
      "sleep:1:pack",
      "waitForEvent:1:shipment",
      "do:1:receipt",
    ]);
  });

  it("terminates one instance, then all that wait, and refuses to terminate a finished one", async () => {
    for (const id of ["t1", "t2", "t3"]) {
      const run = await workflows(["trigger", "orders", '{"items":["x"],"sleep":600000}', "--id", id]);
      expect(run.code).toBe(0);
      await waitForStatus(id, ["waiting"]);
    }
    const terminate = await workflows(["instances", "terminate", "orders", "t1"]);
    expect(terminate.code).toBe(0);
    expect(terminate.stdout).toContain('🚫 Terminated instance "t1" of workflow orders');
    await waitForStatus("t1", ["terminated"]);

    const all = await workflows(["instances", "terminate-all", "orders", "--status", "waiting"]);
    expect(all).toMatchObject({
      code: 0,
      stdout: "🚫 Terminating every waiting instance of workflow orders\n",
    });
    await waitForStatus("t2", ["terminated"]);
    await waitForStatus("t3", ["terminated"]);
    expect((await instance("e1")).status).toBe("complete");

    const again = await workflows(["instances", "terminate", "orders", "t1"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^cairn workflows: .*\(instance\.cannot_terminate\)\n$/);
  });

  it("deletes instances by id and reports the ids it could not delete", async () => {
    const remove = await workflows(["instances", "delete", "orders", "t1", "t2", "nope"]);
    expect(remove.code).toBe(1);
    expect(remove.stdout).toBe('🗑️  Deleted 2 instances of workflow orders: "t1", "t2"\n');
    expect(remove.stderr).toBe(
      'cairn workflows: could not delete "nope": no instance "nope" in workflow "orders" (instance.not_found)\n',
    );
    expect(await instance("t1")).toBeNull();
    expect(await instance("t2")).toBeNull();
    expect(await instance("t3")).not.toBeNull();

    // Two remain, t3 the newer: one per page.
    const second = await workflows(["instances", "list", "orders", "--per-page", "1", "--page", "2"]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(
      /^ID +STATUS .*\ne1 +✅ complete .*\nAll instances: 1 terminated, 1 complete\nPage 2 of 2 \(2 instances\)\n$/,
    );
  });

  it("exits 1 for an unknown instance, 2 for a usage error, 3 when nothing answers", async () => {
    const unknown = await workflows(["instances", "describe", "orders", "nope"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toBe(
      'cairn workflows: no instance "nope" in workflow "orders" (instance.not_found)\n',
    );

    const usage = await workflows(["instances", "restart", "orders", "e1", "--from-step-type", "do"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe(
      "cairn workflows: --from-step-count and --from-step-type need --from-step-name\n",
    );

    const port = await closedPort();
    const away = await workflows(["list", "--url", `http://127.0.0.1:${port}`]);
    expect(away.code).toBe(3);
    expect(away.stderr).toContain(`cannot connect to http://127.0.0.1:${port} (ECONNREFUSED)`);
    expect(away.stderr).toContain("`cairn dev`");
    expect(away.stderr).toContain("--url");
  });
});
