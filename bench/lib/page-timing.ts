// W10's browser side: Debian's Chromium driven by playwright-core, and the time a page takes from
// navigation start to a chosen element being rendered (cold: a fresh browser context, so no HTTP
// cache; warm: the same context reloaded), or to its load event (the static baseline page).

import { existsSync } from "node:fs";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM = process.env.CAIRN_CHROMIUM ?? "/usr/bin/chromium";

/** Why the browser figures cannot be taken here, or null when Chromium is there. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM)
    ? null
    : `Chromium is not at ${CHROMIUM} (install it with \`apt-get install chromium\`, or set CAIRN_CHROMIUM)`;
}

/** The same flags as the dashboard's tests: a sandboxed machine, no network beyond loopback. */
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

/** What a load waits for: an element (by CSS selector) rendered, or the document's load event. */
export type Mark = { selector: string } | "load";

/**
 * Runs in every document before its own scripts: watches the DOM until `selector` matches a
 * rendered element, then records performance.now() (ms since navigation start) at the next
 * animation frame, the frame that paints it. Kept as text: the bench's TypeScript has no DOM types.
 */
function markScript(selector: string): string {
  return `(() => {
  const selector = ${JSON.stringify(selector)};
  const shown = () => {
    const el = document.querySelector(selector);
    return el !== null && el.getClientRects().length > 0;
  };
  let done = false;
  const check = () => {
    if (done || !shown()) return;
    done = true;
    observer.disconnect();
    requestAnimationFrame(() => { window.__benchRendered = performance.now(); });
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { childList: true, subtree: true });
})();`;
}

// Functions, not strings: the dashboard's CSP forbids eval, and playwright evaluates a string
// with it. They run in the page, where `globalThis` is its window.
const rendered = () => (globalThis as any).__benchRendered !== undefined;
const readRendered = () => (globalThis as any).__benchRendered as number;
const readLoad = () =>
  (globalThis as any).performance.getEntriesByType("navigation")[0].loadEventStart as number;
const LIMIT_MS = 60_000;

/** A browser context for one page: the mark's script installed, page errors collected. */
export type Session = { context: BrowserContext; page: Page; errors: string[] };

export async function openSession(browser: Browser, mark: Mark): Promise<Session> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  if (mark !== "load") await context.addInitScript({ content: markScript(mark.selector) });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  return { context, page, errors };
}

/** Waits for the mark in the page's current document and answers its time since navigation start. */
async function readMark(session: Session, mark: Mark): Promise<number> {
  const { page, errors } = session;
  let ms: number;
  if (mark === "load") {
    ms = await page.evaluate(readLoad);
  } else {
    await page.waitForFunction(rendered, null, { timeout: LIMIT_MS, polling: 50 });
    ms = await page.evaluate(readRendered);
  }
  if (errors.length > 0) throw new Error(`the page at ${page.url()} threw: ${errors[0]}`);
  if (!(ms > 0)) throw new Error(`no timing for ${page.url()} (${ms})`);
  return ms;
}

/** Navigates the session's page to `url` and answers the mark's time. */
export async function load(session: Session, url: string, mark: Mark): Promise<number> {
  const response = await session.page.goto(url, { waitUntil: "load", timeout: LIMIT_MS });
  if (!response?.ok()) throw new Error(`GET ${url}: ${response?.status()}`);
  return readMark(session, mark);
}

/** Reloads the session's page (its cache kept) and answers the mark's time. */
export async function reload(session: Session, mark: Mark): Promise<number> {
  const response = await session.page.reload({ waitUntil: "load", timeout: LIMIT_MS });
  if (!response?.ok()) throw new Error(`reload of ${session.page.url()}: ${response?.status()}`);
  return readMark(session, mark);
}

/** One cold load: a fresh context (no cache, no cookies, no shared worker), closed afterwards. */
export async function coldLoad(browser: Browser, url: string, mark: Mark): Promise<number> {
  const session = await openSession(browser, mark);
  try {
    return await load(session, url, mark);
  } finally {
    await session.context.close();
  }
}
