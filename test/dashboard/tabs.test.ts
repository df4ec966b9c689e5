// Ten dashboard tabs in one browser against `cairn dev`: they share one connection to the change
// feed (a shared worker holds it; ten streams would take more than the six connections a browser
// allows per host), and every one of them shows an instance created elsewhere without a reload.

import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  describeWithBrowser,
  launchBrowser,
  type WatchedContext,
  watchedContext,
} from "./helpers/browser.js";
import { markDocument, open, recordRequests } from "./helpers/pages.js";
import { type DashboardServer, startDev } from "./helpers/server.js";

const TABS = 10;

describeWithBrowser("ten dashboard tabs", { timeout: 30_000 }, () => {
  let server: DashboardServer;
  let browser: Browser;
  let watched: WatchedContext;
  let feedRequests: { urls: string[] };

  beforeAll(async () => {
    [server, browser] = await Promise.all([startDev(), launchBrowser()]);
    feedRequests = await recordRequests(browser, "*/cairn/api/changes*");
    watched = await watchedContext(browser, server.origin);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("share one change feed, and each shows a new instance live", async () => {
    const pages: Page[] = [];
    for (let i = 0; i < TABS; i++) pages.push(await watched.newPage());
    await Promise.all(
      pages.map(async (page) => {
        await open(page, server, "workflows/orders");
        await page.getByText("No instances match.").waitFor();
      }),
    );
    const marks = await Promise.all(pages.map(markDocument));

    await server.create("orders", "seen-by-every-tab", { skipWait: true });
    await Promise.all(
      pages.map((page) =>
        page
          .getByRole("table", { name: /^Instances of orders/ })
          .getByRole("link", { name: "seen-by-every-tab" })
          .waitFor(),
      ),
    );
    expect(await Promise.all(marks.map((same) => same()))).toEqual(Array(TABS).fill(true));
    // One stream for the ten tabs (a second only if the worker had to reconnect).
    expect(feedRequests.urls.length).toBeGreaterThanOrEqual(1);
    expect(feedRequests.urls.length).toBeLessThanOrEqual(2);
  });

  it("loaded nothing from another origin and threw no error", () => {
    expect(watched.foreignRequests).toEqual([]);
    expect(watched.pageErrors).toEqual([]);
  });
});
