// The overview and a workflow's instances in Chromium against `cairn dev`: counts by status and
// the activity chart; the trigger form (refusing invalid JSON); filters by status, id prefix and
// creation date; paging by cursor; rows and counts following the change feed without a reload;
// bulk pause, resume, terminate and delete, checked against the instances' real state; the
// notice of stalled instances.

import { waitUntil } from "cairn/testing";
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

describeWithBrowser("the overview and the instances page", { timeout: 30_000 }, () => {
  let server: DashboardServer;
  let browser: Browser;
  let watched: WatchedContext;
  let page: Page;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startDev(), launchBrowser()]);
    watched = await watchedContext(browser, server.origin);
    page = await watched.newPage();
    await server.create("orders", "seed-order", { skipWait: true });
    await server.create("refunds", "seed-refund", { amount: 5 });
    await server.waitForStatus("orders", "seed-order", "complete");
    await server.waitForStatus("refunds", "seed-refund", "errored");
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const table = () => page.getByRole("table", { name: /^Instances of orders/ });
  const rows = () => table().locator("tbody tr");
  const rowIds = () => textsOf(table().locator("tbody tr td.mono"));
  const statusButton = (label: string) => page.getByRole("button", { name: new RegExp(`^${label} \\d+$`) });
  const countOn = (label: string) => statusButton(label).locator(".count");
  const notice = () => page.locator(".notice[role=status]");

  it("overview: each workflow with its counts by status and its activity chart, linking to its instances", async () => {
    await open(page, server);
    await page.getByRole("heading", { name: "Workflows", level: 1 }).waitFor();
    const orders = page.getByRole("list", { name: "orders instances by status" });
    const refunds = page.getByRole("list", { name: "refunds instances by status" });
    await orders.getByRole("link", { name: "Complete 1", exact: true }).waitFor();
    await orders.getByRole("link", { name: "Errored 0", exact: true }).waitFor();
    await refunds.getByRole("link", { name: "Errored 1", exact: true }).waitFor();
    await refunds.getByRole("link", { name: "Complete 0", exact: true }).waitFor();
    for (const name of ["orders", "refunds"]) {
      await page
        .getByRole("img", {
          name: new RegExp(`^${name}: 1 created and 1 finished in the last \\d+ minutes$`),
        })
        .waitFor();
    }
    await screenshot(page, "overview");

    await page.getByRole("link", { name: "orders", exact: true }).click();
    await page.waitForURL(`${server.dashboard}workflows/orders`);
    await page.getByRole("heading", { name: "orders", level: 1 }).waitFor();
    expect(await rowIds()).toEqual(["seed-order"]);
  });

  it("trigger: refuses invalid JSON, then creates an instance with the given id and params", async () => {
    await page.getByRole("button", { name: "Trigger instance" }).click();
    const dialog = page.getByRole("dialog", { name: "Trigger orders" });
    const trigger = dialog.getByRole("button", { name: "Trigger", exact: true });
    await dialog.getByLabel("Params").fill('{"customer": ');
    await dialog.getByText(/^Not valid JSON: /).waitFor();
    expect(await trigger.isDisabled()).toBe(true);
    await screenshot(page, "trigger-invalid");

    const same = await markDocument(page);
    await dialog.getByLabel("Instance id").fill("from-the-page");
    await dialog.getByLabel("Params").fill('{"customer": "grace@example.com", "skipWait": true}');
    expect(await trigger.isEnabled()).toBe(true);
    await trigger.click();
    await dialog.waitFor({ state: "hidden" });
    await textOf(notice(), /^Created from-the-page\. Open it/);
    const link = notice().getByRole("link", { name: "Open it" });
    expect(await link.getAttribute("href")).toBe(
      "/cdn-cgi/local/explorer/workflows/orders/instances/from-the-page",
    );
    await table().getByRole("link", { name: "from-the-page" }).waitFor();
    expect(await same()).toBe(true);
    const created = await server.instance("orders", "from-the-page");
    expect(created?.params).toEqual({ customer: "grace@example.com", skipWait: true });
  });

  it("filters by status (aria-pressed, counts as the server has them) and by id prefix", async () => {
    // from-the-page completes a second after its trigger: the count follows the feed.
    await textOf(countOn("Complete"), "2");
    await statusButton("Complete").click();
    await page.waitForURL(/\?status=complete$/);
    expect(await statusButton("Complete").getAttribute("aria-pressed")).toBe("true");
    expect(await statusButton("All").getAttribute("aria-pressed")).toBe("false");
    await countOf(rows(), 2);
    expect(new Set(await textsOf(table().locator("tbody .status")))).toEqual(new Set(["✓ Complete"]));

    await statusButton("Errored").click();
    await page.getByText("No instances match.").waitFor();
    expect(await statusButton("Errored").getAttribute("aria-pressed")).toBe("true");
    await statusButton("All").click();
    await countOf(rows(), 2);
    expect(await statusButton("All").getAttribute("aria-pressed")).toBe("true");

    await page.getByLabel("Search by id").fill("from-");
    await page.waitForURL(/\?q=from-$/);
    await countOf(rows(), 1);
    expect(await rowIds()).toEqual(["from-the-page"]);
    await page.getByRole("button", { name: "Clear filters" }).click();
    await countOf(rows(), 2);
  });

  it("filters by creation date and pages by cursor through more than 25 instances", async () => {
    // Everything so far was created before `boundary`, a whole second; the 30 made next, after it.
    const existing = await Promise.all(
      ["seed-order", "from-the-page"].map((id) => server.instance("orders", id)),
    );
    const boundary = Math.ceil(Math.max(...existing.map((i) => Date.parse(i!.created_at))) / 1000) * 1000;
    await waitUntil(
      () => Date.now(),
      (now) => now > boundary,
      { what: "the clock to pass the boundary" },
    );
    const ids = Array.from({ length: 30 }, (_, i) => `page-${String(i + 1).padStart(2, "0")}`);
    await Promise.all(ids.map((id) => server.create("orders", id, { skipWait: true })));

    const local = await page.evaluate((t) => {
      const d = new Date(t);
      const p = (n: number) => String(n).padStart(2, "0");
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    }, boundary);
    await page.getByLabel("Created to").fill(local);
    await textOf(page.locator(".pager .hint"), "2 matching");
    expect((await rowIds()).sort()).toEqual(["from-the-page", "seed-order"]);
    await page.getByLabel("Created to").fill("");
    await page.getByLabel("Created from").fill(local);
    await textOf(page.locator(".pager .hint"), "30 matching");

    const older = page.getByRole("button", { name: "Older" });
    const newer = page.getByRole("button", { name: "Newer" });
    const newest = page.getByRole("button", { name: "Newest" });
    await countOf(rows(), 25);
    const first = await rowIds();
    expect(await newer.isDisabled()).toBe(true);
    expect(await newest.isDisabled()).toBe(true);
    await older.click();
    await page.waitForURL(/cursor=/);
    await countOf(rows(), 5);
    const second = await rowIds();
    expect([...first, ...second].sort()).toEqual(ids);
    expect(await older.isDisabled()).toBe(true);
    await newer.click();
    await countOf(rows(), 25);
    expect(await rowIds()).toEqual(first);
    await older.click();
    await countOf(rows(), 5);
    await newest.click();
    await countOf(rows(), 25);
    expect(await rowIds()).toEqual(first);
    await screenshot(page, "instances-paged");
    await page.getByRole("button", { name: "Clear filters" }).click();
    await textOf(page.locator(".pager .hint"), "32 matching");

    // Rows per page: kept in the address, applied to the request.
    await page.getByLabel("Rows per page").selectOption("10");
    await page.waitForURL(/per_page=10/);
    await countOf(rows(), 10);
    await page.getByLabel("Rows per page").selectOption("25");
    await countOf(rows(), 25);
  });

  it("live: an instance created elsewhere appears in the open table and the counts change, without a reload", async () => {
    const same = await markDocument(page);
    await textOf(countOn("All"), "32");
    await server.create("orders", "made-elsewhere", {});
    await table().getByRole("link", { name: "made-elsewhere" }).waitFor();
    await textOf(countOn("All"), "33");
    await server.waitForStatus("orders", "made-elsewhere", "waiting");
    await textOf(countOn("Waiting"), "1");
    expect(await same()).toBe(true);
  });

  it("bulk actions: pause and resume at once, terminate and delete after a confirmation", async () => {
    const ids = ["bulk-1", "bulk-2", "bulk-3"];
    await Promise.all(ids.map((id) => server.create("orders", id, {})));
    await Promise.all(ids.map((id) => server.waitForStatus("orders", id, "waiting")));
    await page.getByLabel("Search by id").fill("bulk-");
    await countOf(rows(), 3);
    await page.getByLabel("Select all rows on this page").check();
    await page.getByText("3 selected").waitFor();
    const bar = page.getByRole("toolbar", { name: "Actions on selected instances" });
    const statuses = async () =>
      (await Promise.all(ids.map((id) => server.instance("orders", id)))).map((i) => i?.status ?? "gone");

    await bar.getByRole("button", { name: "Pause" }).click();
    await textOf(notice(), /^Paused 3 instances\./);
    expect(await page.getByRole("dialog").count()).toBe(0);
    await waitUntil(statuses, (s) => s.every((x) => x === "paused"), { what: "paused" });

    await bar.getByRole("button", { name: "Resume" }).click();
    await textOf(notice(), /^Resumed 3 instances\./);
    await waitUntil(statuses, (s) => s.every((x) => x === "waiting"), { what: "waiting again" });

    await bar.getByRole("button", { name: "Terminate" }).click();
    const terminate = page.getByRole("dialog", { name: "Terminate 3 instances?" });
    await terminate.getByRole("button", { name: "Terminate" }).click();
    await textOf(notice(), /^Terminated 3 instances\./);
    expect(await statuses()).toEqual(["terminated", "terminated", "terminated"]);

    await bar.getByRole("button", { name: "Delete" }).click();
    const remove = page.getByRole("dialog", { name: "Delete 3 instances?" });
    await remove.getByText("Deleted instances and their history are gone for good.").waitFor();
    await remove.getByRole("button", { name: "Delete" }).click();
    await textOf(notice(), /^Deleted 3 instances\./);
    expect(await statuses()).toEqual(["gone", "gone", "gone"]);
    await page.getByText("No instances match.").waitFor();
  });

  it("deletes every instance of a workflow after a confirmation", async () => {
    await open(page, server, "workflows/refunds");
    await page.getByRole("link", { name: "seed-refund" }).waitFor();
    await page.getByRole("button", { name: "Delete all instances" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete every instance of refunds?" });
    await dialog.getByText("All 1 instances and their history are deleted for good").waitFor();
    await dialog.getByRole("button", { name: "Delete all instances" }).click();
    await textOf(notice(), /^Deleted 1 instance\./);
    await page.getByText("No instances match.").waitFor();
    expect(await server.instance("refunds", "seed-refund")).toBeNull();
  });

  it("a workflow with stalled instances says how many (the API's answer rewritten)", async () => {
    // A stall takes 5 minutes of the real clock here: the workflow's summary is rewritten.
    const matches = (url: URL) => url.pathname === "/cairn/api/workflows/orders";
    await page.route(matches, async (route) => {
      const response = await route.fetch();
      const body = await response.json();
      body.result = { ...body.result, stalled: 2 };
      await route.fulfill({ response, json: body });
    });
    try {
      await open(page, server, "workflows/orders");
      await textOf(
        page.locator(".notice-stalled"),
        /^2 running instances have made no progress for 5 minutes or more/,
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
