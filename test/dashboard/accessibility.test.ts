// axe-core in Chromium on every kind of dashboard view, each in the light and then the dark
// colour scheme (the page's prefers-color-scheme switched in place): the overview, a workflow's
// instances, the trigger form open, a waiting instance with a step open, a confirmation dialog,
// and an errored instance with its rollback open. No serious or critical finding is allowed.

import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  type AxeViolation,
  describeWithBrowser,
  launchBrowser,
  seriousViolations,
  type WatchedContext,
  watchedContext,
} from "./helpers/browser.js";
import { open, screenshot } from "./helpers/pages.js";
import { type DashboardServer, startDev } from "./helpers/server.js";

/** Each view in turn: how to reach it from the one before, and what shows once it is ready. */
const VIEWS: { name: string; show: (page: Page, server: DashboardServer) => Promise<void> }[] = [
  {
    name: "overview",
    async show(page, server) {
      await open(page, server);
      await page.getByRole("img", { name: /^refunds: 1 created and 1 finished/ }).waitFor();
    },
  },
  {
    name: "instances",
    async show(page, server) {
      await open(page, server, "workflows/orders");
      await page.getByRole("link", { name: "looked-at" }).waitFor();
    },
  },
  {
    name: "trigger dialog",
    async show(page) {
      await page.getByRole("button", { name: "Trigger instance" }).click();
      await page.getByRole("dialog", { name: "Trigger orders" }).getByLabel("Params").fill("{oops");
      await page.getByText(/^Not valid JSON/).waitFor();
    },
  },
  {
    name: "instance with a step open",
    async show(page, server) {
      await open(page, server, "workflows/orders/instances/looked-at?step=do%3A1%3Acharge");
      await page.getByRole("heading", { name: "charge", level: 2 }).waitFor();
      await page.getByText(/^Waiting for "approve"/).waitFor();
    },
  },
  {
    name: "confirmation dialog",
    async show(page) {
      await page
        .getByRole("toolbar", { name: "Instance actions" })
        .getByRole("button", { name: "Terminate", exact: true })
        .click();
      await page.getByRole("dialog", { name: "Terminate looked-at?" }).waitFor();
    },
  },
  {
    name: "errored instance with its rollback open",
    async show(page, server) {
      await open(
        page,
        server,
        "workflows/refunds/instances/refused?step=rollback%3Ado%3A1%3Areserve%20funds",
      );
      await page.getByRole("heading", { name: "Rollback: reserve funds", level: 2 }).waitFor();
    },
  },
];

describeWithBrowser("accessibility", { timeout: 30_000 }, () => {
  let server: DashboardServer;
  let browser: Browser;
  let watched: WatchedContext;
  let page: Page;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startDev(), launchBrowser()]);
    watched = await watchedContext(browser, server.origin);
    page = await watched.newPage();
    await server.create("orders", "looked-at", { flaky: true });
    await server.create("refunds", "refused", {});
    await server.waitForStatus("orders", "looked-at", "waiting");
    await server.waitForStatus("refunds", "refused", "errored");
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const view of VIEWS) {
    it(`${view.name}: no serious or critical axe finding, light or dark`, async () => {
      await view.show(page, server);
      const found: Record<string, AxeViolation[]> = {};
      for (const colorScheme of ["light", "dark"] as const) {
        await page.emulateMedia({ colorScheme });
        const violations = await seriousViolations(page);
        if (violations.length > 0) found[colorScheme] = violations;
        await screenshot(page, `${colorScheme}-${view.name.replaceAll(" ", "-")}`);
      }
      await page.emulateMedia({ colorScheme: "light" });
      expect(found).toEqual({});
    });
  }

  it("loaded nothing from another origin and threw no error", () => {
    expect(watched.foreignRequests).toEqual([]);
    expect(watched.pageErrors).toEqual([]);
  });
});
