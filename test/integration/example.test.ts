// Keeps examples/quickstart from rotting: runs its OrderWorkflow on a temporary SQLite file under
// a FakeClock and checks what it prints, its event log and its output; then runs the example's
// main.ts as `npm start` does (on a temporary file) and checks that it completes and exits 0.

import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Cairn } from "cairn";
import { FakeClock, waitForStatus, waitUntil } from "cairn/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { OrderWorkflow } from "../../examples/quickstart/order-workflow.js";
import { tempDir } from "../helpers/temp-store.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

describe("examples/quickstart", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    vi.restoreAllMocks();
  });

  it("OrderWorkflow retries the charge, hibernates in its sleep, takes the event and completes", async () => {
    const printed: string[] = [];
    vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
      printed.push(args.join(" "));
    });
    const { dbPath, cleanup } = tempDir();
    cleanups.push(cleanup);
    const clock = new FakeClock();
    const cairn = await Cairn.open({
      storage: `sqlite:${dbPath}`,
      clock,
      workflows: { ORDERS: { name: "orders", class: OrderWorkflow } },
    });
    cleanups.push(() => cairn.close());
    const readLog = () => cairn.inspect.log("orders", "order-1");
    const has = (type: string) => (log: { type: string }[]) => log.some((e) => e.type === type);

    const instance = await cairn.env.ORDERS.create({
      id: "order-1",
      params: { orderId: "order-1", items: ["lamp"], amount: 42 },
    });
    // The first charge attempt fails; its 1-second retry delay runs on the fake clock.
    await waitUntil(readLog, has("ATTEMPT_FAILURE"), { what: "the first charge attempt to fail" });
    clock.advance(1000);
    // The 3-second sleep is longer than hibernateAfterMs (1 s): the instance leaves memory.
    await waitForStatus(instance, "waiting");
    expect(await readLog()).toContainEqual(expect.objectContaining({ type: "SLEEP_START" }));
    // The scheduler arms its wake-up timer asynchronously, so move time on while polling.
    await waitUntil(
      () => {
        clock.advance(1000);
        return readLog();
      },
      has("WAIT_START"),
      { what: "the sleep to end and the wait for the event to start" },
    );
    await instance.sendEvent({ type: "shipped", payload: { carrier: "ACME", tracking: "T-1" } });

    expect(await waitForStatus(instance, ["complete", "errored"])).toEqual({
      status: "complete",
      output: {
        orderId: "order-1",
        reservation: "res-order-1",
        charge: "ch-order-1",
        carrier: "ACME",
        tracking: "T-1",
      },
    });
    // Each callback ran once per attempt although the instance was replayed after the sleep and the event.
    expect(printed.filter((line) => line.includes("[workflow order-1]"))).toEqual([
      "  [workflow order-1] reserving lamp",
      "  [workflow order-1] charge card, attempt 1: the payment provider timed out",
      "  [workflow order-1] charge card, attempt 2: charged 42",
      "  [workflow order-1] emailing receipt: ACME T-1",
    ]);
    const log = await readLog();
    expect(log.filter((e) => e.type !== "WORKFLOW_WAITING").map((e) => e.type)).toEqual([
      "WORKFLOW_QUEUED",
      "WORKFLOW_START",
      ...["STEP_START", "ATTEMPT_START", "ATTEMPT_SUCCESS", "STEP_SUCCESS"],
      ...[
        "STEP_START",
        "ATTEMPT_START",
        "ATTEMPT_FAILURE",
        "ATTEMPT_START",
        "ATTEMPT_SUCCESS",
        "STEP_SUCCESS",
      ],
      ...["SLEEP_START", "SLEEP_COMPLETE", "WAIT_START", "EVENT_SENT", "WAIT_COMPLETE"],
      ...["STEP_START", "ATTEMPT_START", "ATTEMPT_SUCCESS", "STEP_SUCCESS"],
      "WORKFLOW_SUCCESS",
    ]);
    expect(log.find((e) => e.type === "ATTEMPT_FAILURE")?.data).toMatchObject({
      error: { name: "Error", message: "payment provider timed out" },
      retryDelayMs: 1000,
    });
  });

  it("main.ts runs the order end to end and exits 0", async () => {
    const { dbPath, cleanup } = tempDir();
    cleanups.push(cleanup);
    const tsx = createRequire(import.meta.url).resolve("tsx/cli");
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
      (resolve) => {
        execFile(
          process.execPath,
          [tsx, "--conditions=source", "examples/quickstart/main.ts"],
          { cwd: repoRoot, env: { ...process.env, QUICKSTART_DB: dbPath }, timeout: 25_000 },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        );
      },
    );
    expect(stderr).not.toMatch(/error/i);
    expect(code).toBe(0);
    expect(stdout).toContain(`Cairn is open on ${dbPath}`);
    expect(stdout).toMatch(/\[main\] status: waiting/);
    expect(stdout).toMatch(/Final status: \{"status":"complete"/);
    expect(stdout).toMatch(
      /ATTEMPT_FAILURE +charge card #1 +error: payment provider timed out, retry in 1000 ms/,
    );
    expect(stdout).toMatch(/WAIT_COMPLETE +wait for shipment +type: shipped/);
    expect(stdout).toMatch(/\[main\] step "charge card" succeeded/);
    expect(stdout).toMatch(/charge card +do +succeeded +2 attempt\(s\)/);
    expect(stdout).toMatch(/WORKFLOW_SUCCESS\n$/);
  });
});
