// One instance's page in Chromium against `cairn dev`: a deep link to a waiting order, the event
// that completes it live, the timeline and each kind of step opened (retried attempts with the
// wait between them, a truncated output loaded in full, a redacted one, a stream), the step
// filters, restarting from a step, every action on an instance, an errored refund with its
// rollback, the event log, and the notice of a running instance that makes no progress.

import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  describeWithBrowser,
  launchBrowser,
  type WatchedContext,
  watchedContext,
} from "./helpers/browser.js";
import { countOf, markDocument, open, screenshot, textOf, textsOf } from "./helpers/pages.js";
import { type DashboardServer, startDev } from "./helpers/server.js";

describeWithBrowser("the instance page", { timeout: 30_000 }, () => {
  let server: DashboardServer;
  let browser: Browser;
  let watched: WatchedContext;
  let page: Page;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startDev(), launchBrowser()]);
    watched = await watchedContext(browser, server.origin);
    page = await watched.newPage();
    await server.create("orders", "order-1", { flaky: true, customer: "ada@example.com" });
    await server.create("orders", "order-2", {});
    await server.create("refunds", "refund-1", { amount: 7 });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const badge = () => page.locator(".page-head .status");
  const notice = () => page.locator(".notice[role=status]");
  const steps = () => page.getByRole("table", { name: "Steps" });
  const stepNames = () => textsOf(steps().locator("tbody tr td:first-child"));
  const detail = () => page.locator("section.step-detail");
  const stepOutput = () => detail().getByRole("figure", { name: "Step output" }).locator("pre");
  const stepConfig = () => detail().locator("h3:text-is('Config') + pre");
  const logRows = () => page.getByRole("region", { name: "Event log" }).locator("tbody tr");
  const timelineRow = (name: string) =>
    page.getByRole("region", { name: "Step timeline" }).locator("li", { hasText: name });

  /** Opens a step by clicking its name in the list of steps, and waits for its detail. */
  async function openStep(name: string, key: string): Promise<void> {
    await steps().getByRole("link", { name, exact: true }).click();
    await page.waitForURL((url) => url.searchParams.get("step") === key);
    await page.getByRole("heading", { name, exact: true, level: 2 }).waitFor();
  }

  it("a deep link to a waiting order: sending the event it waits for completes it live", async () => {
    await open(page, server, "workflows/orders/instances/order-1");
    await page.getByRole("heading", { name: "order-1", level: 1 }).waitFor();
    await textOf(page.locator(".notice-waiting"), /^Waiting for "approve", until .+\. Send event$/);
    await textOf(badge(), "◷ Waiting");
    const same = await markDocument(page);

    await page.getByRole("button", { name: "Send event" }).click();
    const dialog = page.getByRole("dialog", { name: "Send event" });
    expect(await dialog.getByLabel("Event type").inputValue()).toBe("approve");
    await dialog.getByLabel("Payload").fill('{"by": "grace"}');
    await dialog.getByRole("button", { name: "Send", exact: true }).click();
    await textOf(notice(), /^Sent "approve" to order-1\./);
    await textOf(badge(), "✓ Complete");
    expect(await same()).toBe(true);

    await openStep("ship", "do:1:ship");
    await textOf(stepOutput(), /"approvedBy": "grace"/);
    await screenshot(page, "instance-complete");
  });

  it("the timeline says what each step did; a step opened shows its config, attempts and output", async () => {
    await textOf(timelineRow("charge"), /^charge step succeeded after .+; 2 attempts, 1 failed$/);
    await textOf(timelineRow("cool down"), /^cool down slept \d/);
    await textOf(timelineRow("approval"), /^approval waited .+ for "approve"$/);

    await openStep("charge", "do:1:charge");
    const config = await stepConfig().textContent();
    expect(JSON.parse(config!)).toMatchObject({ retries: { limit: 3, backoff: "constant" } });
    const attempts = detail().locator("table.attempts tbody tr");
    await countOf(attempts, 2);
    const [first, second] = await textsOf(attempts);
    expect(first).toMatch(/^1 .+ ✕ Error: card declined: try again 1\.0 s$/);
    expect(second).toMatch(/^2 .+ ✓ succeeded —$/);
    expect(JSON.parse((await stepOutput().textContent())!)).toEqual({ charged: 1250, currency: "EUR" });
    await screenshot(page, "instance-step-charge");

    await openStep("report", "do:1:report");
    await textOf(
      detail().locator(".value-truncated .hint"),
      /^Showing the first 2,000 characters of [\d.]+ KiB\. Show all$/,
    );
    expect(await detail().textContent()).not.toContain("line 200 of the report");
    await detail().getByRole("button", { name: "Show all" }).click();
    await detail().getByText("line 200 of the report").waitFor();

    await openStep("card token", "do:1:card token");
    await textOf(stepOutput(), '"[REDACTED]"');

    await openStep("receipt", "do:1:receipt");
    await detail().getByText("A stream of 38 B, as text:").waitFor();
    await textOf(
      detail().getByRole("figure", { name: "Stream preview" }).locator("pre"),
      "Receipt for ada@example.com: 1250 EUR",
    );
  });

  it("the step search and the type filter narrow the list of steps", async () => {
    const all = ["validate", "charge", "card token", "report", "receipt", "cool down", "approval", "ship"];
    expect(await stepNames()).toEqual(all);
    await page.getByLabel("Search steps").fill("rep");
    await countOf(steps().locator("tbody tr"), 1);
    expect(await stepNames()).toEqual(["report"]);
    await page.getByLabel("Search steps").fill("");
    await page.getByLabel("Type").selectOption("sleep");
    await page.waitForURL((url) => url.searchParams.get("type") === "sleep");
    await countOf(steps().locator("tbody tr"), 1);
    expect(await stepNames()).toEqual(["cool down"]);
    await page.getByLabel("Type").selectOption("waitForEvent");
    await countOf(steps().locator("tbody tr"), 1);
    expect(await stepNames()).toEqual(["approval"]);
    await page.getByLabel("Type").selectOption("");
    await countOf(steps().locator("tbody tr"), all.length);
  });

  it("restarts from a step: the steps before it keep their results, it and the rest run again", async () => {
    // The approval taken by the wait is buffered again, so the instance completes once more.
    const before = (await server.instance("orders", "order-1"))!;
    const startOf = (i: typeof before, key: string) => i.steps.find((s) => s.key === key)!.started_at;
    await openStep("report", "do:1:report");
    await detail().getByRole("button", { name: "Restart from this step" }).click();
    const dialog = page.getByRole("dialog", { name: "Restart order-1 from report?" });
    await dialog.getByRole("button", { name: "Restart from this step" }).click();
    await textOf(notice(), /^Restarted order-1 from report\./);
    await logRows().filter({ hasText: "WORKFLOW_RESTARTED" }).waitFor();
    const after = await server.waitForStatus("orders", "order-1", "complete");
    await textOf(badge(), "✓ Complete");
    expect(startOf(after, "do:1:charge")).toBe(startOf(before, "do:1:charge"));
    expect(after.steps.find((s) => s.key === "do:1:charge")!.attempts).toHaveLength(2);
    expect(Date.parse(startOf(after, "do:1:report"))).toBeGreaterThan(
      Date.parse(startOf(before, "do:1:report")),
    );
  });

  it("pause, resume, terminate, restart, terminate with rollback and delete an instance", async () => {
    await open(page, server, "workflows/orders/instances/order-2");
    await textOf(badge(), "◷ Waiting");
    const actions = page.getByRole("toolbar", { name: "Instance actions" });
    /** Clicks the action, confirms it when it asks, and waits for its notice. */
    const act = async (label: string, done: RegExp) => {
      await actions.getByRole("button", { name: label, exact: true }).click();
      const dialog = page.getByRole("dialog", { name: `${label} order-2?` });
      if (label !== "Pause" && label !== "Resume")
        await dialog.getByRole("button", { name: label, exact: true }).click();
      await textOf(notice(), done);
    };

    await act("Pause", /^Paused order-2\./);
    await textOf(badge(), "‖ Paused");
    await server.waitForStatus("orders", "order-2", "paused");
    await act("Resume", /^Resumed order-2\./);
    await textOf(badge(), "◷ Waiting");
    await act("Terminate", /^Terminated order-2\./);
    await textOf(badge(), "■ Terminated");
    await server.waitForStatus("orders", "order-2", "terminated");
    await act("Restart", /^Restarted order-2\./);
    await textOf(badge(), "◷ Waiting");
    await act("Terminate with rollback", /^Terminating with rollback order-2\./);
    await textOf(badge(), "■ Terminated");
    await server.waitForStatus("orders", "order-2", "terminated");

    await actions.getByRole("button", { name: "Delete", exact: true }).click();
    await page
      .getByRole("dialog", { name: "Delete order-2?" })
      .getByRole("button", { name: "Delete" })
      .click();
    await page.waitForURL(`${server.dashboard}workflows/orders`);
    await page
      .getByRole("table", { name: /^Instances of orders/ })
      .getByRole("link", { name: "order-1" })
      .waitFor();
    expect(await page.getByRole("link", { name: "order-2" }).count()).toBe(0);
    expect(await server.instance("orders", "order-2")).toBeNull();
  });

  it("an errored refund: its error, the rollback that ran, and the event log", async () => {
    await server.waitForStatus("refunds", "refund-1", "errored");
    await open(page, server, "workflows/refunds/instances/refund-1");
    await textOf(badge(), "✕ Errored");
    await page.getByText("NonRetryableError: the payment provider refused the refund").first().waitFor();
    await page.getByText("complete (after a failure)").waitFor();
    await page.getByText("3 of 3 finished").waitFor();
    await textOf(timelineRow("↩ reserve funds"), /^↩ reserve funds rollback succeeded after .+; 1 attempt$/);
    const log = logRows();
    await log.filter({ hasText: "WORKFLOW_FAILURE" }).waitFor();
    const entries = await textsOf(log);
    expect(entries.length).toBeGreaterThan(10);
    const types = entries.map((e) => e.split(" ").find((word) => /^[A-Z_]{5,}$/.test(word)));
    expect(types).toEqual(
      expect.arrayContaining(["WORKFLOW_QUEUED", "ATTEMPT_FAILURE", "ROLLBACK_COMPLETE", "WORKFLOW_FAILURE"]),
    );
    expect(entries.find((e) => e.includes("ATTEMPT_FAILURE"))).toContain(
      "the payment provider refused the refund",
    );
    await screenshot(page, "instance-errored");
  });

  it("a running instance that made no progress says for how long (the API's answer rewritten)", async () => {
    // A stall takes 5 minutes of the real clock here: the detail is rewritten as a stalled one.
    const detailPath = "/cairn/api/workflows/refunds/instances/refund-1";
    const matches = (url: URL) => url.pathname === detailPath;
    await page.route(matches, async (route) => {
      const response = await route.fetch();
      const body = await response.json();
      const { error: _error, ended_at: _ended, ...rest } = body.result;
      const since = "2026-01-01T00:00:00.000Z";
      body.result = {
        ...rest,
        status: "running",
        ended_at: null,
        no_progress: { since, for_ms: 7 * 60_000 },
      };
      await route.fulfill({ response, json: body });
    });
    try {
      await open(page, server, "workflows/refunds/instances/refund-1");
      await textOf(
        page.locator(".notice-stalled"),
        /^No progress for 7 min 0 s \(since .+\): no step is running/,
      );
    } finally {
      await page.unroute(matches);
    }
  });

  it("loaded nothing from another origin and threw no error", () => {
    expect(watched.foreignRequests).toEqual([]);
    expect(watched.pageErrors).toEqual([]);
  });
});
