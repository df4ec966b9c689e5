// Test helper: what the dashboard's tests do with a page again and again. Open a dashboard path
// and wait for the change feed to be live; prove a later change arrived without a reload (a mark
// left in the window survives only while the document does); wait, bounded, for what a locator
// reads; count the browser's own requests to the change feed, shared workers included (Playwright
// does not see a shared worker's requests, so this asks Chromium over CDP); save a screenshot in
// test-results/ (ignored by git).

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { waitUntil } from "cairn/testing";
import type { Browser, Locator, Page } from "playwright-core";
import { UI_TIMEOUT } from "./browser.js";
import type { DashboardServer } from "./server.js";

/** Goes to `path` under the dashboard and waits until the header says the feed is live. */
export async function open(page: Page, server: DashboardServer, path = ""): Promise<void> {
  await page.goto(`${server.dashboard}${path}`);
  await feedLive(page);
}

export function feedLive(page: Page): Promise<void> {
  return page.getByText("Live", { exact: true }).waitFor();
}

/** Leaves a mark in the page's window; the function answered says whether it is still there (no reload since). */
export async function markDocument(page: Page): Promise<() => Promise<boolean>> {
  const mark = `mark-${Math.random()}`;
  await page.evaluate((m) => {
    (globalThis as { cairnTestMark?: string }).cairnTestMark = m;
  }, mark);
  return () => page.evaluate((m) => (globalThis as { cairnTestMark?: string }).cairnTestMark === m, mark);
}

/** Waits until `read` answers something `accept` takes, and answers it. */
export function eventually<T>(
  what: string,
  read: () => Promise<T>,
  accept: (value: T) => boolean,
): Promise<T> {
  return waitUntil(read, accept, { timeoutMs: UI_TIMEOUT, intervalMs: 50, what });
}

/** Text as read aloud: runs of white space (line breaks between blocks) as one space, trimmed. */
const squash = (text: string) => text.replace(/\s+/g, " ").trim();

/** Waits until the locator's text (white space squashed) is `text` (or matches it). */
export function textOf(locator: Locator, text: string | RegExp): Promise<string> {
  return eventually(
    `${locator} to read ${text}`,
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText, the text as rendered
    async () => ((await locator.count()) === 1 ? squash(await locator.innerText()) : ""),
    (value) => (typeof text === "string" ? value === text : text.test(value)),
  );
}

/** Waits until the locator matches exactly `n` elements. */
export function countOf(locator: Locator, n: number): Promise<number> {
  return eventually(
    `${locator} to match ${n} elements`,
    () => locator.count(),
    (value) => value === n,
  );
}

/** The texts (white space squashed) of every element the locator matches now. */
export async function textsOf(locator: Locator): Promise<string[]> {
  return (await locator.allInnerTexts()).map(squash);
}

/** Every request any target of the browser (pages, shared workers) makes to a URL matching `pattern`. */
export async function recordRequests(browser: Browser, pattern: string): Promise<{ urls: string[] }> {
  const cdp = await browser.newBrowserCDPSession();
  const seen = { urls: [] as string[] };
  cdp.on("Fetch.requestPaused", (event) => {
    seen.urls.push(event.request.url);
    cdp.send("Fetch.continueRequest", { requestId: event.requestId }).catch(() => {});
  });
  await cdp.send("Fetch.enable", { patterns: [{ urlPattern: pattern }] });
  return seen;
}

const shots = fileURLToPath(new URL("../../../test-results/dashboard/", import.meta.url));

/** Saves a full-page screenshot as test-results/dashboard/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}
