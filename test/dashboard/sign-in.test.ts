// Signing in to the dashboard in Chromium on `cairn start --api-token`, served at / on the admin
// listener: a browser without a session is sent to the form, a wrong token is refused, the right
// one lands on the overview, actions work (the page sends its CSRF token with each write), and
// after "Sign out" the API refuses the browser.

import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  describeWithBrowser,
  launchBrowser,
  type WatchedContext,
  watchedContext,
} from "./helpers/browser.js";
import { feedLive, textOf } from "./helpers/pages.js";
import { type DashboardServer, startWithToken } from "./helpers/server.js";

const TOKEN = "browser-t0ken";

describeWithBrowser("signing in to the dashboard", { timeout: 30_000 }, () => {
  let server: DashboardServer;
  let browser: Browser;
  let watched: WatchedContext;
  let page: Page;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startWithToken(TOKEN), launchBrowser()]);
    watched = await watchedContext(browser, server.origin);
    page = await watched.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const api = () => page.request.get(`${server.origin}/cairn/api/workflows`);

  it("sends a browser without a session from / to the sign-in form", async () => {
    await page.goto(server.dashboard);
    await page.waitForURL(`${server.origin}/sign-in?next=%2F`);
    await page.getByRole("heading", { name: "Sign in to Cairn" }).waitFor();
    expect((await api()).status()).toBe(401);
  });

  it("refuses a wrong token with a message, and signs in with the right one", async () => {
    await page.getByLabel("API token").fill("not-the-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await textOf(page.getByRole("alert"), "That is not this server's API token.");
    expect(await watched.context.cookies()).toEqual([]);

    await page.getByLabel("API token").fill(TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${server.origin}/`);
    await feedLive(page);
    await page.getByRole("link", { name: "orders", exact: true }).waitFor();
    await page.getByRole("link", { name: "refunds", exact: true }).waitFor();
    const [cookie] = await watched.context.cookies();
    expect(cookie).toMatchObject({ name: "cairn_session", httpOnly: true, sameSite: "Strict" });
  });

  it("acts as the signed-in browser, sending the session's CSRF token: triggers an instance and pauses it", async () => {
    await page.getByRole("link", { name: "orders", exact: true }).click();
    await page.getByRole("button", { name: "Trigger instance" }).click();
    const dialog = page.getByRole("dialog", { name: "Trigger orders" });
    await dialog.getByLabel("Instance id").fill("signed-in-order");
    const post = page.waitForRequest((r) => r.method() === "POST" && r.url().endsWith("/orders/instances"));
    await dialog.getByRole("button", { name: "Trigger", exact: true }).click();
    const csrf = await page.locator('meta[name="cairn-csrf"]').getAttribute("content");
    expect(csrf).toMatch(/^[\w-]{43}$/);
    expect((await post).headers()["x-cairn-csrf"]).toBe(csrf);
    await textOf(page.locator(".notice[role=status]"), /^Created signed-in-order\./);
    await server.waitForStatus("orders", "signed-in-order", "waiting");

    await page.getByRole("link", { name: "Open it" }).click();
    await page.getByRole("heading", { name: "signed-in-order", level: 1 }).waitFor();
    await page
      .getByRole("toolbar", { name: "Instance actions" })
      .getByRole("button", { name: "Pause" })
      .click();
    await textOf(page.locator(".page-head .status"), "‖ Paused");
    await server.waitForStatus("orders", "signed-in-order", "paused");
  });

  it("signs out: back to the form, and the API refuses the browser", async () => {
    expect((await api()).status()).toBe(200);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${server.origin}/sign-in`);
    await page.getByRole("heading", { name: "Sign in to Cairn" }).waitFor();
    expect((await api()).status()).toBe(401);
    await page.goto(`${server.dashboard}workflows/orders`);
    await page.waitForURL(`${server.origin}/sign-in?next=%2Fworkflows%2Forders`);
  });

  it("loaded nothing from another origin and threw no error", () => {
    expect(watched.foreignRequests).toEqual([]);
    expect(watched.pageErrors).toEqual([]);
  });
});
