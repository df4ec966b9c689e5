// What the commands print: tables for people, colour only on a terminal without NO_COLOR, and
// the raw result (no colour, no notes) with --json.

import { describe, expect, it } from "vitest";
import { runCli } from "./helpers/run-cli.js";
import { erroredInstance, listItem, ordersWorkflow } from "./helpers/samples.js";

const routes = {
  "GET /workflows": {
    result: [ordersWorkflow],
    result_info: { page: 1, per_page: 1, count: 1, total_count: 3, total_pages: 3 },
  },
  "GET /workflows/orders": { result: ordersWorkflow },
  "GET /workflows/orders/instances": {
    result: [listItem("a", "2026-12-04T10:01:00.000Z"), listItem("b", "2026-12-04T10:04:00.000Z", "running")],
    result_info: {
      count: 2,
      per_page: 2,
      total_count: 4,
      cursor: "next",
      status_counts: { complete: 3, running: 1 },
    },
  },
  "GET /workflows/orders/instances/order-42": { result: erroredInstance },
};

const ESC = "\x1b[";

describe("output", () => {
  it("workflows list: a table and a paging note", async () => {
    const run = await runCli(["list", "--per-page", "1"], { routes });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        "NAME    CLASS          SCRIPT         LAST TRIGGERED                    INSTANCES",
        "orders  OrderWorkflow  orders-worker  3 min ago (2026-12-04 10:02:00Z)  1 running, 1 errored, 2 complete",
        "Page 1 of 3 (3 workflows); next: --page 2",
        "",
      ].join("\n"),
    );
  });

  it("workflows describe: the facts and every status counted", async () => {
    const run = await runCli(["describe", "orders"], { routes });
    expect(run.stdout).toContain("Workflow orders\n  Class           OrderWorkflow\n");
    expect(run.stdout).toContain("Instances (4)\n  STATUS              COUNT\n  ⌛ queued               0\n");
    expect(run.stdout).toContain("  ⏱️ waitingForPause      0\n");
  });

  it("instances list: newest first, oldest first with --reverse, with the counts", async () => {
    const run = await runCli(["instances", "list", "orders"], { routes });
    expect(run.stdout).toBe(
      [
        "ID  STATUS       CREATED                           DURATION      TRIGGER",
        "b   ▶ running    1 min ago (2026-12-04 10:04:00Z)  1 min so far  api",
        "a   ✅ complete  4 min ago (2026-12-04 10:01:00Z)  0 ms          api",
        "All instances: 1 running, 3 complete",
        "Page 1 of 2 (4 instances); next: --page 2",
        "",
      ].join("\n"),
    );
    const reversed = await runCli(["instances", "list", "orders", "--reverse"], { routes });
    expect(reversed.stdout.split("\n")[1]).toMatch(/^a /);
  });

  it("instances list: tells how to create one when there are none", async () => {
    const run = await runCli(["instances", "list", "orders"], {
      routes: { "GET /workflows/orders/instances": { result: [] } },
    });
    expect(run.stdout).toBe("No instances of orders yet. Create one with: cairn workflows trigger orders\n");
    const filtered = await runCli(["instances", "list", "orders", "--status", "paused"], {
      routes: { "GET /workflows/orders/instances": { result: [] } },
    });
    expect(filtered.stdout).toBe("No instances of orders match the filters.\n");
  });

  it("colours only when stdout is a terminal and NO_COLOR is unset", async () => {
    const args = ["instances", "describe", "orders", "order-42"];
    const piped = await runCli(args, { routes, tty: false });
    expect(piped.stdout).not.toContain(ESC);
    const terminal = await runCli(args, { routes, tty: true });
    expect(terminal.stdout).toContain(`${ESC}31merrored${ESC}39m`);
    const noColour = await runCli(args, { routes, tty: true, env: { NO_COLOR: "1" } });
    expect(noColour.stdout).not.toContain(ESC);
    expect(noColour.stdout).toBe(piped.stdout);
  });

  it("--json prints the raw result, never coloured, even on a terminal", async () => {
    const describe = await runCli(["instances", "describe", "orders", "order-42", "--json"], {
      routes,
      tty: true,
    });
    expect(describe.stdout).not.toContain(ESC);
    expect(JSON.parse(describe.stdout)).toEqual(erroredInstance);
    const list = await runCli(["instances", "list", "orders", "--json"], { routes, tty: true });
    expect(JSON.parse(list.stdout).map((i: { id: string }) => i.id)).toEqual(["a", "b"]);
    const workflows = await runCli(["list", "--json"], { routes });
    expect(JSON.parse(workflows.stdout)).toEqual([ordersWorkflow]);
  });

  it("describe --step-output=false and --truncate-output-limit reach the renderer", async () => {
    const hidden = await runCli(["instances", "describe", "orders", "order-42", "--step-output=false"], {
      routes,
    });
    expect(hidden.stdout).not.toContain("OUTPUT");
    const shown = await runCli(["instances", "describe", "orders", "order-42", "--step-output"], { routes });
    expect(shown.stdout).toContain("OUTPUT");
    const cut = await runCli(
      ["instances", "describe", "orders", "order-42", "--truncate-output-limit", "4"],
      {
        routes,
      },
    );
    expect(cut.stdout).toContain('{"it… [14 more characters]');
  });
});
